"""The coaching conversations with the real fallback NLU parser (nlu.service.make_nlu(None)),
in the four variants: statement intents, dont_know and entities come from the parser itself."""

from __future__ import annotations

import pytest

pytest.importorskip("nlu.service")

from nlu.service import make_nlu  # noqa: E402

from tests.effects.fakes import make_project, registered_chat  # noqa: E402


@pytest.fixture(scope="module")
def nlu():
    return make_nlu(None)


CASES = {
    # lang: (activity, output, don't know, effect, horizon typed, words of the proposal)
    "fr": (
        "organiser 10 ateliers de recherche d'emploi",
        "120 jeunes formés",
        "je ne sais pas",
        "ils trouvent du travail",
        "dans 6 mois",
        "D'ici 6 mois, les jeunes trouvent du travail.",
    ),
    "ar": (
        "تنظيم 10 ورشات للبحث عن الشغل",
        "120 شابا تم تكوينهم",
        "لا أعرف",
        "يجد الشباب عملا",
        "خلال 6 أشهر",
        "الشباب يجد عملا",
    ),
    "ary": (
        "غادي نديرو 10 ديال الورشات",
        "120 شاب تكونو",
        "ما عرفتش",
        "الشباب غادي يلقاو خدمة",
        "من هنا 6 شهور",
        "الشباب غادي يلقاو خدمة",
    ),
    "ary-Latn": (
        "ghadi ndiro 10 dyal les ateliers",
        "120 chab tkawno",
        "ma3rftch",
        "chabab ghadi yl9aw khedma",
        "men hna 6 chhor",
        "chabab ghadi yl9aw khedma",
    ),
}


def answer_if_asked(chat, level):
    """When the coach is not sure it asks one question: the official answers it truthfully."""
    if chat.state()["data"].get("pending"):
        chat.press(f"clr:{level}")


@pytest.mark.parametrize("lang", list(CASES))
def test_coaching_with_the_fallback_parser(sqlite_uow_factory, nlu, lang):
    uf = sqlite_uow_factory
    activity, output, dont_know, effect, horizon, proposal = CASES[lang]
    pid = make_project(uf)
    chat = registered_chat(uf, lang, nlu=nlu)
    chat.press("menu:effects")
    chat.press(f"prj:{pid}")
    chat.say(activity)
    answer_if_asked(chat, "activity")
    st = chat.state()
    assert st["step"] == "statement" and st["data"]["coach"] == "activity"
    chat.say(output)
    answer_if_asked(chat, "output")
    assert chat.state()["data"]["coach"] == "output"
    r = chat.say(dont_know)
    assert "ex:youth_job_workshops" in chat.buttons(r)
    chat.press("eff:own")
    chat.say(effect)
    answer_if_asked(chat, "effect")
    assert chat.state()["step"] == "horizon"
    r = chat.say(horizon)
    assert proposal in chat.text(r)
    chat.press("eff:ok")
    chat.press("sys:confirm")
    with uf() as uow:
        (e,) = uow.projects.get(pid).effects
    assert (e.horizon, e.public, e.domain) == ("P6M", "youth", "employment_income")
