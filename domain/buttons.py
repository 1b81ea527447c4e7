"""Reading button data: small parsers, one per kind of value, each returning the typed value or
None for anything else.

Button data comes back from the user's device: a client may send any string (a forged callback,
an old keyboard, a typed "button"). The engine refuses data that is not one of the current
step's buttons (Engine.answer); the handler that reads the value still checks its type and range
with these parsers, so that nothing but a well-formed value reaches a record. Every parser is
total: it never raises.
"""

from __future__ import annotations

import math
import re
from typing import Collection

MAX_DATA = 64  # bytes: Telegram's limit on callback data, and ours everywhere
MAX_ID = 2**63 - 1  # the largest id a database integer column holds
_DIGITS = re.compile(r"[0-9]{1,18}")
_DECIMAL = re.compile(r"-?[0-9]{1,12}(?:\.[0-9]{1,6})?")


def tail(data: object, prefix: str, suffix: str = "") -> str | None:
    """What follows `prefix` (and precedes `suffix`) in well-formed button data, never empty."""
    if not isinstance(data, str) or len(data.encode("utf-8", "surrogatepass")) > MAX_DATA:
        return None
    if not data.startswith(prefix) or not data.endswith(suffix) or len(data) <= len(prefix) + len(suffix):
        return None
    return data[len(prefix) : len(data) - len(suffix)] if suffix else data[len(prefix) :]


def one_of(data: object, prefix: str, allowed: Collection[str]) -> str | None:
    """The tail when it is one of `allowed` (a code from a fixed list: a level, a unit...)."""
    value = tail(data, prefix)
    return value if value is not None and value in allowed else None


def integer(
    data: object, prefix: str, lo: int | None = None, hi: int | None = None, suffix: str = ""
) -> int | None:
    """A whole number written in ASCII digits (no sign, no spaces, no "1e3"), within [lo, hi]."""
    value = tail(data, prefix, suffix)
    if value is None or not _DIGITS.fullmatch(value):
        return None
    n = int(value)
    if (lo is not None and n < lo) or (hi is not None and n > hi):
        return None
    return n


def record_id(data: object, prefix: str) -> int | None:
    """The id of a stored record: a positive integer a database can hold. Whether the user may
    see that record is the caller's check (ownership), never implied by the id."""
    return integer(data, prefix, lo=1, hi=MAX_ID)


def number(data: object, prefix: str, lo: float, hi: float, suffix: str = "") -> float | None:
    """A finite decimal number ("30", "12.5", "-3") within [lo, hi]: never inf, nan or 1e400."""
    value = tail(data, prefix, suffix)
    if value is None or not _DECIMAL.fullmatch(value):
        return None
    x = float(value)
    if not math.isfinite(x) or x < lo or x > hi:
        return None
    return x
