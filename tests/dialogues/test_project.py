"""The project dialogue through the real dispatcher, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from bot.handlers.project import parse_period, split_activities
from tests.bot.helpers import Chat, make_dispatcher
from tests.dialogues.helpers import (
    LANGS,
    expect,
    in_language,
    make_nlu,
    registered_chat,
    text_of,
)

# One conversation per language: (kind, input, catalog key expected in the answer).
# kind: "say" = typed text, "press" = a button, "cmd" = a /command.
SCRIPTS = {
    "fr": dict(
        title="Ateliers emploi jeunes",
        problem="Beaucoup de jeunes du quartier sont sans travail après le bac",
        public="Jeunes",
        detail="18-30 ans, Hay Salam",
        number="120",
        second_number="40",
        activities="organiser 10 ateliers; visites d'entreprises",
        activity="forum de l'emploi",
        period="de mars 2025 à juin 2026",
        start=date(2025, 3, 1),
        end=date(2026, 6, 30),
    ),
    "ar": dict(
        title="ورشات التشغيل للشباب",
        problem="كثير من شباب الحي عاطلون عن العمل بعد البكالوريا",
        public="الشباب",
        detail="من 18 إلى 30 سنة",
        number="١٢٠",
        second_number="٤٠",
        activities="تنظيم 10 ورشات؛ زيارات للمقاولات",
        activity="ملتقى التشغيل",
        period="2025-2026",
        start=date(2025, 1, 1),
        end=date(2026, 12, 31),
    ),
    "ary": dict(
        title="ورشات الخدمة للشباب",
        problem="بزاف ديال الشباب فالحومة ما خدامينش من بعد الباك",
        public="الشباب",
        detail="من 18 حتى 30 عام",
        number="۱۲۰",
        second_number="40",
        activities="نديرو 10 ورشات\nزيارات للشركات",
        activity="فوروم ديال الخدمة",
        period="من مارس 2025 حتى يونيو 2026",
        start=date(2025, 3, 1),
        end=date(2026, 6, 30),
    ),
    "ary-Latn": dict(
        title="Ateliers khedma l chabab",
        problem="bzaf dyal chabab f l7oma ma khdaminch men b3d lbac",
        public="chabab",
        detail="mn 18 l 30 3am",
        number="120",
        second_number="40",
        activities="ndiro 10 ateliers; ziyarat l charikat",
        activity="forum dyal lkhedma",
        period="03/2025 - 06/2026",
        start=date(2025, 3, 1),
        end=date(2026, 6, 30),
    ),
}


def _new_project(chat: Chat, lang: str, s: dict) -> None:
    """The whole conversation, checking each answer; ends on the confirmed summary."""
    r = chat.press("menu:new_project")
    expect(r, "project.ask_title", lang)
    r = chat.say(s["title"])
    expect(r, "project.ask_problem", lang)
    r = chat.say(s["problem"])
    expect(r, "project.ask_public", lang)
    r = chat.say(s["public"])  # typed label, not a button
    expect(r, "project.ask_detail.youth", lang)
    r = chat.say(s["detail"])
    assert chat.buttons(r)[0] == "pnum:unknown"
    r = chat.say(s["number"])
    expect(r, "project.ask_more", lang)
    r = chat.press("pmore:yes")
    expect(r, "project.ask_public_next", lang)
    r = chat.press("pub:women")
    expect(r, "project.ask_detail.women", lang)
    r = chat.command("skip")
    r = chat.say(s["second_number"])
    expect(r, "project.ask_more", lang)
    r = chat.say("2")  # the second button: no other public
    expect(r, "project.ask_activities", lang)
    r = chat.say(s["activities"])
    expect(r, "project.activities_added", lang, n=2)
    r = chat.say(s["activity"])
    expect(r, "project.activities_added", lang, n=3)
    r = chat.press("act:done")
    expect(r, "project.ask_period", lang)
    r = chat.say(s["period"])
    text = expect(r, "project.summary_title", lang)
    assert s["title"] in text and "120" in text and "40" in text
    assert chat.buttons(r) == ["sys:confirm", "sys:edit", "sys:cancel"]
    assert in_language(r, lang)
    r = chat.say("1")  # Confirm
    expect(r, "project.saved", lang, title=s["title"])
    expect(r, "project.next_question", lang)


@pytest.mark.parametrize("lang", LANGS)
def test_a_complete_project_conversation(uow_factory, lang):
    chat = registered_chat(uow_factory, lang=lang)
    s = SCRIPTS[lang]
    _new_project(chat, lang, s)
    with uow_factory() as uow:
        (summary,) = uow.projects.list("berkane")
        p = uow.projects.get(summary.id)
        user = uow.users.by_identity("console", "u1")
        audit = [a for a in uow.audit.list() if a.action == "project.created"]
    assert p.title == s["title"] and p.problem == s["problem"] and p.commune_id == "berkane"
    assert [(x.category, x.detail, x.expected_number) for x in p.publics] == [
        ("youth", s["detail"], 120),
        ("women", None, 40),
    ]
    assert len(p.activities) == 3 and p.activities[2] == s["activity"]
    assert (p.period_start, p.period_end) == (s["start"], s["end"])
    assert p.created_by == user.id
    assert audit and audit[0].target == f"project:{p.id}" and audit[0].user_id == user.id
    # the "what next" question offers the follow-ups that exist, and the menu
    assert chat.state()["dialogue"] == "project_next"
    r = chat.press("next:menu")
    expect(r, "menu.title", lang)


def _walk_to(chat: Chat, step: str) -> None:
    """Answer the project dialogue until `step` is the current question."""
    answers = [
        ("title", "say", "Café des jeunes"),
        ("problem", "say", "Pas de lieu pour se voir"),
        ("public_cat", "press", "pub:youth"),
        ("public_detail", "say", "15-25 ans"),
        ("public_number", "say", "80"),
        ("public_more", "press", "pmore:no"),
        ("activities", "say", "ouvrir un café associatif"),
        ("activities", "press", "act:done"),
        ("period", "say", "2026"),
    ]
    chat.press("menu:new_project")
    for current, kind, value in answers:
        if chat.state()["step"] == step:
            return
        assert chat.state()["step"] == current
        getattr(chat, kind)(value)
    assert chat.state()["step"] == step


WRONG = {
    "empty": "",
    "emoji": "🙂👍🎉",
    "huge": "x" * 10_000,
    "number": "42",
    "word": "beaucoup",
}
# the answers that are wrong at each step (a number is a fine title; a word is a fine problem)
WRONG_AT = {
    "title": ["empty", "emoji", "huge"],
    "problem": ["empty", "emoji", "huge", "number"],
    "public_cat": ["empty", "emoji", "huge", "number", "word"],
    "public_detail": ["empty", "emoji", "huge", "number"],
    "public_number": ["empty", "emoji", "huge", "word"],
    "public_more": ["empty", "emoji", "huge", "number", "word"],
    "activities": ["empty", "emoji", "huge", "number"],
    "period": ["empty", "emoji", "huge", "number", "word"],
    "__summary__": ["empty", "emoji", "huge", "number", "word"],
}


@pytest.mark.parametrize("lang", ["fr", "ary"])
def test_a_wrong_answer_at_every_step_is_explained_and_changes_nothing(sqlite_uow_factory, lang):
    chat = registered_chat(sqlite_uow_factory, lang=lang)
    for step, wrongs in WRONG_AT.items():
        _walk_to(chat, step)
        for name in wrongs:
            before = chat.state()
            r = chat.say(WRONG[name])
            after = chat.state()
            assert r, f"{step}/{name}: no answer"
            assert in_language(r, lang), f"{step}/{name}: {chat.text(r)[:200]!r}"
            assert len(r[0].text) < 400, f"{step}/{name}: the explanation is too long"
            for k in ("dialogue", "step", "data", "history"):
                assert after[k] == before[k], f"{step}/{name}: {k} changed"
        chat.command("cancel")
    # a few explanations, checked word for word
    _walk_to(chat, "public_number")
    expect(chat.say("beaucoup"), "project.need_number", lang)
    expect(chat.say("x" * 10_000), "project.need_number", lang)
    expect(chat.say("b7al 9bel"), "project.need_number", lang)  # Arabizi letters, no number
    chat.command("cancel")
    _walk_to(chat, "title")
    expect(chat.say("x" * 10_000), "common.too_long", lang, n=10_000, max=120)
    expect(chat.say("🙂👍🎉"), "common.need_words", lang)
    chat.command("cancel")
    _walk_to(chat, "public_cat")
    expect(chat.say("42"), "common.choose_option", lang, n=5)
    expect(chat.press("pub:aliens"), "common.button_expired", lang)
    chat.command("cancel")
    _walk_to(chat, "period")
    expect(chat.say("42"), "project.period_unclear", lang)
    expect(chat.say("2027 - 2025"), "project.period_reversed", lang)
    with sqlite_uow_factory() as uow:
        assert uow.projects.list() == []


def test_back_skip_and_edit_from_the_summary(sqlite_uow_factory):
    chat = registered_chat(sqlite_uow_factory)
    _walk_to(chat, "__summary__")
    r = chat.press("sys:back")  # back from the summary: the last question again
    expect(r, "project.ask_period", "fr")
    r = chat.command("skip")  # the period is optional
    text = expect(r, "project.summary_title", "fr")
    assert "2026" not in text
    r = chat.press("sys:edit")
    expect(r, "summary.edit_which", "fr")
    assert "edit:title" in chat.buttons(r) and "edit:commune" not in chat.buttons(r)
    r = chat.press("edit:title")
    expect(r, "project.ask_title", "fr")
    r = chat.say("Café solidaire des jeunes")
    assert "Café solidaire des jeunes" in expect(r, "project.summary_title", "fr")
    # editing the publics walks the list again; Skip keeps an answer
    chat.press("sys:edit")
    r = chat.press("edit:public_cat")
    expect(r, "project.publics_edit", "fr")
    chat.press("pub:youth")
    r = chat.command("skip")  # keep the detail
    expect(r, "project.current_value", "fr", value=80)
    chat.say("95")
    chat.press("pmore:yes")
    chat.press("pub:other")
    r = chat.say("  ")  # the detail of "other" is needed: it cannot be skipped or left empty
    expect(r, "common.empty", "fr")
    r = chat.command("skip")
    expect(r, "nav.cannot_skip", "fr")
    chat.say("commerçants du quartier")
    chat.press("pnum:unknown")
    r = chat.press("pmore:no")  # straight back to the summary
    text = expect(r, "project.summary_title", "fr")
    assert "(95) — 15-25 ans" in text and "commerçants du quartier" in text
    # activities: start the list again
    chat.press("sys:edit")
    r = chat.press("edit:activities")
    assert chat.buttons(r)[:2] == ["act:done", "act:clear"]
    r = chat.press("act:clear")
    expect(r, "project.ask_activities", "fr")
    chat.say("- animer le café\n- former 5 bénévoles")
    r = chat.press("act:done")
    assert "animer le café; former 5 bénévoles" in expect(r, "project.summary_title", "fr")
    chat.press("sys:confirm")
    with sqlite_uow_factory() as uow:
        (s,) = uow.projects.list()
        p = uow.projects.get(s.id)
    assert p.title == "Café solidaire des jeunes"
    assert [(x.category, x.detail, x.expected_number) for x in p.publics] == [
        ("youth", "15-25 ans", 95),
        ("other", "commerçants du quartier", None),
    ]
    assert p.activities == ["animer le café", "former 5 bénévoles"]
    assert p.period_start is None and p.period_text is None


def test_cancel_in_the_summary_saves_nothing(sqlite_uow_factory):
    chat = registered_chat(sqlite_uow_factory, lang="ary-Latn")
    _walk_to(chat, "__summary__")
    r = chat.press("sys:cancel")
    expect(r, "nav.cancelled", "ary-Latn")
    with sqlite_uow_factory() as uow:
        assert uow.projects.list() == []


def test_back_walks_through_earlier_publics(sqlite_uow_factory):
    chat = registered_chat(sqlite_uow_factory)
    _walk_to(chat, "public_more")
    chat.press("pmore:yes")
    chat.press("pub:migrants")
    chat.say("femmes migrantes")
    chat.say("30")
    # back four times: the migrants' number, detail, category, then the first "another?"
    for expected in ("public_number", "public_detail", "public_cat", "public_more"):
        chat.press("sys:back")
        assert chat.state()["step"] == expected
    r = chat.press("sys:back")  # the first public's number, with its current answer
    expect(r, "project.current_value", "fr", value=80)
    chat.say("85")
    r = chat.press("pmore:no")  # no other public after all: the migrants are dropped
    expect(r, "project.ask_activities", "fr")
    assert chat.state()["data"]["publics"] == [{"category": "youth", "detail": "15-25 ans", "number": 85}]


def test_the_conversation_resumes_after_a_restart(uow_factory):
    chat = registered_chat(uow_factory, lang="ar")
    _walk_to(chat, "public_number")
    fresh = make_dispatcher(uow_factory, nlu=make_nlu())
    replies, lang = fresh.current_prompt("console", "u1", "u1")
    assert lang == "ar" and text_of(
        "project.ask_number", "ar", public=text_of("project.public.youth", "ar")
    ) in Chat.text(replies)
    chat2 = Chat(fresh)
    chat2.say("٨٠")
    chat2.press("pmore:no")
    chat2.say("فتح مقهى جمعوي")
    chat2.press("act:done")
    chat2.command("skip")
    r = chat2.press("sys:confirm")
    expect(r, "project.saved", "ar", title="Café des jeunes")
    with uow_factory() as uow:
        (s,) = uow.projects.list()
        assert uow.projects.get(s.id).publics[0].expected_number == 80


@pytest.mark.parametrize(
    "lang,words,number,dont_know",
    [
        ("ary-Latn", "mia w3echrin", 120, "ma3rftch"),
        ("ary", "عشرين", 20, "ما عرفتش"),
        ("fr", "cent vingt jeunes", 120, "je ne sais pas"),
    ],
)
def test_numbers_in_words_and_dont_know(sqlite_uow_factory, lang, words, number, dont_know):
    pytest.importorskip("nlu.service", reason="number words need the NLU fallback parser")
    chat = registered_chat(sqlite_uow_factory, lang=lang)
    _walk_to(chat, "public_number")
    r = chat.say(words)
    expect(r, "project.ask_more", lang)
    assert chat.state()["data"]["publics"][0]["number"] == number
    chat.press("pmore:yes")
    chat.press("pub:women")
    chat.command("skip")
    r = chat.say(dont_know)  # typed, no button: still "not known yet"
    expect(r, "project.number_later", lang)
    assert chat.state()["data"]["publics"][1]["number"] is None


def test_a_coordinator_chooses_the_commune_first(uow_factory):
    chat = registered_chat(uow_factory, role="coordinator", commune=None)
    r = chat.press("menu:new_project")
    expect(r, "project.ask_commune", "fr")
    assert len(chat.buttons(r)) == 10 + 0 and chat.buttons(r)[0].startswith("com:")
    r = chat.say("Atlantide")
    expect(r, "common.choose_option", "fr", n=10)
    r = chat.say("tanger")  # typed, any case
    expect(r, "project.ask_title", "fr")
    chat.say("Guichet migrants")
    chat.say("Les migrants ne savent pas où aller")
    chat.press("pub:migrants")
    chat.command("skip")
    chat.press("pnum:unknown")
    chat.press("pmore:no")
    chat.say("ouvrir un guichet")
    chat.press("act:done")
    r = chat.say("2025")
    assert "Tanger" in expect(r, "project.summary_title", "fr")
    chat.press("sys:confirm")
    with uow_factory() as uow:
        (s,) = uow.projects.list()
        p = uow.projects.get(s.id)
    assert p.commune_id == "tanger" and p.publics[0].expected_number is None
    assert (p.period_start, p.period_end) == (date(2025, 1, 1), date(2025, 12, 31))


# -- pure helpers --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,start,end",
    [
        ("2025-2026", (2025, 1), (2026, 12)),
        ("2026", (2026, 1), (2026, 12)),
        ("03/2025 - 06/2026", (2025, 3), (2026, 6)),
        ("2025/03 → 2026/06", (2025, 3), (2026, 6)),
        ("de mars 2025 à juin 2026", (2025, 3), (2026, 6)),
        ("mars 2025", (2025, 3), None),
        ("من مارس ٢٠٢٥ إلى يونيو ٢٠٢٦", (2025, 3), (2026, 6)),
        ("mn chtenber 2025 7ta yonyo 2026", (2025, 9), (2026, 6)),
        ("18 mois", None, None),
        ("12345", None, None),
        ("1850-1851", None, None),
    ],
)
def test_parse_period(text, start, end):
    from nlu.dates import extract  # the NLU's date entities, as the dialogue gets them

    assert parse_period(text, [(d.start, d.end, d.value) for d in extract(text)]) == (start, end)


def test_split_activities():
    assert split_activities("a; b\n- c\n2) d ;; \n 🙂") == ["a", "b", "c", "d"]
    assert split_activities("تنظيم ورشات؛ زيارات") == ["تنظيم ورشات", "زيارات"]
    assert split_activities("42") == []


@pytest.mark.parametrize(
    "text, start, end",
    [
        ("de janvier a decembre l'annee prochaine", (2027, 1), (2027, 12)),
        ("من يناير إلى دجنبر العام المقبل", (2027, 1), (2027, 12)),
        ("l3am jay", (2027, 1), (2027, 12)),
        ("de janvier à décembre 2027", (2027, 1), (2027, 12)),
        ("de novembre à mars 2027", (2026, 11), (2027, 3)),
        ("mn chtenber 2026 7ta yonyo", (2026, 9), (2027, 6)),
        ("de mars à juin", (2027, 3), (2027, 6)),
        ("du mois prochain à juin 2027", (2027, 1), (2027, 6)),
        ("mn chhar jay 7ta yonyo 2027", (2027, 1), (2027, 6)),
    ],
)
def test_parse_period_with_months_without_a_year_and_relative_years(text, start, end):
    from datetime import date

    from nlu.dates import extract

    dates = [(d.start, d.end, d.value) for d in extract(text)]
    assert parse_period(text, dates, date(2026, 12, 3)) == (start, end)
