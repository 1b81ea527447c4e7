"""The text toolkit every layer shares: digits and the bidirectional controls.

- Digits: Arabic-Indic (٠-٩) and Persian (۰-۹) read as 0-9 (`ASCII_DIGITS`, `ascii_digits`).
- Direction: the first-strong isolate pair (FSI … PDI) that keeps a value of the other direction
  whole inside a line, the right-to-left mark, and every bidirectional control (`plain` removes
  them: a spreadsheet cell, a chart label, text compared with what a user typed).
"""

from __future__ import annotations

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


def ascii_digits(text: str) -> str:
    """The text with Arabic-Indic and Persian digits written 0-9."""
    return text.translate(ASCII_DIGITS)


def without_bidi_controls(text: str) -> str:
    return text.translate(_NO_BIDI)
