"""Inbound payloads made storable before they are recorded (no poison message).

A channel's JSON may hold what a database refuses: PostgreSQL's JSONB refuses U+0000 and a
lone surrogate cannot be encoded as UTF-8 for any column; NaN and infinities are not JSON at
all (Python's parser accepts them); and a deeply nested or huge payload costs every reader.
`storable` returns the payload with NUL removed, lone surrogates replaced by U+FFFD and
non-finite numbers replaced by null, or raises `Unstorable` when it is deeper or bigger than
any real channel payload (those are refused, and kept as dead letters in `dead_text` form).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 32  # a Telegram update is about 8 deep, a WhatsApp event about 9
MAX_NODES = 20_000  # values in one payload
MAX_STRING = 65_536  # characters in one string
DEAD_TEXT_LIMIT = 65_536

_SURROGATE = re.compile("[\ud800-\udfff]")


class Unstorable(ValueError):
    """A payload no database should keep as it is."""


def _text(s: str) -> str:
    if len(s) > MAX_STRING:
        raise Unstorable(f"a string of {len(s)} characters")
    if "\x00" in s:
        s = s.replace("\x00", "")
    if not s.isascii() and _SURROGATE.search(s):
        s = _SURROGATE.sub("\ufffd", s)
    return s


def storable(value: Any) -> Any:
    """`value` (parsed JSON) as every database can store it; the same object when nothing
    needed changing. Raises Unstorable."""
    budget = [MAX_NODES]

    def walk(v: Any, depth: int) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise Unstorable(f"more than {MAX_NODES} values")
        if isinstance(v, str):
            return _text(v)
        if isinstance(v, float):
            return v if math.isfinite(v) else None
        if isinstance(v, dict):
            if depth >= MAX_DEPTH:
                raise Unstorable(f"nested deeper than {MAX_DEPTH}")
            out = None
            for i, (k, item) in enumerate(v.items()):
                k2 = _text(k) if isinstance(k, str) else str(k)
                item2 = walk(item, depth + 1)
                if out is None and (k2 is not k or item2 is not item):
                    out = dict(list(v.items())[:i])
                if out is not None:
                    out[k2] = item2
            return v if out is None else out
        if isinstance(v, list):
            if depth >= MAX_DEPTH:
                raise Unstorable(f"nested deeper than {MAX_DEPTH}")
            items = [walk(item, depth + 1) for item in v]
            return v if all(a is b for a, b in zip(items, v)) else items
        return v

    return walk(value, 0)


def dead_text(value: Any) -> str:
    """Any payload (parsed or raw) as ASCII text every column can hold, cut to a sane length."""
    if isinstance(value, (bytes, bytearray)):
        text = bytes(value[:DEAD_TEXT_LIMIT]).decode("utf-8", "backslashreplace")
    elif isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=True, default=repr)
        except (ValueError, RecursionError) as exc:
            text = f"(not printable: {type(exc).__name__})"
    text = text[:DEAD_TEXT_LIMIT]
    return text.encode("ascii", "backslashreplace").decode("ascii").replace("\x00", "\\x00")
