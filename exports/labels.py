"""Texts of the exported documents (section titles, column headers, enumerations), fr and ar,
with numbers, percentages and plurals by CLDR (Babel).

They live in `exports/labels.yml`. A leaf is `{fr: ..., ar: ...}` with the same `{placeholders}`;
a text that counts something is an ICU-style plural (`{n, plural, one {# projet} other {#
projets}}`, `domain/wording.py`, the bot catalogs' convention), its branch chosen by Babel's CLDR
plural rule of the language. Every code shown to a reader (unit, frequency, wave, status, level,
party, public…) goes through `opt`/`t`.

Documents are written in French or Modern Standard Arabic; a Darija user gets the Arabic document
and an Arabizi user the French one (`domain.languages.document_language`). Numbers follow the locale (fr_MA: `1 234,5`,
`34 %`; ar_MA: Western digits, as Moroccan administration writes them, `1.234,5`, `34%`).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from babel import Locale
from babel.numbers import format_decimal

from domain import wording
from domain.figures import SEMESTER
from domain.languages import DOCUMENT_LANGS, document_language, is_rtl
from domain.text import isolate

HERE = Path(__file__).resolve().parent
LOCALES = {"fr": "fr_MA", "ar": "ar_MA"}
# "2022-2026" after Arabic letters would read "2026-2022" (the digits become Arabic numbers, the
# hyphen between them stays neutral): isolated in Arabic texts
NUMBER_RANGE = re.compile(r"\d+(?:[-–/]\d+)+")
UNIT_CODES = ("number", "percent", "score", "yes_no", "days", "mad")


def _is_leaf(node: Any) -> bool:
    return (
        isinstance(node, dict)
        and bool(node)
        and set(node) <= set(DOCUMENT_LANGS)
        and all(isinstance(v, str) for v in node.values())
    )


def _flatten(node: Any, prefix: str, out: dict[str, dict[str, Any]]) -> None:
    if _is_leaf(node):
        out[prefix] = node
        return
    if not isinstance(node, dict):
        raise ValueError(f"labels.yml: {prefix!r} must be a mapping")
    for k, v in node.items():
        _flatten(v, f"{prefix}.{k}" if prefix else str(k), out)


@lru_cache(maxsize=1)
def entries() -> dict[str, dict[str, Any]]:
    return load_labels(HERE / "labels.yml")


@lru_cache(maxsize=2)
def locale(lang: str) -> Locale:
    return Locale.parse(LOCALES[lang])


def load_labels(path: Path) -> dict[str, dict[str, Any]]:
    """A labels file (fr/ar leaves) as {dotted key: {lang: text}}."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, dict[str, Any]] = {}
    _flatten(data, "", out)
    return out


def problems(labels: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """Missing languages, plural branches missing for a language's CLDR categories, and
    placeholders that differ between the languages (of exports/labels.yml, or of `labels`)."""
    found = []
    for key, v in sorted((entries() if labels is None else labels).items()):
        seen = set()
        for lang in DOCUMENT_LANGS:
            value = v.get(lang) or ""
            if not value.strip():
                found.append(f"{key}: missing {lang}")
                continue
            try:
                seen.add(frozenset(wording.names(value)))
                found += [
                    f"{key} ({lang}): {p}"
                    for p in wording.plural_problems(value, locale(lang).plural_form.tags)
                ]
            except wording.TemplateError as exc:
                found.append(f"{key} ({lang}): {exc}")
        if len(seen) > 1:
            found.append(f"{key}: placeholders differ")
    return found


class Labels:
    """`t("logframe.title")` in one document language."""

    def __init__(self, lang: str):
        self.lang = document_language(lang)

    @property
    def rtl(self) -> bool:
        return is_rtl(self.lang)

    @property
    def locale(self) -> Locale:
        return locale(self.lang)

    def t(self, key: str, **params: Any) -> str:
        """The text of a key; values of the other direction are isolated; a plural picks its
        branch by the number it counts (`n`)."""
        v = self.entry(key)
        if v is None:
            raise KeyError(f"export label {key!r} is missing")
        text = v[self.lang]
        if self.rtl:
            text = NUMBER_RANGE.sub(lambda m: isolate(m.group(0), True, nest=False), text)
        if not params and "{" not in text:
            return text
        return wording.render(
            text,
            params,
            lambda value, form: isolate(self._shown(value), self.rtl, nest=False),
            self.locale.plural_form,
            lambda n: isolate(self.number(n), self.rtl, nest=False),
        )

    def _shown(self, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return self.number(value)
        return str(value)

    def entry(self, key: str) -> dict[str, Any] | None:
        """A key's texts ({lang: text}); a subclass may add texts of its own."""
        return entries().get(key)

    def has(self, key: str) -> bool:
        return self.entry(key) is not None

    def opt(self, prefix: str, value: str | None, default: str = "") -> str:
        """The label of an enumerated value (`public.youth`); a value that is not a code (text
        a user typed) is shown as typed."""
        if value is None or value == "":
            return default
        key = f"{prefix}.{value}"
        if self.has(key):
            return self.t(key)
        return str(value)

    def number(self, x: float | int | None, unit: str | None = None, digits: int = 1) -> str:
        """A number in the document's locale, with its unit: a unit code from the indicator
        library (percent, days, mad, yes_no…) through the labels, a unit a user typed after the
        number as typed."""
        if x is None:
            return ""
        if isinstance(x, float) and x.is_integer():
            x = int(x)
        u = (unit or "").strip()
        if u in ("percent", "%"):
            return self.t("unit.percent", value=self._num(x, digits))
        if u == "yes_no" and x in (0, 1):
            return self.t("doc.yes" if x == 1 else "doc.no")
        if u in UNIT_CODES and self.has(f"unit.{u}"):
            return self.t(f"unit.{u}", n=x)
        s = self._num(x, digits)
        return f"{s} {u}" if u and u not in UNIT_CODES else s

    def _num(self, x: float | int, digits: int = 1) -> str:
        fmt = "#,##0" if isinstance(x, int) else "#,##0." + "#" * digits
        return format_decimal(x, format=fmt, locale=self.locale)

    def decimal(self, x: float, digits: int) -> str:
        """A decimal with exactly `digits` digits after the separator (p-values)."""
        return format_decimal(x, format="0." + "0" * digits, locale=self.locale)

    def percent(self, part: float | None, digits: int = 0) -> str:
        """A share already in percent (34.0 -> "34 %")."""
        if part is None:
            return ""
        value = round(part, digits)
        return self.t("unit.percent", value=self._num(int(value) if digits == 0 else value, digits))

    def date(self, d: date | datetime | None) -> str:
        if d is None:
            return ""
        return d.strftime("%d/%m/%Y")

    def period(self, text: str | None) -> str:
        """A measurement period in words: a semester through the labels, other forms as
        written (a month 2026-05 or a date)."""
        if not text:
            return ""
        m = SEMESTER.match(text)
        if m:
            return self.t(f"report.s{m.group(2)}", year=m.group(1))
        return text
