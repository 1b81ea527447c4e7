"""Dates written in words (nlu.dates) and their resolution against today (domain.dates)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.dates import period_of, read_date, resolve
from nlu.dates import extract

TODAY = date(2026, 12, 3)


@pytest.mark.parametrize(
    "text, value",
    [
        ("fevrier 2027", "2027-02"),
        ("février 2027", "2027-02"),
        ("Fév. 2027", "2027-02"),
        ("يونيو 2027", "2027-06"),
        ("ghocht 2027", "2027-08"),
        ("شتنبر 2027", "2027-09"),
        ("15 mars 2027", "2027-03-15"),
        ("le 1er avril 2027", "2027-04-01"),
        ("fin mars", "end:--03"),
        ("début juin", "start:--06"),
        ("mi-juillet 2027", "mid:2027-07"),
        ("f akhir chtenber", "end:--09"),
        ("آخر شهر مارس", "end:--03"),
        ("fin du mois de mars", "end:--03"),
        ("نهاية السنة", "end:Y+0"),
        ("نهاية السنة المقبلة", "end:Y+1"),
        ("l3am jay", "Y+1"),
        ("f lakhr dyal l3am", "end:Y+0"),
        ("avant la fin de l'année", "end:Y+0"),
        ("le mois prochain", "M+1"),
        ("ce mois-ci", "M+0"),
        ("d'ici fin 2027", "end:2027"),
        ("فآخر يونيو 2027", "end:2027-06"),
        # the past, for a baseline
        ("le mois dernier", "M-1"),
        ("l'an dernier", "Y-1"),
        ("fin de l'année dernière", "end:Y-1"),
        ("الشهر الماضي", "M-1"),
        ("السنة الماضية", "Y-1"),
        ("العام اللي فات", "Y-1"),
        ("chhar li fat", "M-1"),
        ("f lbdya dyal l3am li fat", "start:Y-1"),
    ],
)
def test_dates_in_words(text, value):
    assert [d.value for d in extract(text)] == [value]


@pytest.mark.parametrize("text", ["2026", "12 mois", "f 6 chhor", "l3am", "les jeunes", "sept jeunes"])
def test_no_date_where_there_is_none(text):
    assert [d.value for d in extract(text)] == []


@pytest.mark.parametrize(
    "value, end, past, day",
    [
        ("2027-02", True, False, date(2027, 2, 28)),
        ("2027-02", False, False, date(2027, 2, 1)),
        ("end:--03", False, False, date(2027, 3, 31)),  # next March, end of it
        ("--11", False, True, date(2026, 11, 1)),
        ("--12", True, False, date(2026, 12, 31)),
        ("start:--06", True, False, date(2027, 6, 1)),
        ("mid:2027-07", True, False, date(2027, 7, 15)),
        ("Y+1", True, False, date(2027, 12, 31)),
        ("end:Y+0", False, False, date(2026, 12, 31)),
        ("M+1", True, False, date(2027, 1, 31)),
        ("M-1", False, True, date(2026, 11, 1)),
        ("Y-1", False, True, date(2025, 1, 1)),
        ("end:Y-1", False, True, date(2025, 12, 31)),
        ("2027-02-30", True, False, None),
        ("nonsense", True, False, None),
    ],
)
def test_resolve(value, end, past, day):
    assert resolve(value, TODAY, end=end, past=past) == day


def test_read_date_takes_words_then_durations_then_digits():
    assert read_date("fin mars", ["end:--03"], [], TODAY, end=True) == (date(2027, 3, 31), True)
    assert read_date("f 6 chhor", [], [6.0], TODAY, end=True) == (date(2027, 6, 30), True)
    assert read_date("il y a 6 mois", [], [6.0], TODAY, past=True) == (date(2026, 6, 1), True)
    assert read_date("31/03/2027", [], [], TODAY, end=True) == (date(2027, 3, 31), False)
    assert read_date("demain", [], [], TODAY) == (None, False)


@pytest.mark.parametrize(
    "value, period",
    [
        ("M-1", "2026-11"),
        ("M+0", "2026-12"),
        ("--03", "2026-03"),
        ("end:--03", "2026-03"),
        ("2026-05", "2026-05"),
        ("2026-05-14", "2026-05"),
        ("Y-1", "2025"),
        ("end:2026", "2026"),
        ("Y+0", "2026"),
        ("nonsense", None),
    ],
)
def test_the_period_of_a_measurement(value, period):
    assert period_of(value, TODAY) == period
