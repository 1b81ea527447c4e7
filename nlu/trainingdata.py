"""Read Athar's Rasa training files (nlu/rasa/data/nlu_<tag>.yml): text, language tag, intent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from domain.languages import LANG_TAGS

DATA_DIR = Path(__file__).resolve().parent / "rasa" / "data"
ANNOT_RE = re.compile(r"\[([^\]]+)\](\{[^}]*\}|\([^)]*\))")


@dataclass(frozen=True)
class Example:
    text: str  # raw, annotations removed
    language: str
    intent: str
    annotated: str  # as written in the file


def strip_annotations(example: str) -> str:
    return ANNOT_RE.sub(lambda m: m.group(1), example)


@lru_cache(maxsize=4)
def load(data_dir: Path = DATA_DIR) -> tuple[Example, ...]:
    import yaml

    out: list[Example] = []
    for tag in LANG_TAGS:
        path = data_dir / f"nlu_{tag}.yml"
        if not path.exists():
            continue
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in doc.get("nlu", []):
            intent = block.get("intent")
            if not intent:
                continue
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    out.append(Example(strip_annotations(line[2:]), tag, intent, line[2:]))
    return tuple(out)
