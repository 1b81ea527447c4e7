"""Load and validate the YAML knowledge base into domain models.

A broken file raises `KnowledgeError` naming the file and the field. Every loader takes a
`base` directory (default: this package) so that tests can load a broken copy; results are cached
per base directory.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from domain.commune import Commune
from domain.knowledge import (
    DOMAIN_IDS,
    PARTY_IDS,
    PUBLIC_IDS,
    CoachingLexicon,
    DomainArea,
    EffectExample,
    GlossaryTerm,
    Indicator,
    KnowledgeBase,
    Labels,
    Lesson,
    Party,
    Prompt,
    Public,
    Templates,
)

HERE = Path(__file__).resolve().parent
M = TypeVar("M", bound=BaseModel)
# libyaml's C loader is ~10x faster than the pure-Python one; same safe semantics.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KnowledgeError(ValueError):
    pass


def read_yaml(name: str, base: Path = HERE) -> Any:
    path = Path(base) / name
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_SafeLoader)  # noqa: S506 - a safe loader
    except FileNotFoundError as exc:
        raise KnowledgeError(f"{path}: file missing") from exc
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: invalid YAML: {exc}") from exc


def _where(data: Any, loc: tuple) -> str:
    """Render a pydantic error location, naming list items by their id when they have one."""
    parts: list[str] = []
    node = data
    for step in loc:
        if isinstance(step, int) and isinstance(node, list):
            item = node[step] if 0 <= step < len(node) else None
            ident = item.get("id") if isinstance(item, dict) else None
            label = f"[{ident}]" if ident is not None else f"[{step}]"
            if parts:
                parts[-1] += label
            else:
                parts.append(label)
            node = item
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return ".".join(parts)


def _describe(exc: ValidationError, data: Any, prefix: str) -> str:
    errs = exc.errors()
    err = errs[0]
    where = _where(data, tuple(err["loc"]))
    field = f"{prefix}.{where}" if prefix and where else (prefix or where or "(document)")
    more = f" (and {len(errs) - 1} more error(s))" if len(errs) > 1 else ""
    return f"field '{field}': {err['msg']}{more}"


def validate_list(name: str, key: str, model: type[M], base: Path = HERE) -> list[M]:
    base = Path(base)
    data = read_yaml(name, base)
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise KnowledgeError(f"{base / name}: expected a top-level '{key}:' list")
    out: list[M] = []
    for i, item in enumerate(data[key]):
        ident = item.get("id", i) if isinstance(item, dict) else i
        try:
            out.append(model.model_validate(item))
        except ValidationError as exc:
            raise KnowledgeError(f"{base / name}: {key}[{ident}] {_describe(exc, item, '')}") from exc
    ids = [getattr(o, "id", None) for o in out]
    dup = {x for x in ids if x is not None and ids.count(x) > 1}
    if dup:
        raise KnowledgeError(f"{base / name}: {key}: duplicate id(s) {sorted(dup)}")
    return out


def validate_doc(name: str, model: type[M], base: Path = HERE) -> M:
    """Validate a whole YAML document (a mapping) as one model."""
    base = Path(base)
    data = read_yaml(name, base)
    if not isinstance(data, dict):
        raise KnowledgeError(f"{base / name}: expected a mapping at the top level")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise KnowledgeError(f"{base / name}: {_describe(exc, data, '')}") from exc


@lru_cache(maxsize=1)
def load_communes() -> tuple[Commune, ...]:
    return tuple(validate_list("communes.yml", "communes", Commune))


@lru_cache(maxsize=8)
def load_indicators(base: Path = HERE) -> tuple[Indicator, ...]:
    return tuple(validate_list("indicators.yml", "indicators", Indicator, base))


@lru_cache(maxsize=8)
def load_publics(base: Path = HERE) -> tuple[Public, ...]:
    return tuple(validate_list("publics.yml", "publics", Public, base))


@lru_cache(maxsize=8)
def load_domains(base: Path = HERE) -> tuple[DomainArea, ...]:
    return tuple(validate_list("domains.yml", "domains", DomainArea, base))


@lru_cache(maxsize=8)
def load_parties(base: Path = HERE) -> tuple[Party, ...]:
    return tuple(validate_list("parties.yml", "parties", Party, base))


@lru_cache(maxsize=8)
def load_unexpected_prompts(base: Path = HERE) -> tuple[Prompt, ...]:
    return tuple(validate_list("unexpected.yml", "prompts", Prompt, base))


@lru_cache(maxsize=8)
def load_effect_examples(base: Path = HERE) -> tuple[EffectExample, ...]:
    return tuple(validate_list("effect_examples.yml", "examples", EffectExample, base))


@lru_cache(maxsize=8)
def load_templates(base: Path = HERE) -> Templates:
    return validate_doc("templates.yml", Templates, base)


@lru_cache(maxsize=8)
def load_glossary(base: Path = HERE) -> tuple[GlossaryTerm, ...]:
    return tuple(validate_list("glossary.yml", "terms", GlossaryTerm, base))


@lru_cache(maxsize=8)
def load_lessons(base: Path = HERE) -> tuple[Lesson, ...]:
    lessons = tuple(validate_list("lessons.yml", "lessons", Lesson, base))
    numbers = [m.number for m in lessons]
    if sorted(numbers) != list(range(1, len(numbers) + 1)):
        raise KnowledgeError(
            f"{Path(base) / 'lessons.yml'}: field 'number': lessons must be numbered 1..{len(numbers)}"
            f" without gaps, got {numbers}"
        )
    moments = [x for m in lessons for x in m.moments]
    twice = sorted({x for x in moments if moments.count(x) > 1})
    if twice:
        raise KnowledgeError(
            f"{Path(base) / 'lessons.yml'}: field 'moments': {twice} offered by "
            "two lessons (a moment offers one lesson)"
        )
    return tuple(sorted(lessons, key=lambda m: m.number))


@lru_cache(maxsize=8)
def load_coaching_lexicon(base: Path = HERE) -> CoachingLexicon:
    return validate_doc("coaching.yml", CoachingLexicon, base)


@lru_cache(maxsize=8)
def load_labels(base: Path = HERE) -> Labels:
    return validate_doc("labels.yml", Labels, base)


def _require_all(path: Path, key: str, expected: tuple[str, ...], found: list[str]) -> None:
    missing = [x for x in expected if x not in found]
    if missing:
        raise KnowledgeError(f"{path}: {key}: missing id(s) {missing}")


@lru_cache(maxsize=8)
def load_knowledge(base: Path = HERE) -> KnowledgeBase:
    """Load every catalog and check the references between them."""
    base = Path(base)
    kb = KnowledgeBase(
        indicators=load_indicators(base),
        publics=load_publics(base),
        domains=load_domains(base),
        parties=load_parties(base),
        unexpected_prompts=load_unexpected_prompts(base),
        effect_examples=load_effect_examples(base),
        templates=load_templates(base),
        glossary=load_glossary(base),
        lessons=load_lessons(base),
        coaching=load_coaching_lexicon(base),
        labels=load_labels(base),
    )
    _require_all(base / "publics.yml", "publics", PUBLIC_IDS, [p.id for p in kb.publics])
    _require_all(base / "domains.yml", "domains", DOMAIN_IDS, [d.id for d in kb.domains])
    _require_all(base / "parties.yml", "parties", PARTY_IDS, [p.id for p in kb.parties])
    return kb
