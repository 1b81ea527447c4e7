"""Texts of the exported documents (section titles, column headers, enumerations), fr and ar.

They live in `exports/labels.yml`, each leaf `{fr: ..., ar: ...}` with the same `{placeholders}`.
Documents are written in French or Modern Standard Arabic; a Darija user gets the Arabic document
and an Arabizi user the French one (`doc_lang`).
"""
from __future__ import annotations

import string
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from exports.doc import isolate

HERE = Path(__file__).resolve().parent
DOC_LANGS = ("fr", "ar")


def doc_lang(lang: str | None) -> str:
    """The document language for a user language tag."""
    return "ar" if lang in ("ar", "ary") else "fr"


def _flatten(node: Any, prefix: str, out: dict[str, dict[str, str]]) -> None:
    if isinstance(node, dict) and node and all(isinstance(v, str) for v in node.values()):
        out[prefix] = node
        return
    if not isinstance(node, dict):
        raise ValueError(f"labels.yml: {prefix!r} must be a mapping")
    for k, v in node.items():
        _flatten(v, f"{prefix}.{k}" if prefix else str(k), out)


@lru_cache(maxsize=1)
def entries() -> dict[str, dict[str, str]]:
    data = yaml.safe_load((HERE / "labels.yml").read_text(encoding="utf-8")) or {}
    out: dict[str, dict[str, str]] = {}
    _flatten(data, "", out)
    return out


def problems() -> list[str]:
    """Missing languages or placeholders that differ between fr and ar."""
    found = []
    for key, v in sorted(entries().items()):
        for lang in DOC_LANGS:
            if not (v.get(lang) or "").strip():
                found.append(f"{key}: missing {lang}")
        ph = {frozenset(n for _, n, _, _ in string.Formatter().parse(v.get(lang) or "") if n)
              for lang in DOC_LANGS}
        if len(ph) > 1:
            found.append(f"{key}: placeholders differ")
    return found


class Labels:
    """`t("logframe.title")` in one document language."""

    def __init__(self, lang: str):
        self.lang = doc_lang(lang)

    @property
    def rtl(self) -> bool:
        return self.lang == "ar"

    def t(self, key: str, **params: Any) -> str:
        v = entries().get(key)
        if v is None:
            raise KeyError(f"export label {key!r} is missing")
        text = v[self.lang]
        if not params:
            return text
        return text.format(**{k: isolate(str(x), self.rtl) for k, x in params.items()})

    def has(self, key: str) -> bool:
        return key in entries()

    def opt(self, prefix: str, value: str | None, default: str = "") -> str:
        """The label of an enumerated value (`public.youth`), else the value itself, readable."""
        if value is None or value == "":
            return default
        key = f"{prefix}.{value}"
        if key in entries():
            return self.t(key)
        return str(value).replace("_", " ")

    def number(self, x: float | int | None, unit: str | None = None) -> str:
        if x is None:
            return ""
        if isinstance(x, float) and x.is_integer():
            x = int(x)
        if isinstance(x, float):
            s = f"{x:.1f}"
            s = s.replace(".", ",") if self.lang == "fr" else s
        else:
            s = f"{x:,}".replace(",", "\u202f" if self.lang == "fr" else ",")
        if unit:
            u = unit.strip()
            s = f"{s}{u}" if u == "%" else f"{s} {u}"
        return s

    def date(self, d: date | datetime | None) -> str:
        if d is None:
            return ""
        return d.strftime("%d/%m/%Y")
