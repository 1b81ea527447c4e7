"""Issue 17 through the real dispatcher (the fallback NLU, real SQLite): a module offered at the
moment of need, declined, found in /learn, completed on the official's own project with the
practice coached by the effects dialogue's rules, its document made, and the coordinator's
export counting it; in French, Darija and Arabic. Then the other ways in and out: the coach
seeing activities again, pausing and resuming, coming back to the interrupted question, every
module to its end, bad input, forged buttons, roles."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot.services.exports import Exporter, ExportJob
from knowledge.loader import load_communes, load_knowledge

from tests.bot.helpers import BIDI_CONTROLS, Chat
from tests.dialogues.helpers import expect, registered_chat, seed_projects, text_of
from tests.exports.readback import docx_text

KB = load_knowledge()
LESSON = {m.id: m for m in KB.lessons}
ACTIVITY = {
    "fr": "organiser 10 ateliers de sport",
    "ary": "غادي نديرو 10 ديال الورشات",
    "ar": "تنظيم 10 ورشات رياضية",
    "ary-Latn": "ghadi ndiro 10 dyal lworchat",
}
SECOND_ACTIVITY = {
    "fr": "nous allons distribuer des ballons",
    "ary": "غادي نوزعو الكورات على الدراري",
    "ar": "سنوزع الكرات على الأطفال",
    "ary-Latn": "ghadi nwz3o lkorat 3la drari",
}
EFFECT = {
    "fr": "D'ici fin 2027, plus de filles du quartier font du sport chaque semaine",
    "ary": "من هنا لآخر 2027، البنات ديال الحومة غادي يوليو كيلعبو الرياضة كل سيمانة كثر",
    "ar": "بحلول 2027، تزداد نسبة الفتيات اللواتي يمارسن الرياضة كل أسبوع",
    "ary-Latn": "men hna l akhir 2027, lbnat dyal l7ouma ghadi ywliw kayl3bo riyada kol simana ktar",
}


@pytest.fixture
def world(sqlite_uow_factory, tmp_path):
    berkane, tanger = seed_projects(sqlite_uow_factory)
    exporter = Exporter(
        load_communes(), out_dir=tmp_path / "out", min_group_size=5, knowledge=KB, retention_months=24
    )

    def chat(lang="fr", role="official", commune="Berkane", user="u1") -> Chat:
        c = registered_chat(sqlite_uow_factory, lang=lang, role=role, commune=commune, user=user)
        c.dispatcher.services.exporter = exporter
        return c

    return chat, exporter, berkane, tanger


def button(replies, key: str, lang: str, **params) -> str:
    """The data of the button labelled with catalog text `key` (asserts there is one)."""
    want = text_of(key, lang, **params)
    found = [b.data for r in replies for b in r.buttons if b.label.translate(BIDI_CONTROLS) == want]
    assert found, f"no button {want!r} in {[b.label for r in replies for b in r.buttons]}"
    return found[0]


def title(lesson_id: str, lang: str) -> str:
    return LESSON[lesson_id].title.get(lang)


def progress(chat: Chat, lesson_id: str):
    with chat.dispatcher.uow_factory() as uow:
        user = uow.users.by_identity(chat.channel, chat.user)
        return uow.lessons.get(user.id, lesson_id)


def read_cards(chat: Chat, lesson_id: str) -> list:
    r = []
    for _ in LESSON[lesson_id].cards:
        r = chat.press("lsn:next")
    return r


def document(replies) -> Path:
    docs = [r.attachment for r in replies if r.attachment]
    assert len(docs) == 1, Chat.text(replies)
    path = Path(docs[0]["path"])
    assert path.is_file() and path.stat().st_size > 0
    return path


def learning_rows(exporter: Exporter, uow_factory, tmp_path: Path) -> list[dict]:
    with uow_factory() as uow:
        path = exporter.run(
            uow, ExportJob(what="learning", fmt="csv", programme=True), tmp_path / "learning.csv"
        )
    with open(path, encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("lang", ["fr", "ary", "ar"])
def test_offered_at_the_first_effect_declined_found_in_learn_completed_and_counted(
    world, sqlite_uow_factory, tmp_path, lang
):
    new_chat, exporter, berkane, _ = world
    chat = new_chat(lang)
    # 1. the first time the official meets the step: a one-line offer, the dialogue goes on
    r = chat.press("menu:effects")
    expect(r, "lessons.offer.effect", lang, number=3, title=title("writing_an_effect", lang))
    assert Chat.buttons(r)[:2] == ["lsn:go:writing_an_effect", "lsn:no:writing_an_effect"]
    expect(r, "projects.choose", lang)
    assert chat.state()["dialogue"] == "effects"
    # 2. declined: said where to find it, and the same question again
    r = chat.press("lsn:no:writing_an_effect")
    expect(r, "lessons.later", lang)
    expect(r, "projects.choose", lang)
    assert chat.state()["dialogue"] == "effects"
    # offered once: the next time the effects dialogue opens, no offer
    chat.command("menu")
    r = chat.press("menu:effects")
    assert not any(b.startswith("lsn:") for b in Chat.buttons(r))
    # 3. found in /learn, not started yet
    r = chat.command("learn")
    assert (
        button(r, "lessons.learn.new", lang, number=3, title=title("writing_an_effect", lang))
        == "lsn:m:writing_an_effect"
    )
    # 4. run on the official's own project, card by card
    r = chat.press("lsn:m:writing_an_effect")
    expect(r, "lessons.on_project", lang, title="Terrain de sport Berkane")
    expect(
        r,
        "lessons.card",
        lang,
        i=1,
        n=4,
        title=LESSON["writing_an_effect"].cards[0].title.get(lang),
        body=LESSON["writing_an_effect"].cards[0].body.get(lang),
    )
    r = read_cards(chat, "writing_an_effect")
    expect(r, "lessons.own.effect_none", lang, title="Terrain de sport Berkane")
    # 5. the practice, coached with the effects dialogue's own rules and lines
    r = chat.say(ACTIVITY[lang])
    who = KB.public("youth").who_forms()
    expect(r, "effects.coach.activity", lang, who=who)
    expect(r, "lessons.try_again", lang)
    p = progress(chat, "writing_an_effect")
    assert (p.first_try, p.completed, p.project_id) == (False, False, berkane)
    r = chat.say(EFFECT[lang])
    expect(r, "effects.coach.good", lang)
    expect(r, "lessons.done", lang, number=3, title=title("writing_an_effect", lang))
    p = progress(chat, "writing_an_effect")
    assert p.completed and p.completed_at is not None and p.first_try is False and p.tries == 2
    # 6. its document, made from the project, then the learning menu with the module done
    r = chat.press("lsn:fmt:docx")
    expect(r, "export.progress", lang)
    text = docx_text(document(r))
    assert LESSON["writing_an_effect"].artefact.get("ar" if lang in ("ar", "ary") else "fr") in text
    assert (
        button(r, "lessons.learn.done", lang, number=3, title=title("writing_an_effect", lang))
        == "lsn:m:writing_an_effect"
    )
    assert chat.state()["dialogue"] == "learn"
    # 7. the coordinator's export shows it
    rows = learning_rows(exporter, sqlite_uow_factory, tmp_path)
    row = next(x for x in rows if x["commune_id"] == "berkane" and x["lesson_id"] == "writing_an_effect")
    assert (row["offered"], row["started"], row["completed"], row["first_try"]) == ("1", "1", "1", "0")
    assert all(x["completed"] == "0" for x in rows if x is not row)


def test_an_official_who_keeps_writing_activities_is_offered_module_1_once(world):
    new_chat, *_ = world
    chat = new_chat("fr")
    chat.press("menu:effects")
    chat.press("lsn:no:writing_an_effect")
    chat.press(next(b for b in Chat.buttons(chat.log[-1:]) if b.startswith("prj:")))
    r = chat.say(ACTIVITY["fr"])
    assert "lsn:go:doing_to_changing" not in Chat.buttons(r)  # once is not "keeps"
    expect(r, "effects.coach.activity", "fr", who=KB.public("youth").who_forms())
    r = chat.say(SECOND_ACTIVITY["fr"])
    expect(r, "lessons.offer.activity_as_effect", "fr", number=1, title=title("doing_to_changing", "fr"))
    before = chat.state()
    assert (before["dialogue"], before["step"]) == ("effects", "statement")
    r = chat.say(ACTIVITY["fr"])  # a third time: not offered again
    assert not any(b.startswith("lsn:") for b in Chat.buttons(r))
    # the offer's button, pressed now: the module, then back to the very same question
    chat.press("lsn:go:doing_to_changing")
    assert chat.state()["dialogue"] == "lesson"
    r = read_cards(chat, "doing_to_changing")
    so_what = next(v.so_what.fr for v in KB.coaching.activity_verbs if "rénov" in v.forms.fr)
    expect(
        r,
        "lessons.own.ladder",
        "fr",
        title="Terrain de sport Berkane",
        activity="rénover le terrain",
        question=text_of("lessons.so_what", "fr", question=so_what),
    )
    item = chat.state()["data"]["item"]
    r = chat.press(f"lvl:{item['level']}")
    expect(r, "lessons.right", "fr")
    r = chat.press("lsn:cont")
    expect(r, "lessons.back_to_work", "fr")
    after = chat.state()
    assert (after["dialogue"], after["step"]) == ("effects", "statement")
    assert after["data"]["project_id"] == before["data"]["project_id"]
    r = chat.say("Les jeunes formés trouvent un emploi d'ici fin 2027")  # it goes on as if never left
    assert "eff:ok" in Chat.buttons(r)


def test_pause_then_resume_where_it_was_left(world):
    new_chat, *_ = world
    chat = new_chat("ary-Latn")
    chat.command("learn")
    chat.press("lsn:m:who_is_affected")
    chat.press("lsn:next")
    r = chat.press("lsn:pause")
    expect(r, "lessons.paused", "ary-Latn")
    assert (
        button(
            r,
            "lessons.learn.started",
            "ary-Latn",
            number=2,
            title=title("who_is_affected", "ary-Latn"),
            at=1,
            n=3,
        )
        == "lsn:m:who_is_affected"
    )
    assert progress(chat, "who_is_affected").step == 1
    r = chat.press("lsn:m:who_is_affected")
    expect(r, "lessons.resumed", "ary-Latn")
    card = LESSON["who_is_affected"].cards[1]
    expect(
        r,
        "lessons.card",
        "ary-Latn",
        i=2,
        n=3,
        title=card.title.get("ary-Latn"),
        body=card.body.get("ary-Latn"),
    )
    r = chat.press("sys:back")  # the card before is still there
    assert chat.state()["step"] == "card0"
    chat.press("lsn:next")
    chat.press("lsn:next")
    r = chat.press("lsn:next")
    expect(r, "lessons.own.circle_empty", "ary-Latn", title="Terrain de sport Berkane")
    r = chat.press("opt:not_selected")
    expect(r, "lessons.right", "ary-Latn")
    assert progress(chat, "who_is_affected").first_try is True


def right_answer(chat: Chat, lesson) -> list:
    kind = lesson.practice.kind
    data = chat.state()["data"]
    if kind == "choice":
        return chat.press("opt:" + next(o.id for o in lesson.practice.options if o.correct))
    if kind == "level":
        return chat.press("lvl:" + data["item"]["level"])
    if kind == "smart":
        groups = data["item"]["groups"]
        return chat.press("sm:" + (groups[0] if groups else "complete"))
    if kind == "unexpected":
        return chat.say("les filles non retenues se sentent exclues et ne viennent plus au terrain")
    return chat.say(EFFECT["fr"])


@pytest.mark.parametrize("lesson_id", [m.id for m in KB.lessons])
def test_every_module_runs_to_its_document_right_at_the_first_try(world, lesson_id, tmp_path):
    new_chat, exporter, _, tanger = world
    chat = new_chat("fr", commune="Tanger")  # the fuller project: parties, effect, indicator
    chat.command("learn")
    chat.press(f"lsn:m:{lesson_id}")
    assert chat.state()["data"]["project_id"] == tanger
    read_cards(chat, lesson_id)
    r = right_answer(chat, LESSON[lesson_id])
    expect(r, "lessons.done", "fr", number=LESSON[lesson_id].number, title=title(lesson_id, "fr"))
    p = progress(chat, lesson_id)
    assert p.completed and p.first_try is True and p.project_id == tanger
    r = chat.press("lsn:fmt:docx")
    text = docx_text(document(r))
    assert LESSON[lesson_id].artefact.fr in text and "Accueil migrants Tanger" in text
    # done: /learn offers its document again, or a new reading
    chat.press(f"lsn:m:{lesson_id}")
    r = chat.press("lsn:doc")
    assert "lsn:fmt:docx" in Chat.buttons(r)
    r = chat.press("lsn:fmt:pdf")
    assert document(r).suffix == ".pdf"


def test_the_indicator_practice_checks_the_officials_own_indicator(world):
    new_chat, *_ = world
    chat = new_chat("fr", commune="Tanger")
    chat.command("learn")
    chat.press("lsn:m:useful_indicators")
    r = read_cards(chat, "useful_indicators")
    assert "% de migrants couverts" in Chat.text(r)
    item = chat.state()["data"]["item"]
    assert item["own"] and "no_baseline" in item["codes"] and "baseline" in item["groups"]
    r = chat.press("sm:complete")  # it is not complete: told so, with its SMART findings
    expect(r, "lessons.not_quite", "fr")
    expect(r, "indicators.smart.no_baseline", "fr")
    assert progress(chat, "useful_indicators").first_try is False


def test_bad_input_at_the_practice_gets_a_clear_answer_and_loses_nothing(world):
    new_chat, *_ = world
    chat = new_chat("fr")
    chat.command("learn")
    chat.press("lsn:m:progress_markers")
    read_cards(chat, "progress_markers")
    for said, key in (
        ("   ", "common.empty"),
        ("🙂🙂", "common.choose_option"),
        ("7", "common.choose_option"),
        ("x" * 10_000, "common.choose_option"),
    ):
        r = chat.say(said)
        expect(r, key, "fr", n=3)
        assert chat.state()["step"] == "practice"
    r = chat.press("opt:nope")  # a forged option
    expect(r, "common.button_expired", "fr")
    assert progress(chat, "progress_markers").tries == 0
    chat.press("opt:attends")
    assert progress(chat, "progress_markers").completed


def test_bad_input_at_a_written_practice(world):
    new_chat, *_ = world
    chat = new_chat("ary")
    chat.command("learn")
    chat.press("lsn:m:harvesting_the_unexpected")
    read_cards(chat, "harvesting_the_unexpected")
    for said, key, params in (
        ("🙂🙂", "common.need_words", {}),
        ("ب" * 10_000, "common.too_long", {"max": 400, "n": 10_000}),
    ):
        r = chat.say(said)
        expect(r, key, "ary", **params)
        assert chat.state()["step"] == "practice"
    assert progress(chat, "harvesting_the_unexpected").tries == 0


def test_a_written_practice_the_coach_is_unsure_of_asks_first(world):
    new_chat, *_ = world
    chat = new_chat("ar")
    chat.command("learn")
    chat.press("lsn:m:writing_an_effect")
    read_cards(chat, "writing_an_effect")
    # "new balls for the children": delivered, or an activity? the coach is not sure and asks
    # (a plain "we will distribute balls to the children" it now tells an activity at once)
    unsure = "كرات جديدة للأطفال"
    r = chat.say(unsure)
    expect(r, "effects.clarify.ask", "ar", text=unsure)
    assert progress(chat, "writing_an_effect").tries == 0  # not judged yet
    r = chat.press("lvc:activity")
    expect(r, "effects.coach.activity", "ar", who=KB.public("youth").who_forms())
    assert progress(chat, "writing_an_effect").first_try is False


def test_forged_or_stale_lesson_buttons(world):
    new_chat, *_ = world
    chat = new_chat("fr")
    r = chat.press("lsn:go:no_such_module")
    expect(r, "common.button_expired", "fr")
    r = chat.press("lsn:no:no_such_module")
    expect(r, "common.button_expired", "fr")
    chat.command("learn")
    r = chat.press("lsn:m:no_such_module")
    expect(r, "common.button_expired", "fr")
    assert chat.state()["dialogue"] == "learn"
    stranger = Chat(chat.dispatcher, user="nobody")
    r = stranger.press("lsn:go:writing_an_effect")
    expect(r, "common.button_expired", "fr")


def test_offers_go_to_officials_and_staff_not_to_coordinators(world):
    new_chat, *_ = world
    staff = new_chat("fr", role="staff", user="s1")
    assert "lsn:go:writing_an_effect" in Chat.buttons(staff.press("menu:effects"))
    coordinator = new_chat("fr", role="coordinator", commune=None, user="c1")
    assert not any(b.startswith("lsn:") for b in Chat.buttons(coordinator.press("menu:effects")))
    assert "menu:learn" in Chat.buttons(coordinator.command("menu"))


def test_the_reports_count_the_modules_completed_per_commune(world, sqlite_uow_factory, tmp_path):
    new_chat, exporter, *_ = world
    chat = new_chat("fr")
    chat.command("learn")
    chat.press("lsn:m:measuring_integration")
    read_cards(chat, "measuring_integration")
    chat.press("opt:walking")
    with sqlite_uow_factory() as uow:
        path = exporter.run(
            uow, ExportJob(what="report_final", fmt="md", commune_id="berkane"), tmp_path / "final.md"
        )
    text = path.read_text(encoding="utf-8")
    section = text[text.index("## " + "Apprendre en faisant") :]
    assert "| Berkane | 1 | 1 | 1 sur 8 | 1 sur 1 |" in section, section[:600]
