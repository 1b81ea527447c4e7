"""Load and validate the YAML knowledge base into domain models.

A broken file raises `KnowledgeError` naming the file and the field.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from domain.commune import Commune

HERE = Path(__file__).resolve().parent
M = TypeVar("M", bound=BaseModel)


class KnowledgeError(ValueError):
    pass


def read_yaml(name: str, base: Path = HERE) -> Any:
    path = base / name
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except FileNotFoundError as exc:
        raise KnowledgeError(f"{path}: file missing") from exc
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: invalid YAML: {exc}") from exc


def validate_list(name: str, key: str, model: type[M], base: Path = HERE) -> list[M]:
    data = read_yaml(name, base)
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise KnowledgeError(f"{base / name}: expected a top-level '{key}:' list")
    out: list[M] = []
    for i, item in enumerate(data[key]):
        try:
            out.append(model.model_validate(item))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            ident = item.get("id", i) if isinstance(item, dict) else i
            raise KnowledgeError(
                f"{base / name}: {key}[{ident}] field '{field}': {err['msg']}"
            ) from exc
    ids = [getattr(o, "id", None) for o in out]
    dup = {x for x in ids if x is not None and ids.count(x) > 1}
    if dup:
        raise KnowledgeError(f"{base / name}: duplicate id(s) {sorted(dup)}")
    return out


@lru_cache(maxsize=1)
def load_communes() -> tuple[Commune, ...]:
    return tuple(validate_list("communes.yml", "communes", Commune))
