"""Typed text against button labels (domain.matching), with the catalog's real words."""

from __future__ import annotations

import pytest

from domain.matching import Choice, Matcher, key, symbols
from domain.text import fold

from bot.i18n import default_catalog

CAT = default_catalog()
LANGS = ("fr", "ar", "ary", "ary-Latn")


def variants(k: str, **params) -> tuple[str, ...]:
    return tuple(CAT.text(k, lang, **params) for lang in LANGS)


def listed(k: str) -> list[str]:
    return [w for v in variants(k) for w in v.split("|")]


MATCHER = Matcher(
    {m: listed(f"words.{m}") for m in ("done", "dont_know", "no", "yes", "skip", "back")},
    listed("words.stop"),
    [sum((v.split(",")[i].split("|") for v in variants("words.ordinals")), []) for i in range(6)],
)


def choice(data: str, k: str, **params) -> Choice:
    labels = variants(k, **params)
    return Choice(data, labels, MATCHER.meanings(labels))


ACTIVITIES = [
    choice("done", "project.activities_done"),
    choice("clear", "project.activities_clear"),
    choice("back", "nav.back"),
]
MORE = [choice("yes", "project.more_yes"), choice("no", "project.more_no")]
POLARITY = [
    choice("pos", "parties.positive"),
    choice("neg", "parties.negative"),
    choice("both", "parties.both"),
]
AFFECTED = [
    choice("yes", "parties.b_yes"),
    choice("no", "parties.b_no"),
    choice("unknown", "parties.unknown"),
    choice("done", "parties.done"),
]


def test_fold_ignores_case_accents_arabic_variants_and_elongation():
    assert fold("ÉDUCATION") == fold("education")
    assert fold("إنهاء الجولة") == fold("انهاء الجوله")
    assert fold("مدرسةٌ") == fold("مدرسه")
    assert fold("على") == fold("علي")
    assert fold("merciiiii !!") == "merci"
    assert fold("شكراااا") == fold("شكرا")
    assert key("Rjje3") == key("rje3")
    assert symbols("👍🏽") == "👍" and symbols("ok 👍") == ""


@pytest.mark.parametrize(
    "typed, steps, want",
    [
        # every label in all four variants, whatever the conversation's language
        ("C'est tout", ACTIVITIES, "done"),
        ("هذا كل شيء", ACTIVITIES, "done"),
        ("هادشي هو", ACTIVITIES, "done"),
        ("hadchi howa", ACTIVITIES, "done"),
        ("c'est toutttt", ACTIVITIES, "done"),
        ("cest tout", ACTIVITIES, "done"),
        # words people type for "that's all"
        ("safi", ACTIVITIES, "done"),
        ("c'est bon", ACTIVITIES, "done"),
        ("صافي", ACTIVITIES, "done"),
        ("ok c'est tout", ACTIVITIES, "done"),
        ("khlass", ACTIVITIES, "done"),
        ("Retour", ACTIVITIES, "back"),
        ("rje3", ACTIVITIES, "back"),
        # "safi" is "that's all" before it is "yes"; "non, c'est tout" is the no-more button
        ("safi", MORE, "no"),
        ("oui", MORE, "yes"),
        ("wakha", MORE, "yes"),
        ("إيه", MORE, "yes"),
        ("👍", MORE, "yes"),
        ("la", MORE, "no"),
        ("non merci", MORE, "no"),
        # emoji of a label, near misses, a label with words around it (loose)
        ("👍", POLARITY, "pos"),
        ("positif bien sûr", POLARITY, "pos"),
        ("negatif", POLARITY, "neg"),
        ("khayb", POLARITY, "neg"),
        ("Positiv", POLARITY, "pos"),
        ("إنهاء الجولة", AFFECTED, "done"),
        ("انهاء الجوله", AFFECTED, "done"),
        ("je sais pas", AFFECTED, "unknown"),
        ("ma3reftch", AFFECTED, "unknown"),
        ("oui", AFFECTED, "yes"),
        ("non", AFFECTED, "no"),
        # ordinals pick by position
        ("le premier", POLARITY, "pos"),
        ("التاني", POLARITY, "neg"),
        ("talet", POLARITY, "both"),
    ],
)
def test_typed_text_selects_the_button_meant(typed, steps, want):
    assert MATCHER.match(typed, steps, loose=True) == want


@pytest.mark.parametrize(
    "typed, steps",
    [
        ("organiser 10 ateliers", ACTIVITIES),  # an answer, not a button
        ("visites d'entreprises; forum emploi", ACTIVITIES),
        ("2", POLARITY),  # numbers are positions or values, the engine decides
        (
            "les deux jeunes",
            [
                choice("a", "common.raw", text="Jeunes filles"),
                choice("b", "common.raw", text="Jeunes garçons"),
            ],
        ),  # ambiguous
    ],
)
def test_what_is_not_a_button_stays_an_answer(typed, steps):
    assert MATCHER.match(typed, steps, loose=True) is None


def test_parts_of_labels_only_on_choice_steps():
    domains = [
        Choice("edu", ("Éducation et formation", "التربية والتكوين")),
        Choice("emp", ("Emploi et revenus", "الشغل والدخل")),
    ]
    assert MATCHER.match("education", domains, loose=True) == "edu"
    assert MATCHER.match("التكوين", domains, loose=True) == "edu"
    assert MATCHER.match("education", domains, loose=False) is None


def test_a_whole_label_choice_is_never_made_by_a_bare_yes():
    delete = [
        Choice("del", variants("myprojects.delete_yes"), (), whole=True),
        choice("keep", "myprojects.delete_no"),
    ]
    assert MATCHER.match("oui", delete, loose=True) is None
    assert MATCHER.match("Oui, supprimer", delete, loose=True) == "del"
    assert MATCHER.match("non", delete, loose=True) == "keep"


def test_a_word_typed_exactly_beats_a_label_it_only_resembles():
    # the coach's direction step in Arabizi: "ybdaw" is one letter away from "yb9aw"
    directions = [
        Choice("start", ("Commencer à faire", "Ybdaw ydiro chi 7aja")),
        Choice("stop", ("Arrêter de faire", "Y7bsso chi 7aja")),
        Choice("keep", ("Continuer, maintenir", "Yb9aw 3liha")),
    ]
    assert MATCHER.match("ybdaw", directions, loose=True) == "start"
    assert MATCHER.match("yb9aw", directions, loose=True) == "keep"
    # two labels with the very word typed stay a question
    twins = [Choice("a", ("Ybdaw ydiro",)), Choice("b", ("Ybdaw y9raw",))]
    assert MATCHER.match("ybdaw", twins, loose=True) is None
