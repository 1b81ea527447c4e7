"""domain.buttons' codec: every kind encodes to the wire format the bot has always sent, reads
back what it encoded, stays within Telegram's 64 bytes, and `decode` never raises."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import buttons as b


@pytest.mark.parametrize(
    "button,wire",
    [
        (b.ProjectPick(12), "prj:12"),
        (b.RecordPick(7), "rec:7"),
        (b.PollPick(3), "pp:3"),
        (b.StoryPick(9), "ps:9"),
        (b.ExportPoll(5), "exp:p:5"),
        (b.LanguagePick("ary-Latn"), "lang:ary-Latn"),
        (b.PublicPick("youth"), "pub:youth"),
        (b.ExportWhat("logframe"), "exp:w:logframe"),
        (b.LessonGo("smart"), "lsn:go:smart"),
        (b.HorizonMonths(12), "hz:12"),
        (b.HorizonYear(2027), "hz:y2027"),
        (b.TargetShare(30), "tg:30p"),
        (b.TargetShare(12.5), "tg:12.5p"),
        (b.YesNo(True), "yn:1"),
        (b.YesNo(False), "yn:0"),
        (b.PollAnswer(3, "yes"), "pq:3:yes"),
        (b.PollAnswer(0, "a b"), "pq:0:a b"),  # a choice imported from a form may hold a space
        (b.DayPick("2026-01-01"), "day:2026-01-01"),
    ],
)
def test_wire_format_and_round_trip(button, wire):
    assert button.encode() == wire
    assert b.decode(wire) == button
    assert type(button).read(wire) == button


@pytest.mark.parametrize(
    "data",
    [
        "prj:more",  # a constant button under a kind's prefix
        "prj:0",
        "prj:-1",
        "prj:١",
        f"prj:{2**63}",
        "hz:0",
        "hz:121",
        "hz:y1999",
        "tg:0p",
        "tg:infp",
        "tg:30",
        "yn:2",
        "pq:skip",
        "pq:3:",
        "pq::yes",
        "pq:03:yes",  # the index as written
        "pq:3:yes\n",
        "lang:",
        "lang:fr ar",
        "lang:fr\n",
        "zz:1",
        "pub:" + "x" * 61,  # over 64 bytes
        "",
        None,
        42,
        b"prj:1",
    ],
)
def test_malformed_data_decodes_to_none(data):
    assert b.decode(data) is None


def test_a_kind_reads_only_its_own_data():
    assert b.ProjectPick.read("pp:3") is None
    assert b.PollPick.read("pp:3") == b.PollPick(3)
    assert b.HorizonMonths.read("hz:y2027") is None
    assert b.HorizonYear.read("hz:y2027") == b.HorizonYear(2027)


@pytest.mark.parametrize(
    "button",
    [b.PublicPick("é" * 40), b.PublicPick("a b"), b.PublicPick(""), b.ProjectPick(0), b.HorizonMonths(121)],
)
def test_encode_refuses_data_that_would_not_read_back(button):
    with pytest.raises(ValueError):
        button.encode()


def test_clipped_kinds_stay_within_64_bytes():
    long_id = "indicateur_" + "ع" * 60
    for button in (b.IndicatorSuggestion(long_id), b.ExamplePick(long_id), b.PollAnswer(2, long_id)):
        data = button.encode()
        assert len(data.encode("utf-8")) <= b.MAX_DATA
        assert data.startswith(button.PREFIX)
        assert b.decode(data) is not None  # clipped on a character boundary, still well formed


def test_prefixes_are_unique():
    prefixes = [k.PREFIX for k in b._KINDS]
    assert len(prefixes) == len(set(prefixes))


@given(st.one_of(st.text(max_size=80), st.binary(max_size=80), st.integers(), st.none()))
def test_decode_is_total(data):
    found = b.decode(data)
    if found is not None:
        assert isinstance(data, str) and len(data.encode("utf-8")) <= b.MAX_DATA


@given(st.sampled_from([k.PREFIX for k in b._KINDS]), st.text(max_size=70))
def test_decoded_buttons_encode_to_data_that_decodes_the_same(prefix, tail):
    found = b.decode(prefix + tail)
    if found is not None:  # "hz:012" reads as 12 and is sent as "hz:12"
        assert b.decode(found.encode()) == found


@pytest.mark.parametrize("data", ["hz:012", "tg:30.0p", "prj:007"])
def test_non_canonical_data_reads_as_its_value(data):
    found = b.decode(data)
    assert found is not None and found.encode() != data and b.decode(found.encode()) == found
