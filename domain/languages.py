"""The language registry: the four variants Athar speaks, and every rule that depends on one.

| tag        | variant                        | script | direction | fallback order            | documents |
|------------|--------------------------------|--------|-----------|---------------------------|-----------|
| `fr`       | French                         | Latn   | ltr       | fr, ary-Latn, ar, ary     | fr        |
| `ar`       | Modern Standard Arabic         | Arab   | rtl       | ar, ary, fr, ary-Latn     | ar        |
| `ary`      | Moroccan Darija, Arabic script | Arab   | rtl       | ary, ar, ary-Latn, fr     | ar        |
| `ary-Latn` | Moroccan Darija, Latin "Arabizi" | Latn | ltr       | ary-Latn, fr, ary, ar     | fr        |

Tags are the NLU contract's (docs/NLU.md). A variant's name, as a user reads it, is the catalog
text `langname.<tag>` (`name_key`), the words people type to choose it `langwords.<tag>`
(`words_key`).

Fallback order (`fallback`, `pick`): a text missing in a variant is taken from the one a reader of
that variant reads next. First the other variant in the same script (whoever reads Arabizi reads
French letters; whoever reads Darija in Arabic letters reads MSA), then the other script: Darija
readers get Darija in the other script before the other language (it is still their language),
French and MSA readers the other standard language before Darija. Before this registry the bot,
the poll results, the XLSForm writer and the poll model each had a chain of their own, which
disagreed on the third step for Darija; this is the XLSForm writer's complete one.

Document language (`document_language`): exports, reports, the dashboard and template messages
exist in French and Arabic only; Arabic-script variants get the Arabic one, Latin-script variants
the French one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal, Mapping

Script = Literal["Latn", "Arab"]


class Lang(str, Enum):
    FR = "fr"
    AR = "ar"
    ARY = "ary"
    ARY_LATN = "ary-Latn"

    @property
    def variant(self) -> "Variant":
        return VARIANTS[self.value]

    @property
    def rtl(self) -> bool:
        """Arabic-script variants read right to left."""
        return self.variant.rtl

    @classmethod
    def parse(cls, value: str | None) -> "Lang | None":
        if not value:
            return None
        v = value.strip()
        for lang in cls:
            if lang.value.lower() == v.lower():
                return lang
        # Telegram language_code hints like "fr-FR", "ar"
        low = v.lower()
        if low.startswith("fr"):
            return Lang.FR
        if low.startswith("ar"):
            return Lang.AR
        return None


@dataclass(frozen=True)
class Variant:
    tag: str
    script: Script
    fallback: tuple[str, ...]  # the variant itself first, then where a missing text is taken from
    document: str  # the language of a document, a report or a page written for this variant
    iso639_3: str  # FLOIP's language code
    plural_locale: str  # the CLDR locale whose plural rules the variant follows

    @property
    def rtl(self) -> bool:
        return self.script == "Arab"

    @property
    def direction(self) -> Literal["ltr", "rtl"]:
        return "rtl" if self.rtl else "ltr"

    @property
    def name_key(self) -> str:
        """The catalog key of the variant's name ("Darija (Arabizi)", "الدارجة")."""
        return name_key(self.tag)

    @property
    def words_key(self) -> str:
        """The catalog key of the words people type to choose it ("arabizi", "بالدارجة")."""
        return f"langwords.{self.tag}"


VARIANTS: dict[str, Variant] = {
    v.tag: v
    for v in (
        Variant("fr", "Latn", ("fr", "ary-Latn", "ar", "ary"), "fr", "fra", "fr"),
        Variant("ar", "Arab", ("ar", "ary", "fr", "ary-Latn"), "ar", "ara", "ar"),
        # CLDR has no plural rules of its own for Darija: it agrees like Arabic (Moroccan Arabic's locale)
        Variant("ary", "Arab", ("ary", "ar", "ary-Latn", "fr"), "ar", "ary", "ar_MA"),
        Variant("ary-Latn", "Latn", ("ary-Latn", "fr", "ary", "ar"), "fr", "ary", "ar_MA"),
    )
}
ALL_LANGS: tuple[Lang, ...] = (Lang.FR, Lang.AR, Lang.ARY, Lang.ARY_LATN)
LANG_TAGS: tuple[str, ...] = tuple(lang.value for lang in ALL_LANGS)
DEFAULT_LANG = Lang.FR
DOCUMENT_LANGS: tuple[str, ...] = ("fr", "ar")  # the languages exports, reports and pages exist in


def variant(tag: str | None) -> Variant:
    """The variant of a tag; the default one (French) for no tag or an unknown one."""
    return VARIANTS.get(tag or "") or VARIANTS[DEFAULT_LANG.value]


def name_key(tag: str) -> str:
    """The catalog key of a variant's name (`langname.<tag>`)."""
    return f"langname.{tag}"


def is_rtl(tag: str | None) -> bool:
    return variant(tag).rtl


def document_language(tag: str | None) -> str:
    """The language ("fr" or "ar") a document, a report or a page is written in for a user."""
    return variant(tag).document


def fallback(tag: str | None) -> tuple[str, ...]:
    """The variants to take a text from, in order, for a reader of `tag` (an unknown tag first,
    then the default variant's order)."""
    known = VARIANTS.get(tag or "")
    if known is not None:
        return known.fallback
    head = (tag,) if tag else ()
    return head + VARIANTS[DEFAULT_LANG.value].fallback


def pick(variants: Mapping[str, Any] | None, tag: str | None) -> str:
    """A text given per variant, in `tag`: the first non-empty one in the fallback order, else any
    non-empty one (a language we do not speak), else ""."""
    if not variants:
        return ""
    for t in fallback(tag):
        if variants.get(t):
            return str(variants[t])
    return next((str(v) for v in variants.values() if v), "")
