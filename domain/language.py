"""Language variants Athar speaks (NLU contract tags)."""

from __future__ import annotations

from enum import Enum


class Lang(str, Enum):
    FR = "fr"
    AR = "ar"
    ARY = "ary"
    ARY_LATN = "ary-Latn"

    @property
    def rtl(self) -> bool:
        """Arabic-script variants read right to left."""
        return self in (Lang.AR, Lang.ARY)

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


ALL_LANGS: tuple[Lang, ...] = (Lang.FR, Lang.AR, Lang.ARY, Lang.ARY_LATN)
DEFAULT_LANG = Lang.FR
