"""Message templates with plurals and word forms (pure: the plural rule is passed in).

The syntax is `str.format`'s placeholders plus a subset of ICU MessageFormat's plural:

    {name}                      the value of `name`
    {name:form}                 one form of an inflected value (see `forms`), e.g. {who:gen}
    {name, plural, one {# mois} many {# de mois} other {# mois}}
                                the branch of the CLDR plural category of `name`; `#` in a
                                branch is the number; branches may hold placeholders and plurals
    =N {…}                      an exact value, tried before the categories

Categories are CLDR's: zero, one, two, few, many, other. Which ones a language has, and which one
a number falls in, is the caller's `plural` function (bot/i18n.py and exports/ use Babel's CLDR
rules); a template must give a branch for every category of its language (`plural_problems`).

An inflected value carries the forms a sentence may need, per language variant:
`forms({"ar": {"": "المهاجرون", "gen": "المهاجرين"}, "fr": {"": "les migrants"}})`; the form
"" is the default (the subject), a missing form falls back to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable, Union

from domain.languages import fallback

CATEGORIES = ("zero", "one", "two", "few", "many", "other")
PluralRule = Callable[[float], str]  # a number -> its CLDR category


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class Field:
    name: str
    form: str = ""


@dataclass(frozen=True)
class Plural:
    name: str
    branches: tuple[tuple[str, "Parts"], ...]  # (selector, parts): "one", "=0", ...

    def selectors(self) -> set[str]:
        return {s for s, _ in self.branches}


Part = Union[str, Field, Plural, None]  # None: the number (`#`) of the innermost plural
Parts = tuple[Part, ...]

_NAME = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*")
_FORM = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SELECTOR = re.compile(r"\s*(zero|one|two|few|many|other|=\d+)\s*\{")


def forms(by_lang: dict[str, dict[str, str]]) -> dict[str, Any]:
    """An inflected value for a template parameter (JSON-serialisable, language-neutral)."""
    return {"forms": {lang: dict(v) for lang, v in by_lang.items()}}


def is_forms(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("forms"), dict)


def pick_form(value: dict[str, Any], lang: str, form: str = "") -> str:
    """One form of an inflected value in a language (its default form when the form is not
    given; when the language is missing, the variant its readers read next: domain.languages)."""
    variants = value["forms"]
    chosen: dict[str, Any] = next(
        (variants[t] for t in fallback(lang) if variants.get(t)), next(iter(variants.values()), {})
    )
    return str(chosen.get(form) or chosen.get("") or "")


@lru_cache(maxsize=8192)
def parse(template: str) -> Parts:
    parts, end = _parse(template, 0, in_plural=False)
    if end != len(template):
        raise TemplateError(f"unbalanced '}}' at {end} in {template!r}")
    return parts


def _parse(t: str, i: int, in_plural: bool) -> tuple[Parts, int]:
    out: list[Part] = []
    buf: list[str] = []
    while i < len(t):
        c = t[i]
        if c == "}":
            break
        if c == "#" and in_plural:
            if buf:
                out.append("".join(buf))
                buf = []
            out.append(None)
            i += 1
            continue
        if c != "{":
            buf.append(c)
            i += 1
            continue
        if buf:
            out.append("".join(buf))
            buf = []
        part, i = _placeholder(t, i)
        out.append(part)
    if buf:
        out.append("".join(buf))
    return tuple(out), i


def _placeholder(t: str, i: int) -> tuple[Part, int]:
    m = _NAME.match(t, i + 1)
    if not m:
        raise TemplateError(f"bad placeholder at {i} in {t!r}")
    name, j = m.group(1), m.end()
    if t.startswith("}", j):
        return Field(name), j + 1
    if t.startswith(":", j):
        f = _FORM.match(t, j + 1)
        if not f or not t.startswith("}", f.end()):
            raise TemplateError(f"bad form of {name!r} in {t!r}")
        return Field(name, f.group(0)), f.end() + 1
    head = re.compile(r",\s*plural\s*,").match(t, j)
    if not head:
        raise TemplateError(f"bad placeholder {name!r} in {t!r}")
    j = head.end()
    branches: list[tuple[str, Parts]] = []
    while True:
        s = _SELECTOR.match(t, j)
        if not s:
            break
        body, k = _parse(t, s.end(), in_plural=True)
        if not t.startswith("}", k):
            raise TemplateError(f"unclosed branch {s.group(1)!r} of {name!r} in {t!r}")
        branches.append((s.group(1), body))
        j = k + 1
    while j < len(t) and t[j].isspace():
        j += 1
    if not branches or not t.startswith("}", j):
        raise TemplateError(f"bad plural of {name!r} in {t!r}")
    if "other" not in {b for b, _ in branches}:
        raise TemplateError(f"the plural of {name!r} has no 'other' branch in {t!r}")
    return Plural(name, tuple(branches)), j + 1


def names(template: str) -> set[str]:
    """The parameters a template uses (plain, inflected and plural placeholders)."""
    return set(_names(parse(template)))


def _names(parts: Parts) -> Iterable[str]:
    for p in parts:
        if isinstance(p, Field):
            yield p.name
        elif isinstance(p, Plural):
            yield p.name
            for _, body in p.branches:
                yield from _names(body)


def plurals(template: str) -> list[Plural]:
    """Every plural block of a template, nested ones included."""
    out: list[Plural] = []

    def walk(parts: Parts) -> None:
        for p in parts:
            if isinstance(p, Plural):
                out.append(p)
                for _, body in p.branches:
                    walk(body)

    walk(parse(template))
    return out


def plural_problems(template: str, categories: Iterable[str]) -> list[str]:
    """What a template's plurals miss: a branch for each of its language's categories."""
    wanted = set(categories) | {"other"}
    problems = []
    for p in plurals(template):
        missing = sorted(wanted - p.selectors(), key=CATEGORIES.index)
        unknown = sorted(s for s in p.selectors() if not s.startswith("=") and s not in wanted)
        if missing:
            problems.append(f"plural of {p.name!r} lacks {', '.join(missing)}")
        if unknown:
            problems.append(f"plural of {p.name!r}: foreign categories {', '.join(unknown)}")
    return problems


def number_of(value: Any) -> float | None:
    """The number a plural selects on (an int, a float or a string of digits)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip().replace(",", "."))
    except ValueError:
        return None


def render(
    template: str,
    params: dict[str, Any],
    text: Callable[[Any, str], str],
    plural: PluralRule,
    number: Callable[[float], str],
) -> str:
    """The template filled with `params`: `text(value, form)` shows a placeholder's value,
    `plural(n)` gives a number's category and `number(n)` shows it where `#` stands."""
    return _render(parse(template), params, text, plural, number, None)


def _render(
    parts: Parts,
    params: dict[str, Any],
    text: Callable[[Any, str], str],
    plural: PluralRule,
    number: Callable[[float], str],
    n: float | None,
) -> str:
    out = []
    for p in parts:
        if isinstance(p, str):
            out.append(p)
        elif p is None:
            out.append(number(n) if n is not None else "#")
        elif isinstance(p, Field):
            out.append(text(params.get(p.name), p.form))
        else:
            x = number_of(params.get(p.name))
            out.append(_render(_branch(p, x, plural), params, text, plural, number, x))
    return "".join(out)


def _branch(p: Plural, x: float | None, plural: PluralRule) -> Parts:
    branches = dict(p.branches)
    if x is None:
        return branches["other"]
    exact = f"={int(x)}" if float(x).is_integer() else None
    if exact in branches:
        return branches[exact]
    return branches.get(plural(x)) or branches["other"]
