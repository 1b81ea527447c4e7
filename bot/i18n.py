"""Text catalogs: every user-facing sentence, in fr, ar, ary and ary-Latn.

Catalog files are `bot/catalogs/*.yml`. Each leaf is a mapping with exactly the four variants:

    nav:
      back: {fr: "Retour", ar: "رجوع", ary: "رجع", ary-Latn: "Rje3"}

The flattened key is the path (`nav.back`). Placeholders are `{name}`; a number that a noun or
a verb agrees with is a CLDR plural (domain/wording.py has the syntax):

    saved: {fr: "{n, plural, one {# effet enregistré} many {# d'effets enregistrés}
                              other {# effets enregistrés}}",
            ar: "{n, plural, zero {لا أثر} one {أثر واحد} two {أثران} few {# آثار}
                              many {# أثرا} other {# أثر}}", ...}

Every variant pluralises the same names, with a branch for each category of its language:
French has one, many, other; Arabic (MSA and Darija, which follows the same agreement: "تلت
شهور", "12 شهر") zero, one, two, few, many, other. The categories and the rule that picks one
are CLDR's, through Babel (`plural_rule`); `check_entries` refuses a variant that misses one.
Never write "(s)" or a suffix by hand. An inflected value (a public in a case, see
`domain.wording.forms`) is `{who:gen}` where a sentence needs a form other than the subject.

Arabic-script variants are right-to-left: interpolated values of the other direction (numbers,
Latin words in an Arabic sentence, Arabic words in a French one) are wrapped in Unicode isolates
(FSI … PDI) so they do not scramble the line.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml
from babel import Locale

from domain import wording
from domain.languages import LANG_TAGS, is_rtl, pick, variant
from domain.messages import Msg, Rendered, RenderedButton, Reply
from domain.text import RLM, direction, isolate

CATALOG_DIR = Path(__file__).resolve().parent / "catalogs"
SHORT = "short."  # `short.<key>`: the short form of the label `<key>` (bot/catalogs/short.yml)


class CatalogError(ValueError):
    pass


@lru_cache(maxsize=None)
def plural_rule(lang: str) -> Callable[[float], str]:
    """The CLDR category (zero, one, two, few, many, other) of a number in a language variant."""
    return Locale.parse(variant(lang).plural_locale).plural_form


def plural_categories(lang: str) -> tuple[str, ...]:
    """The categories a plural of this language variant must have a branch for."""
    tags = set(plural_rule(lang).tags) | {"other"}
    return tuple(c for c in wording.CATEGORIES if c in tags)


def placeholders(text: str) -> set[str]:
    return wording.names(text)


def _flatten(node: Any, prefix: str, out: dict[str, dict[str, str]], source: Path) -> None:
    if not isinstance(node, dict):
        raise CatalogError(f"{source}: '{prefix}' must be a mapping")
    if node and all(isinstance(v, str) for v in node.values()):
        out_key = prefix
        if out_key in out:
            raise CatalogError(f"{source}: key '{out_key}' defined twice")
        out[out_key] = {str(k): v for k, v in node.items()}
        return
    for k, v in node.items():
        if not isinstance(k, str):  # YAML reads yes/no/on/off as booleans: quote such keys
            raise CatalogError(f"{source}: key {k!r} under '{prefix}' is not a string; quote it")
        _flatten(v, f"{prefix}.{k}" if prefix else k, out, source)


def load_entries(directory: Path = CATALOG_DIR) -> dict[str, dict[str, str]]:
    entries: dict[str, dict[str, str]] = {}
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        _flatten(data, "", entries, path)
    return entries


def check_entries(entries: dict[str, dict[str, str]]) -> list[str]:
    """Problems: a variant missing or empty, a template that does not parse, placeholders that
    differ between variants, a plural that one variant lacks or that misses a category."""
    problems = []
    for key, variants in sorted(entries.items()):
        missing = [t for t in LANG_TAGS if not (variants.get(t) or "").strip()]
        extra = sorted(set(variants) - set(LANG_TAGS))
        if missing:
            problems.append(f"{key}: missing {', '.join(missing)}")
        if extra:
            problems.append(f"{key}: unknown variant(s) {', '.join(extra)}")
        present = [t for t in LANG_TAGS if variants.get(t)]
        try:
            ph = {t: placeholders(variants[t]) for t in present}
            plural = {t: {p.name for p in wording.plurals(variants[t])} for t in present}
        except wording.TemplateError as exc:
            problems.append(f"{key}: {exc}")
            continue
        if len({frozenset(v) for v in ph.values()}) > 1:
            problems.append(
                f"{key}: placeholders differ: " + "; ".join(f"{t}={sorted(v)}" for t, v in ph.items())
            )
        counted = set().union(*plural.values()) if plural else set()
        for t in present:
            if plural[t] != counted:
                problems.append(f"{key} [{t}]: not a plural: {', '.join(sorted(counted - plural[t]))}")
            problems += [
                f"{key} [{t}]: {p}" for p in wording.plural_problems(variants[t], plural_categories(t))
            ]
    return problems


class Catalog:
    def __init__(self, entries: dict[str, dict[str, str]]):
        problems = check_entries(entries)
        if problems:
            raise CatalogError("catalog problems:\n  " + "\n  ".join(problems[:20]))
        self.entries = entries
        # what a key renders to in a language when it has no placeholders (most do not):
        # rendered once, then reused
        self._fixed: dict[tuple[str, str], str] = {}
        self._rtl = {tag: is_rtl(tag) for tag in LANG_TAGS}

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def keys(self) -> Iterable[str]:
        return self.entries.keys()

    def text(self, key: str, lang: str, **params: Any) -> str:
        fixed = self._fixed.get((key, lang))
        if fixed is not None:
            return fixed
        variants = self.entries.get(key)
        if variants is None:
            raise KeyError(f"catalog key {key!r} is missing")
        template = pick(variants, lang)
        rtl = self._rtl.get(lang, False)

        def shown(raw: Any, form: str) -> str:
            value = self._value(raw, lang, form)
            return isolate(value, rtl)

        out = wording.render(template, params, shown, plural_rule(lang), lambda n: shown(n, ""))
        if rtl:
            out = "\n".join(
                RLM + line if line and direction(line, skip_isolates=False) != "rtl" else line
                for line in out.split("\n")
            )
        if all(isinstance(p, str) for p in wording.parse(template)):  # nothing to fill in
            self._fixed[(key, lang)] = out
        return out

    def _value(self, raw: Any, lang: str, form: str = "") -> str:
        if isinstance(raw, Msg):
            return self.text(raw.key, lang, **raw.params)
        if isinstance(raw, dict):
            if wording.is_forms(raw):
                return wording.pick_form(raw, lang, form)
            if isinstance(raw.get("key"), str):  # a Msg read back from JSON (the outbox)
                return self.text(raw["key"], lang, **(raw.get("params") or {}))
        if isinstance(raw, float) and raw.is_integer():
            return str(int(raw))
        return "" if raw is None else str(raw)

    def render_msg(self, m: Msg, lang: str) -> str:
        return self.text(m.key, lang, **m.params)

    def short(self, m: Msg, lang: str) -> str | None:
        """A button label's short form (catalog `short.<key>`, for WhatsApp's 20 characters),
        when the catalog has one."""
        key = SHORT + m.key
        return self.text(key, lang, **m.params) if key in self.entries else None

    def render(self, reply: Reply, lang: str) -> Rendered:
        text = "\n".join(self.render_msg(m, lang) for m in reply.lines)
        buttons = [
            RenderedButton(data=b.data, label=self.render_msg(b.label, lang), short=self.short(b.label, lang))
            for b in reply.buttons
        ]
        attachment = None
        if reply.attachment is not None:
            attachment = reply.attachment.model_dump()
            if reply.attachment.caption is not None:
                attachment["caption"] = self.render_msg(reply.attachment.caption, lang)
        return Rendered(
            text=text,
            buttons=buttons,
            rtl=self._rtl.get(lang, False),
            language=lang,
            attachment=attachment,
            job=reply.job.model_dump() if reply.job is not None else None,
            notice=reply.notice.model_dump() if reply.notice is not None else None,
        )


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    return Catalog(load_entries())
