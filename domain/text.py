"""The text toolkit every layer shares: digits, normalisation and the bidirectional controls.

- Digits: Arabic-Indic (٠-٩) and Persian (۰-۹) read as 0-9 (`ASCII_DIGITS`, `ascii_digits`).
- Normalisation: `without_marks` (accents and Arabic harakat dropped), `fold` (the key two typed
  texts are compared by: case, accents, Arabic letter variants, digits, letter elongation and
  punctuation ignored), `ascii_slug` (a file name or an id made of a title). The NLU's normaliser
  (nlu/normalize.py: Rasa's input, part of the trained model's hash) reads digits through
  `DIGIT_MAP`; the coach's `domain.effects.plain` keeps case and offsets for its patterns.
- Direction: `direction` (the first strong character, isolated runs skipped or not), `isolate`
  (the first-strong isolate pair FSI … PDI that keeps a value of the other direction whole inside
  a line), the right-to-left mark, and every bidirectional control (`without_bidi_controls`
  removes them: a spreadsheet cell, a chart label, text compared with what a user typed).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
# str.translate table: both sets of digits → ASCII 0-9 (for combining with other mappings)
DIGIT_MAP: dict[int, int] = {
    **{ord(d): ord("0") + i for i, d in enumerate(ARABIC_INDIC_DIGITS)},
    **{ord(d): ord("0") + i for i, d in enumerate(PERSIAN_DIGITS)},
}
ASCII_DIGITS = str.maketrans(DIGIT_MAP)

FSI, PDI = "\u2068", "\u2069"  # first-strong isolate … pop directional isolate
RLM = "\u200f"  # right-to-left mark
# marks, embeddings, overrides and isolates
BIDI_CONTROLS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_NO_BIDI = str.maketrans(dict.fromkeys(map(ord, BIDI_CONTROLS)))

# Arabic letter variants, mapped after NFKD (which already splits hamza and madda off alef, waw
# and yaa): alef maqsura → yaa, taa marbuta → haa, Farsi yeh and kaf, alef wasla, no tatweel;
# and Arabic-Indic and Persian digits
_LETTERS = str.maketrans(
    {
        0x0649: 0x064A,
        0x0629: 0x0647,
        0x06CC: 0x064A,
        0x06A9: 0x0643,
        0x0671: 0x0627,
        0x0640: None,
        **DIGIT_MAP,
    }
)
_RUNS = re.compile(r"([^\W\d_])\1{2,}")  # letter elongation: "merciiii", "شكراااا" (never "1000")
_NON_WORD = re.compile(r"[\s\W_]+")
_NON_ASCII_WORD = re.compile(r"[^a-z0-9]+")


def ascii_digits(text: str) -> str:
    """The text with Arabic-Indic and Persian digits written 0-9."""
    return text.translate(ASCII_DIGITS)


def without_marks(text: str) -> str:
    """The text in NFKD without its combining marks: "é" is "e", "عَمَل" is "عمل"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Case-, accent-, Arabic-variant-, digit-, elongation- and space-insensitive key for matching
    typed text ("Mérciii !" and "merci" fold alike; so do "٣٠" and "30")."""
    t = unicodedata.normalize("NFKD", text or "").casefold()
    t = "".join(c for c in t if not unicodedata.combining(c)).translate(_LETTERS)
    t = _RUNS.sub(r"\1", t)
    return _NON_WORD.sub(" ", t).strip()


def ascii_slug(text: str, sep: str = "-") -> str:
    """ASCII letters and digits in lower case, every other run one `sep` ("Aït Baha" → "ait-baha")."""
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _NON_ASCII_WORD.sub(sep, t).strip(sep) if sep else _NON_ASCII_WORD.sub("", t)


def without_bidi_controls(text: str) -> str:
    return text.translate(_NO_BIDI)


Direction = Literal["ltr", "rtl"]


def direction(text: str, skip_isolates: bool = True) -> Direction | None:
    """ "rtl" or "ltr" after the first strong character; None when there is none. With
    `skip_isolates` (the Unicode paragraph rule), isolated runs do not count: a French title
    inside an Arabic sentence does not make it left-to-right."""
    depth = 0
    for ch in str(text):
        bidi = unicodedata.bidirectional(ch)
        if skip_isolates and bidi in ("FSI", "LRI", "RLI"):
            depth += 1
        elif skip_isolates and bidi == "PDI":
            depth = max(0, depth - 1)
        elif depth:
            continue
        elif bidi == "L":
            return "ltr"
        elif bidi in ("R", "AL"):
            return "rtl"
    return None


def other_direction(value: str, rtl: bool) -> bool:
    """Whether a value holds characters that read against a line's direction: digits and Latin
    letters in a right-to-left line, Arabic letters in a left-to-right one."""
    if rtl:
        return any(unicodedata.bidirectional(c) in ("L", "EN", "AN") for c in value)
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in value)


def isolate(value: str, rtl: bool, nest: bool = True) -> str:
    """The value between FSI and PDI when it holds characters of the other direction, so that it
    stays whole in the line ("2026-S1" in Arabic, an Arabic name in French). Without `nest`, a
    value that already reads in the line's direction (an Arabic phrase with its own isolated
    number) is left as it is: nested isolates confuse LibreOffice's layout."""
    if not value or not other_direction(value, rtl):
        return value
    if "\n" in value:  # an isolate ends at a paragraph break: each line is isolated on its own
        return "\n".join(isolate(line, rtl, nest) for line in value.split("\n"))
    if not nest and direction(value) == ("rtl" if rtl else "ltr"):
        return value
    return f"{FSI}{value}{PDI}"
