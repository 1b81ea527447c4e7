"""Privacy rules shared by storage, the bot and the exports (pure: standard library only).

- `mask_identifiers(text)`: phone numbers, e-mail addresses, national-id-like numbers and
  @handles in free text (a beneficiary's story, a caption) become `MASK`. The poll's consent
  text promises "no name, no phone number"; names cannot be found reliably, so the respondent
  is asked not to write any, and what can be recognised is masked when stored and again in
  every export.
- `day_of(moment)`: the UTC day of a moment, the only precision kept for the times of a
  beneficiary's answers (a finer time would join them to the chat's messages).

Shapes recognised (Latin, Arabic-Indic and Persian digits alike):
- international numbers: `+` or `00`, then 8 to 15 digits with spaces, dots, dashes or
  parentheses (`+212 6 12 34 56 78`, `00212612345678`, `+212 (0)6-12-34-56-78`, `+32 470 12 34 56`);
- Moroccan numbers without the plus: `212` then 9 digits (`212 612345678`);
- national numbers: `0`, a non-zero digit and 8 more digits (`0612345678`, `06 12 34 56 78`,
  `06.12.34.56.78`, `0612-345678`, `٠٦١٢٣٤٥٦٧٨`), one kind of separator throughout (so that a
  date followed by an hour, `05.06.2024 10h`, is left alone);
- e-mail addresses (`amina.b@gmail.com`, also with spaces around the `@`);
- national-id-like numbers: one or two Latin letters and 5 to 10 digits (Moroccan CIN `AB123456`,
  `J 123456` with a space or dash only after capitals, Massar codes `G123456789`); any run of 8 or
  more digits (CNSS, bank accounts, a Telegram or WhatsApp id);
- @handles of 5 to 32 characters (`@amina_b`).
Amounts, years and dates are left as they are (`1 000 000 dh`, `en 2024`, `05/06/2024`).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from domain.text import ASCII_DIGITS

MASK = "•••"

_D = r"\d"  # any decimal digit: Python's \d includes Arabic-Indic and Persian digits
_ZERO = "[0\u0660\u06f0]"
_NON_ZERO = "[1-9\u0661-\u0669\u06f1-\u06f9]"
_SEP = "[ .\\-\u00a0]"

_EMAIL = re.compile(r"[\w.+\-]+\s?@\s?[\w\-]+(?:\.[\w\-]+)+")
# `+` or `00`, then digits, separators and parentheses, ending with a digit; checked in _phone
_INTERNATIONAL = re.compile(
    rf"(?<![\w+(])(?:\(\s?)?(?:\+\s?\(?{_D}|{_ZERO}{_ZERO}[ \-]?{_NON_ZERO})[{_D} ().\-\u00a0]{{5,24}}{_D}(?!{_D})"
)
_MOROCCO = re.compile(rf"(?<![\w+])212{_SEP}?[5-8\u0665-\u0668\u06f5-\u06f8](?:{_SEP}?{_D}){{8}}(?!{_D})")
_NATIONAL = re.compile(rf"(?<![\w+]){_ZERO}{_NON_ZERO}(?:{_SEP}?{_D}){{8}}(?!{_D})")
_ID_UPPER = re.compile(rf"(?<!\w)[A-Z]{{1,2}}[ \-]?{_D}{{5,10}}(?!\w)")
_ID_ANY = re.compile(rf"(?<!\w)[A-Za-z]{{1,2}}{_D}{{5,10}}(?!\w)")
_DIGIT_RUN = re.compile(rf"(?<!{_D}){_D}{{8,}}(?!{_D})")
_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z][A-Za-z0-9_]{4,31}(?![\w@])")
_SEPARATOR_CHARS = " .-\u00a0"


def _digits(text: str) -> str:
    return "".join(c for c in text.translate(ASCII_DIGITS) if c.isascii() and c.isdigit())


def _international(m: re.Match[str]) -> str:
    """Mask the longest prefix of the span that is a whole international number (8 to 15
    digits after `+`, 10 to 17 after `00`); a span that never is one stays as it is."""
    span = m.group(0)
    plus = span.startswith("+")
    low, high = (8, 15) if plus else (10, 17)
    end = len(span)
    while end > 0:
        part = span[:end].rstrip(" ().-\u00a0")
        n = len(_digits(part))
        if low <= n <= high:
            return MASK + span[len(part) :]
        if n < low:
            break
        # drop the last group of digits (a following number glued to the phone)
        cut = max(part.rfind(c) for c in " ().-\u00a0")
        if cut <= 0:
            break
        end = cut
    return span


def _consistent(m: re.Match[str]) -> str:
    """A national number uses one kind of separator throughout (or none)."""
    span = m.group(0)
    kinds = {c for c in span if c in _SEPARATOR_CHARS}
    return MASK if len(kinds) <= 1 else span


def mask_identifiers(text: str | None) -> str | None:
    """`text` with every phone number, e-mail address, id-like number and @handle replaced by
    MASK (see the module's docstring). Idempotent; None stays None."""
    if not text:
        return text
    out = _EMAIL.sub(MASK, text)
    out = _INTERNATIONAL.sub(_international, out)
    out = _MOROCCO.sub(MASK, out)
    out = _NATIONAL.sub(_consistent, out)
    out = _ID_UPPER.sub(MASK, out)
    out = _ID_ANY.sub(MASK, out)
    out = _DIGIT_RUN.sub(MASK, out)
    return _HANDLE.sub(MASK, out)


def day_of(moment: datetime) -> datetime:
    """The UTC day of `moment` (00:00 UTC, timezone-aware)."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: expected a timezone-aware moment")
    utc = moment.astimezone(timezone.utc)
    return datetime(utc.year, utc.month, utc.day, tzinfo=timezone.utc)
