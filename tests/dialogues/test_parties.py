"""The circle-of-effects dialogue ("parties") through the real dispatcher."""

from __future__ import annotations

import pytest

from knowledge.loader import load_knowledge
from tests.dialogues.helpers import (
    LANGS,
    expect,
    in_language,
    registered_chat,
    seed_projects,
    tamper,
    text_of,
)
from tests.dialogues.test_project import SCRIPTS, _new_project

PARTIES = [p.id for p in load_knowledge().parties]
TYPED = {  # (how the participants change, "yes", families' change, "don't know")
    "fr": ("ils découvrent de nouveaux métiers", "oui", "les filles gardent les petits", "je ne sais pas"),
    "ar": ("يكتشفون مهناً جديدة", "نعم", "البنات يعتنين بالصغار", "لا أعرف"),
    "ary": ("كيكتاشفو خدمات جداد", "إيه", "البنات كيبقاو مع الصغار", "ما عرفتش"),
    "ary-Latn": ("kayktachfo khdmat jdad", "ah", "lbnat kayb9aw m3a sghar", "ma3rftch"),
}


def _label(group: str, lang: str) -> str:
    kb = load_knowledge()
    return kb.party(group).label.get(lang)


@pytest.mark.parametrize("lang", LANGS)
def test_from_a_new_project_around_the_circle(uow_factory, lang):
    chat = registered_chat(uow_factory, lang=lang)
    _new_project(chat, lang, SCRIPTS[lang])
    how_participants, yes, how_families, dont_know = TYPED[lang]
    r = chat.press("next:parties")
    expect(r, "parties.intro", lang, title=SCRIPTS[lang]["title"])
    expect(r, "parties.group", lang, i=1, n=len(PARTIES), label=_label(PARTIES[0], lang))
    r = chat.say(how_participants)  # typed straight away: affected, and how
    expect(r, "parties.ask_polarity", lang, label=_label("participants", lang))
    r = chat.press("pol:positive")
    expect(r, "parties.group", lang, i=2, n=len(PARTIES), label=_label("families", lang))
    r = chat.say(yes)
    expect(r, "parties.ask_how", lang, label=_label("families", lang))
    r = chat.say(how_families)
    r = chat.say("2")  # the second button: negative
    expect(r, "parties.offer_unexpected", lang, label=_label("families", lang))
    r = chat.press("unexp:yes")
    expect(r, "parties.unexpected_noted", lang, label=_label("families", lang))
    r = chat.say(dont_know)
    expect(r, "parties.group", lang, i=4, n=len(PARTIES), label=_label(PARTIES[3], lang))
    r = chat.press("party:done")
    text = expect(r, "parties.summary_title", lang)
    assert how_participants in text and how_families in text and in_language(r, lang)
    r = chat.press("sys:confirm")
    expect(r, "parties.saved", lang, n=2, k=1)
    with uow_factory() as uow:
        (s,) = uow.projects.list()
        p = uow.projects.get(s.id)
        audit = [a for a in uow.audit.list() if a.action == "project.parties_updated"]
    assert [(x.group, x.kind, x.how_affected, x.polarity) for x in p.stakeholders] == [
        ("participants", "direct", how_participants, "positive"),
        ("families", "indirect", how_families, "negative"),
    ]
    (effect,) = p.effects
    assert (effect.statement, effect.expected, effect.polarity, effect.party) == (
        how_families,
        False,
        "negative",
        "families",
    )
    assert audit[0].detail == {"groups": ["families", "participants"], "unexpected_added": 1}


def _open_parties(chat, project_id):
    chat.press("menu:my_projects")
    chat.press(f"prj:{project_id}")
    return chat.press("card:parties")


WRONG = {"empty": "", "emoji": "🙂👍🎉", "huge": "x" * 10_000, "number": "42", "word": "beaucoup"}


def test_a_wrong_answer_at_every_step_changes_nothing(sqlite_uow_factory):
    berkane, _ = seed_projects(sqlite_uow_factory)
    chat = registered_chat(sqlite_uow_factory, lang="ary")
    _open_parties(chat, berkane)
    steps = [
        ("affected", ["empty", "emoji", "huge", "number"], ("press", "party:yes")),
        ("how", ["empty", "emoji", "huge", "number"], ("say", "كيعياو بزاف")),
        ("polarity", ["empty", "emoji", "huge", "number", "word"], ("press", "pol:negative")),
        ("unexpected", ["empty", "emoji", "huge", "number", "word"], ("press", "unexp:no")),
    ]
    for step, wrongs, (kind, good) in steps:
        assert chat.state()["step"] == step
        for name in wrongs:
            before = chat.state()
            r = chat.say(WRONG[name])
            assert in_language(r, "ary"), f"{step}/{name}: {chat.text(r)[:200]!r}"
            after = chat.state()
            for k in ("step", "data", "history"):
                assert after[k] == before[k], f"{step}/{name}: {k} changed"
        getattr(chat, kind)(good)
    assert chat.state()["step"] == "affected"  # the second group
    expect(chat.say("42"), "parties.need_words", "ary")
    expect(chat.press("pol:positive"), "common.button_expired", "ary")


def test_back_skip_edit_and_a_second_walk(uow_factory):
    berkane, _ = seed_projects(uow_factory)
    chat = registered_chat(uow_factory)
    _open_parties(chat, berkane)
    chat.say("plus de confiance en eux")
    chat.press("pol:positive")
    chat.press("party:no")  # families
    r = chat.press("sys:back")  # back to the families' question
    expect(r, "parties.group", "fr", i=2, n=len(PARTIES), label=_label("families", "fr"))
    r = chat.press("sys:back")  # and to the participants' polarity
    expect(r, "parties.ask_polarity", "fr", label=_label("participants", "fr"))
    chat.press("pol:both")
    chat.press("unexp:no")
    chat.command("skip")  # families: nothing to say
    chat.say("ils se sentent exclus")  # non-selected peers
    chat.press("pol:negative")
    chat.press("unexp:yes")
    r = chat.press("party:done")
    text = expect(r, "parties.summary_title", "fr")
    assert "plus de confiance en eux (positif et négatif)" in text
    # edit the circle: walk it again from the first group, Skip keeps an answer
    chat.press("sys:edit")
    r = chat.press("edit:affected")
    expect(r, "parties.current", "fr", answer="plus de confiance en eux (positif et négatif)")
    chat.command("skip")
    chat.command("skip")
    chat.press("party:no")  # peers after all not affected
    r = chat.press("party:done")
    assert "ils se sentent exclus" not in expect(r, "parties.summary_title", "fr")
    chat.press("sys:confirm")
    with uow_factory() as uow:
        p = uow.projects.get(berkane)
    # "both" is stored as a positive and a negative record of the same group
    assert [(s.group, s.polarity) for s in p.stakeholders] == [
        ("participants", "positive"),
        ("participants", "negative"),
    ]
    assert p.effects == []  # the unexpected effect went with the "no"
    # a second walk starts from the stored answers; confirming changes nothing
    r = _open_parties(chat, berkane)
    expect(r, "parties.current", "fr", answer="plus de confiance en eux (positif et négatif)")
    chat.press("party:done")
    chat.press("sys:confirm")
    with uow_factory() as uow:
        again = uow.projects.get(berkane)
    assert [(s.id, s.polarity) for s in again.stakeholders] == [(s.id, s.polarity) for s in p.stakeholders]


def test_other_groups_and_effects_of_the_project_are_kept(uow_factory):
    _, tanger = seed_projects(uow_factory)
    chat = registered_chat(uow_factory, role="coordinator", commune=None, lang="ar")
    r = _open_parties(chat, tanger)
    for _ in range(3):
        r = chat.command("skip")
    # the stored host-community answer is shown when its turn comes, and Skip keeps it
    expect(r, "parties.current", "ar", answer="plus de contacts (إيجابي)")
    chat.command("skip")
    chat.press("party:done")
    chat.press("sys:confirm")
    with uow_factory() as uow:
        t = uow.projects.get(tanger)
    assert [(s.group, s.how_affected) for s in t.stakeholders] == [("host_community", "plus de contacts")]
    assert len(t.effects) == 1 and t.effects[0].expected


def test_a_forged_project_id_is_refused(uow_factory):
    berkane, tanger = seed_projects(uow_factory)
    chat = registered_chat(uow_factory)
    chat.press("menu:my_projects")
    chat.press(f"prj:{berkane}")
    tamper(chat, project_id=tanger)
    r = chat.press("card:parties")
    expect(r, "projects.not_found", "fr")
    _open_parties(chat, berkane)
    chat.say("ils apprennent")
    chat.press("pol:negative")
    chat.press("unexp:yes")
    chat.press("party:done")
    tamper(chat, project_id=tanger)
    r = chat.press("sys:confirm")
    expect(r, "projects.not_found", "fr")
    with uow_factory() as uow:
        t = uow.projects.get(tanger)
        b = uow.projects.get(berkane)
    assert [s.group for s in t.stakeholders] == ["host_community"] and len(t.effects) == 1
    assert b.stakeholders == [] and b.effects == []
    assert text_of("projects.not_found", "fr")
