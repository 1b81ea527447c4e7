"""SMART check, direction of the target: from the words typed with the target, the library
indicator, and the effect (its direction words, a bound in its statement, its polarity), in the
four variants, on the knowledge base's real lexicon."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from domain.effects import smart_check, wanted_direction
from domain.records import Indicator
from knowledge.loader import load_knowledge

from bot.handlers._coaching import lexicon

LEX = lexicon(SimpleNamespace(services=SimpleNamespace(knowledge=load_knowledge())))
UP, DOWN = "target_not_above_baseline", "target_not_below_baseline"

# (effect statement, polarity, library direction, bound typed with the target, baseline, target,
#  the direction finding expected or None)
CASES = [
    # issue 12: "au moins" / "على الأقل" / "3la l2a9al" are bounds, not "moins" = decrease
    ("Au moins 30 % des jeunes formés trouvent un emploi d'ici 2027", "positive", None, None, 0, 1500, None),
    ("Au moins 30 % des jeunes formés trouvent un emploi d'ici 2027", "positive", None, None, 50, 30, UP),
    ("Les jeunes trouvent un emploi", "positive", None, "at_least", 0, 1500, None),
    ("Les jeunes trouvent un emploi", "positive", None, "at_least", 50, 30, UP),
    ("على الأقل 30 في المائة من الشباب يجدون عملا", "positive", None, None, 0, 40, None),
    ("على الأقل 30 في المائة من الشباب يجدون عملا", "positive", None, None, 40, 10, UP),
    ("3la l2a9al 30% dyal chabab ghadi yl9aw khedma", "positive", None, None, 5, 30, None),
    ("3la l2a9al 30% dyal chabab ghadi yl9aw khedma", "positive", None, None, 30, 5, UP),
    ("على الأقل نص الشباب غادي يلقاو خدمة", "positive", None, None, 10, 50, None),
    # "moins de" / "أقل من" in the target: a ceiling, the figure should fall
    ("Le décrochage scolaire des filles", "positive", None, "at_most", 20, 5, None),
    ("Le décrochage scolaire des filles", "positive", None, "at_most", 5, 20, DOWN),
    ("الهدر المدرسي عند البنات", "positive", None, "at_most", 30, 10, None),
    ("الهدر المدرسي عند البنات", "positive", None, "at_most", 10, 30, DOWN),
    # direction words of the effect
    ("Moins de jeunes au chômage dans le quartier", "positive", None, None, 40, 20, None),
    ("Moins de jeunes au chômage dans le quartier", "positive", None, None, 20, 40, DOWN),
    ("أقل من نصف النساء يعانين من العزلة", "positive", None, None, 60, 40, None),
    ("Le chômage des jeunes diminue", "positive", None, None, 40, 25, None),
    ("Le chômage des jeunes diminue", "positive", None, None, 25, 40, DOWN),
    ("ينخفض عدد الشباب العاطلين", "positive", None, None, 100, 60, None),
    ("الشباب اللي بلا خدمة غادي ينقص", "positive", None, None, 100, 150, DOWN),
    ("chabab li bla khedma ghadi yn9ess", "positive", None, None, 80, 50, None),
    ("Les femmes participent davantage aux réunions", "positive", None, None, 10, 30, None),
    ("Les femmes participent davantage aux réunions", "positive", None, None, 30, 10, UP),
    ("النساء غادي يشاركو كثر فالاجتماعات", "positive", None, None, 5, 20, None),
    ("nssa ghadi ycharko ktar f les réunions", "positive", None, None, 20, 5, UP),
    ("Les jeunes arrêtent de fumer", "positive", None, None, 30, 10, None),
    ("Les jeunes arrêtent de fumer", "positive", None, None, 10, 30, DOWN),
    # the library indicator's own direction beats the effect's words
    ("Moins de jeunes au chômage", "positive", "increase", None, 20, 40, None),
    ("Moins de jeunes au chômage", "positive", "increase", None, 40, 20, UP),
    ("Les jeunes trouvent un emploi", "positive", "decrease", None, 40, 20, None),
    # ... but the words typed with the target beat the library
    ("Les jeunes trouvent un emploi", "positive", "decrease", "at_least", 20, 40, None),
    # a negative (unexpected) effect is followed to see it shrink
    ("Les filles gardent les petits à la maison", "negative", None, None, 30, 10, None),
    ("Les filles gardent les petits à la maison", "negative", None, None, 10, 30, DOWN),
    ("البنات كيبقاو فالدار يحضيو الصغار", "negative", None, None, 10, 30, DOWN),
    ("Moins de clients pour les commerçants du souk", "negative", None, None, 100, 150, None),
    ("Moins de clients pour les commerçants du souk", "negative", None, None, 150, 100, UP),
    # nothing said: an increase is expected
    ("Les jeunes trouvent un emploi", "positive", None, None, 10, 10, UP),
    ("Les jeunes trouvent un emploi", "positive", None, None, 10, 12, None),
    # keep: the target must not fall below the baseline
    ("Les jeunes restent inscrits au club", "positive", None, None, 50, 50, None),
    ("Les jeunes restent inscrits au club", "positive", None, None, 50, 40, "target_below_baseline_to_keep"),
]


@pytest.mark.parametrize(
    "statement, polarity, library, bound, base, target, expected",
    CASES,
    ids=[f"{i}:{c[0][:30]}" for i, c in enumerate(CASES)],
)
def test_direction_of_the_target(statement, polarity, library, bound, base, target, expected):
    direction = wanted_direction(
        target_bound=bound, library=library, statement=statement, polarity=polarity, lexicon=LEX
    )
    ind = Indicator(
        label="x",
        unit="number",
        definition="d",
        baseline_value=base,
        baseline_date=date(2026, 1, 1),
        baseline_source="s",
        target_value=target,
        target_date=date(2027, 12, 31),
        source="s",
        frequency="yearly",
        collector="c",
        disaggregation=["sex"],
    )
    codes = {f.code for f in smart_check(ind, direction=direction, today=date(2026, 12, 1))}
    direction_codes = codes & {UP, DOWN, "target_below_baseline_to_keep"}
    assert direction_codes == ({expected} if expected else set()), (direction, codes)


def test_the_table_is_big_enough():
    assert len(CASES) >= 30


@pytest.mark.parametrize(
    "text, bound",
    [
        ("au moins 30 %", "at_least"),
        ("pas moins de 30", "at_least"),
        ("moins de 30", "at_most"),
        ("على الأقل 30", "at_least"),
        ("أقل من 30", "at_most"),
        ("3la l2a9al 30", "at_least"),
        ("machi ktar men 30", "at_most"),
        ("les jeunes trouvent un emploi", None),
    ],
)
def test_bounds_in_a_statement(text, bound):
    assert LEX.bound_in(text) == bound
