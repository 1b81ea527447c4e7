"""Issue 17 item 5: every module has cards, a practice question and an artefact in the four
variants; its practice can be judged; the moments of need are covered; the Darija reads as
Darija (language id on every text long enough to judge)."""

from __future__ import annotations

import re

import pytest

from bot.i18n import load_entries
from domain.knowledge import LANG_TAGS, MOMENTS, PRACTICE_VALUES, Practice
from knowledge.loader import KnowledgeError, load_lessons

LESSONS = load_lessons()
VARIANTS = ("fr", "ar", "ary", "ary-Latn")


def texts(lesson):
    """(where, Text4) of everything a module says."""
    yield "title", lesson.title
    yield "goal", lesson.goal
    yield "artefact", lesson.artefact
    yield "question", lesson.practice.question
    for i, card in enumerate(lesson.cards):
        yield f"card{i}.title", card.title
        yield f"card{i}.body", card.body
    for o in lesson.practice.options:
        yield f"{o.id}.label", o.label
        yield f"{o.id}.why", o.why


def test_eight_modules_each_with_cards_practice_and_artefact_in_four_variants():
    assert [m.number for m in LESSONS] == list(range(1, 9))
    for m in LESSONS:
        assert 3 <= len(m.cards) <= 5, m.id  # read one at a time: at most five messages
        assert m.practice is not None and m.artefact is not None
        for where, t in texts(m):
            for tag in VARIANTS:
                assert t.get(tag).strip(), f"{m.id}.{where} has no {tag}"
            # four real variants: Darija is never the MSA or French text again
            assert t.get("ary") != t.get("ar") or where.endswith("title") or len(t.get("ar")) < 25, (
                f"{m.id}.{where}: the Darija is the MSA text"
            )
            assert t.get("ary-Latn") != t.get("fr") or len(t.get("fr")) < 25, (
                f"{m.id}.{where}: the Arabizi is the French text"
            )


def test_every_choice_has_one_right_option_and_says_why_for_each():
    for m in LESSONS:
        p = m.practice
        if p.kind == "choice":
            assert sum(o.correct for o in p.options) == 1, m.id
            assert all(o.why.get("fr") for o in p.options)
        else:
            assert not p.options


def test_every_moment_of_need_offers_exactly_one_module():
    offered = [x for m in LESSONS for x in m.moments]
    assert sorted(offered) == sorted(MOMENTS)


def test_questions_use_only_the_values_their_kind_gives():
    for m in LESSONS:
        used = set(re.findall(r"\{(\w+)", m.practice.question.fr))
        assert used <= PRACTICE_VALUES[m.practice.kind], m.id


def test_a_choice_with_two_right_options_is_refused(kb_copy):
    def two_right(d):
        for o in d["lessons"][1]["practice"]["options"]:
            o["correct"] = True

    with pytest.raises(KnowledgeError, match="exactly one of them correct"):
        load_lessons(kb_copy("lessons.yml", two_right))


def test_a_module_without_practice_is_refused(kb_copy):
    def no_practice(d):
        del d["lessons"][0]["practice"]

    with pytest.raises(KnowledgeError, match="practice"):
        load_lessons(kb_copy("lessons.yml", no_practice))


def test_a_moment_offering_two_modules_is_refused(kb_copy):
    def moment_twice(d):
        d["lessons"][0]["moments"] = ["effect"]

    with pytest.raises(KnowledgeError, match="moments"):
        load_lessons(kb_copy("lessons.yml", moment_twice))


def test_a_question_with_a_value_its_kind_does_not_give_is_refused():
    q = {tag: "Où placez-vous {who} ?" for tag in LANG_TAGS}
    with pytest.raises(ValueError, match="cannot use"):
        Practice.model_validate({"kind": "level", "question": q})


def _long(text: str) -> str | None:
    plain = re.sub(r"\{[^}]*\}", " ", text)
    return plain if sum(any(c.isalpha() for c in w) for w in plain.split()) >= 6 else None


def test_darija_reads_as_darija_in_both_scripts():
    """Language id (nlu/langid.py, trained on real chat lines) on every module text and lesson
    catalog text of six words or more: the Arabic-script Darija is Darija, not MSA, and the
    Arabizi is Arabizi, not French."""
    from nlu.langid import identify

    checked, wrong = 0, []
    items = [
        (f"{m.id}.{w}", t.get(tag), tag) for m in LESSONS for w, t in texts(m) for tag in ("ary", "ary-Latn")
    ]
    items += [
        (k, e[tag], tag)
        for k, e in load_entries().items()
        if k.startswith("lessons.")
        for tag in ("ary", "ary-Latn")
    ]
    for where, text, tag in items:
        plain = _long(text)
        if plain is None:
            continue
        checked += 1
        got, _ = identify(plain)
        if got != tag:
            wrong.append((where, tag, got, plain[:60]))
    assert checked > 150
    assert not wrong, wrong


def test_the_texts_the_lessons_build_by_name_are_in_the_catalog():
    from bot.handlers._practice import PARTS, SMART_GROUPS
    from bot.i18n import default_catalog
    from domain.effects import LEVELS

    cat = default_catalog()
    keys = (
        [f"lessons.offer.{m}" for m in MOMENTS]
        + [f"lessons.smart.{g}" for g in SMART_GROUPS]
        + ["lessons.smart.complete"]
        + [f"lessons.level.{lv}" for lv in LEVELS]
        + [f"lessons.part.{p}" for p in PARTS]
        + [f"effects.clarify.{lv}" for lv in LEVELS]
    )
    assert [k for k in keys if k not in cat] == []
