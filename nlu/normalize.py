"""Arabic, Arabizi and French text normalisation, shared by training and parsing.

The same function prepares the Rasa training examples (at train time) and every message sent to
Rasa (at parse time), so the model never sees a spelling it was not trained on:

- Arabic: diacritics (harakat, shadda, sukun, dagger alef) and tatweel removed; alef variants
  (أ إ آ ٱ) → ا; alef maqsura ى and Farsi yeh ی → ي; taa marbuta ة → ه; ؤ → و, ئ → ي;
  Persian kaf ک → ك; Arabic punctuation (، ؛ ؟) → Latin punctuation.
- Digits: Arabic-Indic (٠-٩) and Persian (۰-۹) → 0-9; ٪ → %.
- Latin: lower case, accents removed (é → e, ç → c), œ → oe; typographic apostrophes → '.
- Letter elongation: a letter repeated three times or more is kept once (شكراااا, merciiii).
- Whitespace runs collapse to one space; leading and trailing space is dropped.

`normalize_with_map` also returns, for each output character, the index of the input character it
comes from, so entity offsets found in normalised text can be mapped back to the user's text.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from domain.text import DIGIT_MAP

_ARABIC_DIACRITICS = set(range(0x064B, 0x0653)) | {0x0670, 0x0640, 0x0654, 0x0655, 0x06E1}
_MAP: dict[str, str] = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ى": "ي",
    "ی": "ي",
    "ې": "ي",
    "ئ": "ي",
    "ة": "ه",
    "ۃ": "ه",
    "ؤ": "و",
    "ک": "ك",
    "ڭ": "ك",
    "گ": "ك",
    "ڤ": "ف",
    "پ": "ب",
    "،": ",",
    "؛": ";",
    "؟": "?",
    "٪": "%",
    "٫": ".",
    "٬": ",",
    "’": "'",
    "‘": "'",
    "`": "'",
    "´": "'",
    "«": '"',
    "»": '"',
    "“": '"',
    "”": '"',
    "œ": "oe",
    "æ": "ae",
    "ß": "ss",
    "\u200c": "",
    "\u200d": "",
    "\u200e": "",
    "\u200f": "",
    "\ufeff": "",
}
_MAP.update({chr(c): chr(d) for c, d in DIGIT_MAP.items()})


@lru_cache(maxsize=8192)
def _char(c: str) -> str:
    """Normalised form of one input character (may be empty or two characters)."""
    if c in _MAP:
        return _MAP[c]
    o = ord(c)
    if o in _ARABIC_DIACRITICS:
        return ""
    if c.isspace():
        return " "
    if o < 0x80:
        return c.lower()
    if 0x0600 <= o <= 0x06FF:
        return c
    # Latin with accents: decompose and drop combining marks.
    decomposed = unicodedata.normalize("NFKD", c)
    base = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return base.lower() if base else ""


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Normalise `text`; return it with, per output char, its source index (plus a final sentinel)."""
    norm, mapping = _normalize_with_map(text or "")
    return norm, list(mapping)


# One message is normalised by language id, the Rasa request, the lexicon, the number
# extractor…: the last few texts are kept (about ten calls per message became one).
@lru_cache(maxsize=256)
def _normalize_with_map(text: str) -> tuple[str, tuple[int, ...]]:
    out: list[str] = []
    src: list[int] = []
    for i, c in enumerate(text or ""):
        for ch in _char(c):
            if ch == " ":
                if not out or out[-1] == " ":
                    continue
            out.append(ch)
            src.append(i)
    # Letter elongation: runs of 3+ identical letters keep one.
    res: list[str] = []
    rsrc: list[int] = []
    n = len(out)
    i = 0
    while i < n:
        j = i
        while j + 1 < n and out[j + 1] == out[i]:
            j += 1
        run = j - i + 1
        if run >= 3 and out[i].isalpha():
            res.append(out[i])
            rsrc.append(src[i])
        else:
            res.extend(out[i : j + 1])
            rsrc.extend(src[i : j + 1])
        i = j + 1
    while res and res[-1] == " ":
        res.pop()
        rsrc.pop()
    rsrc.append(len(text or ""))
    return "".join(res), tuple(rsrc)


def normalize(text: str) -> str:
    """The normalised text (see module doc)."""
    return normalize_with_map(text)[0]


def map_span(mapping: list[int], start: int, end: int) -> tuple[int, int]:
    """Map a [start, end) span of normalised text back to the original text."""
    if not mapping:
        return 0, 0
    last = len(mapping) - 1
    s = mapping[min(start, last)]
    if end <= 0:
        return s, s
    e = mapping[min(end - 1, last)] + 1 if end - 1 < last else mapping[last]
    return s, max(s, e)


ARABIC_RANGE = ("\u0600", "\u06ff")


def is_arabic_char(c: str) -> bool:
    return "\u0600" <= c <= "\u06ff" or "\u0750" <= c <= "\u077f" or "\ufb50" <= c <= "\ufeff"


def has_letters_or_digits(text: str) -> bool:
    """True when the text holds at least one letter or digit (not just emoji/punctuation/space)."""
    for c in text or "":
        cat = unicodedata.category(c)
        if cat[0] in ("L", "N"):
            return True
    return False
