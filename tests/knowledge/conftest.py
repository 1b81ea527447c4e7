from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from knowledge.loader import HERE

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@pytest.fixture
def kb_copy(tmp_path: Path) -> Callable[[str, Callable[[Any], None]], Path]:
    """Copy the real knowledge YAML into a temp dir, let the test mutate one file, return the dir."""
    for f in HERE.glob("*.yml"):
        shutil.copy(f, tmp_path / f.name)

    def mutate(name: str, change: Callable[[Any], None]) -> Path:
        path = tmp_path / name
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
        change(data)
        text = yaml.dump(data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return tmp_path

    return mutate
