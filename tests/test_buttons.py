"""domain.buttons: the parsers of button data never raise and return a value only for
well-formed data within range."""

from __future__ import annotations

import pytest

from domain import buttons


@pytest.mark.parametrize(
    "data,expected",
    [
        ("tg:30p", 30.0),
        ("tg:12.5p", 12.5),
        ("tg:100p", 100.0),
        ("tg:1p", 1.0),
        ("tg:0p", None),
        ("tg:-5p", None),
        ("tg:1000p", None),
        ("tg:infp", None),
        ("tg:nanp", None),
        ("tg:1e3p", None),
        ("tg:abcp", None),
        ("tg:p", None),
        ("tg:", None),
        ("tg:30", None),
        ("tg: 30p", None),
        ("tg:٣٠p", None),
        ("tg:30pp", None),
        ("xx:30p", None),
        ("tg:9" * 40 + "p", None),
        (None, None),
        (30, None),
    ],
)
def test_number(data, expected):
    assert buttons.number(data, "tg:", lo=1, hi=100, suffix="p") == expected


@pytest.mark.parametrize(
    "data,expected",
    [
        ("prj:1", 1),
        ("prj:42", 42),
        ("prj:0", None),
        ("prj:-1", None),
        ("prj:+1", None),
        ("prj:1.0", None),
        ("prj: 1", None),
        ("prj:١", None),
        ("prj:", None),
        ("prj:abc", None),
        ("prj:99999999999999999999", None),
        (f"prj:{2**63}", None),
        ("prj:1\n", None),
    ],
)
def test_record_id(data, expected):
    found = buttons.ProjectPick.read(data)  # a stored record's id, as every IdButton reads it
    assert (found.id if found is not None else None) == expected


def test_integer_range_and_suffix():
    assert buttons.integer("hz:12", "hz:", lo=1, hi=120) == 12
    assert buttons.integer("hz:121", "hz:", lo=1, hi=120) is None
    assert buttons.integer("hz:y2027", "hz:", lo=1, hi=120) is None
    assert buttons.integer("hz:y2027", "hz:y", lo=2000, hi=2100) == 2027


def test_tail():
    assert buttons.tail("a:b", "a:") == "b"
    assert buttons.tail("a:", "a:") is None
    assert buttons.tail("a:" + "é" * 40, "a:") is None  # over 64 bytes: never ours
    assert buttons.tail("a:\ud800", "a:") == "\ud800"  # a lone surrogate does not raise
