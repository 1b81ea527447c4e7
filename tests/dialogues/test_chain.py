"""The whole path in each language: a new project, its circle of effects, an expected effect and
a confirmed indicator, all through the dispatcher; then the logframe holds all of it."""

from __future__ import annotations

import pytest

from tests.dialogues.helpers import LANGS, expect, registered_chat
from tests.dialogues.test_parties import TYPED
from tests.dialogues.test_project import SCRIPTS, _new_project

EFFECTS = {
    "fr": "Les jeunes formés trouvent un emploi d'ici fin 2027",
    "ar": "يجد الشباب عملا بحلول 2027",
    "ary": "الشباب غادي يلقاو خدمة قبل 2027",
    "ary-Latn": "chabab ghadi yl9aw khedma 2027",
}


@pytest.mark.parametrize("lang", LANGS)
def test_from_a_new_project_to_a_confirmed_indicator(sqlite_uow_factory, lang):
    chat = registered_chat(sqlite_uow_factory, lang=lang)
    _new_project(chat, lang, SCRIPTS[lang])
    chat.press("next:parties")
    chat.say(TYPED[lang][0])
    chat.press("pol:positive")
    chat.press("party:done")
    r = chat.press("sys:confirm")
    expect(r, "parties.saved", lang, n=1, k=0)
    r = chat.press("next:effects")
    if chat.state()["step"] == "public":  # two publics: say which one changes
        r = chat.press(next(b for b in chat.buttons(r) if "youth" in b))
    r = chat.say(EFFECTS[lang])
    assert chat.buttons(r)[0] == "eff:ok", chat.text(r)
    chat.press("eff:ok")
    chat.press("sys:confirm")
    r = chat.press("nx:indicators")
    suggested = [b for b in chat.buttons(r) if b.startswith("ind:") and b != "ind:own"]
    chat.press(suggested[0])
    for _ in range(3):  # unit, definition, calculation from the library
        r = chat.press("keep")
    chat.press("base:known")
    chat.say("12")
    chat.say("01/2026")
    chat.press("pre:survey")
    chat.say("30")
    chat.say("12/2027")
    chat.press("keep")
    chat.press("freq:semester")
    chat.press("pre:bascs")
    chat.press("dis:done")
    chat.press("smart:go")
    r = chat.press("sys:confirm")
    assert "nx:same" in chat.buttons(r)
    with sqlite_uow_factory() as uow:
        (s,) = uow.projects.list()
        p = uow.projects.get(s.id)
    assert p.title == SCRIPTS[lang]["title"] and len(p.publics) == 2
    assert [x.group for x in p.stakeholders] == ["participants"]
    (effect,) = p.effects
    assert effect.expected and effect.public == "youth"
    (ind,) = effect.indicators
    assert (ind.baseline_value, ind.target_value, ind.frequency) == (12, 30, "semester")
