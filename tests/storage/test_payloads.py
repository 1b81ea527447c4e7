"""Inbound payloads made storable (storage/payloads.py): what a database refuses is mended, what
no real channel sends is refused, and an ordinary payload is kept as it is (the same object)."""

from __future__ import annotations

import math

import pytest

from storage.payloads import MAX_DEPTH, Unstorable, dead_text, storable


def nest(n: int):
    v: object = "x"
    for _ in range(n):
        v = [v]
    return v


@pytest.mark.parametrize(
    "given, stored",
    [
        ({"text": "sa\x00lam"}, {"text": "salam"}),
        ({"text": "x\ud800y\udfff"}, {"text": "x\ufffdy\ufffd"}),
        (
            {"caption": "🧵\x00", "date": float("nan"), "f": float("inf")},
            {"caption": "🧵", "date": None, "f": None},
        ),
        ({"k\x00ey": ["a\x00", {"b": -math.inf}]}, {"key": ["a", {"b": None}]}),
        (
            {"text": "سلام 3afak ✅", "n": 1.5, "id": 12345678901234567890, "ok": True, "z": None},
            {"text": "سلام 3afak ✅", "n": 1.5, "id": 12345678901234567890, "ok": True, "z": None},
        ),
    ],
    ids=["NUL", "lone surrogates", "NaN and infinities", "keys and nesting", "ordinary"],
)
def test_what_databases_refuse_is_mended(given, stored):
    assert storable(given) == stored


def test_an_ordinary_payload_is_not_copied():
    p = {"update_id": 1, "message": {"text": "salam", "entities": [{"offset": 0}]}}
    assert storable(p) is p


@pytest.mark.parametrize(
    "given",
    [
        nest(MAX_DEPTH + 1),
        {"text": "x" * 70_000},
        list(range(25_000)),
    ],
    ids=["too deep", "a string too long", "too many values"],
)
def test_what_no_channel_sends_is_refused(given):
    with pytest.raises(Unstorable):
        storable(given)
    assert storable(nest(MAX_DEPTH - 1)) == nest(MAX_DEPTH - 1)


def test_dead_text_is_ascii_whatever_it_is_given():
    for value in ({"t": "\x00\ud800é", "n": float("nan")}, b"\xff\x00{", "نص\x00", nest(5000)):
        text = dead_text(value)
        assert text.isascii() and "\x00" not in text
