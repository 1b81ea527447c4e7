"""Beneficiaries answering by typing, in every variant: skip, back, free answers mapped to the
offered options, "don't know"; the poll's languages, and a custom question asked of its author in
each of them (through the real dispatcher)."""

from __future__ import annotations

import pytest

from domain.polls import Question, questions_of

from bot.services.polls import create_poll
from knowledge.polls import load_question_bank
from tests.bot.helpers import Chat
from tests.dialogues.helpers import registered_chat, text_of
from tests.polls.helpers import make_poll, make_project, poll_dispatcher

BANK = load_question_bank()
SKIPS = {
    "fr": ["/skip", "passer", "Passer", "je passe"],
    "ar": ["تخطي", "التالي"],
    "ary": ["دوز", "فوت"],
    "ary-Latn": ["dowz", "Dowz", "douz"],
}


@pytest.fixture
def setup(sqlite_uow_factory):
    d = poll_dispatcher(sqlite_uow_factory)
    pid = make_project(sqlite_uow_factory)
    poll = make_poll(sqlite_uow_factory, pid)
    return sqlite_uow_factory, d, pid, poll


def answers(uf, poll) -> dict:
    with uf() as uow:
        [resp] = uow.respondents.list(poll.id)
        return {r.question: r.value for r in uow.responses.for_respondent(resp.id)}


def start(chat, poll, lang):
    chat.command("start", poll.token)
    chat.press(f"lang:{lang}")
    return chat.press("pc:yes")


@pytest.mark.parametrize("lang", list(SKIPS))
def test_skip_by_typing_in_every_variant(setup, lang):
    uf, d, pid, poll = setup
    chat = Chat(d, user=f"skip-{lang}")
    start(chat, poll, lang)
    n = len(questions_of(poll))
    for k, word in enumerate(SKIPS[lang]):
        r = chat.command("skip") if word == "/skip" else chat.say(word)
        assert text_of("polls.progress", lang, i=k + 2, n=n) in Chat.text(r), (word, Chat.text(r))
        assert text_of("nav.cannot_skip", lang) not in Chat.text(r)
    r = chat.command("back")  # /back: the question before, not "we are at the first one"
    assert text_of("polls.progress", lang, i=len(SKIPS[lang]), n=n) in Chat.text(r)
    assert set(answers(uf, poll).values()) == {None}  # skipped: seen, nothing answered


@pytest.mark.parametrize(
    "lang,sex,age,band",
    [
        ("fr", "je suis une femme", "45 ans", "35-59"),
        ("ar", "امرأة", "عمري 17 سنة", "15-17"),
        ("ary", "أنا راجل", "عندي 23 عام", "18-24"),
        ("ary-Latn", "ana mra", "62 3am", "60+"),
    ],
)
def test_free_answers_are_mapped_to_the_options(setup, lang, sex, age, band):
    uf, d, pid, poll = setup
    chat = Chat(d, user=f"free-{lang}")
    start(chat, poll, lang)
    chat.say(sex)
    r = chat.say(age)
    assert text_of("polls.progress", lang, i=3, n=len(questions_of(poll))) in Chat.text(r)
    got = answers(uf, poll)
    assert got["age_band"] == band and got["sex"] in ("female", "male")


@pytest.mark.parametrize(
    "typed,value",
    [("beaucoup", 4), ("oui beaucoup", 4), ("bzaf bzaf", 5), ("Bzaf", 4), ("un peu", 2), ("tout à fait", 5)],
)
def test_a_scale_answered_in_words(setup, typed, value):
    uf, d, pid, poll = setup
    chat = Chat(d, user="scale")
    start(chat, poll, "fr")
    chat.press("pq:skip")
    chat.press("pq:skip")
    chat.say(typed)
    assert answers(uf, poll)["relations"] == value


@pytest.mark.parametrize(
    "typed", ["pas beaucoup", "ma bzafch", "ماشي بزاف", "beaucoup ou un peu", "je dirais 3 ou 4", "bof"]
)
def test_an_unclear_answer_is_asked_again(setup, typed):
    uf, d, pid, poll = setup
    chat = Chat(d, user="unclear")
    start(chat, poll, "fr")
    chat.press("pq:skip")
    chat.press("pq:skip")
    r = chat.say(typed)
    assert text_of("polls.use_buttons", "fr") in Chat.text(r)
    assert "relations" not in answers(uf, poll)


@pytest.mark.parametrize(
    "lang,dk", [("fr", "je ne sais pas"), ("ar", "لا أعرف"), ("ary", "ما عرفتش"), ("ary-Latn", "ma3reftch")]
)
def test_dont_know(sqlite_uow_factory, lang, dk):
    """ "Don't know" picks such an option where there is one; elsewhere it says how to pass."""
    uf = sqlite_uow_factory
    d = poll_dispatcher(uf)
    pid = make_project(uf)
    four = {"fr": "Ne sait pas", "ar": "لا أعرف", "ary": "ما عرفتش", "ary-Latn": "Ma 3reftch"}
    yes = {"fr": "Oui", "ar": "نعم", "ary": "إيه", "ary-Latn": "Ah"}
    no = {"fr": "Non", "ar": "لا", "ary": "لا", "ary-Latn": "La"}
    asked = Question(
        id="heard",
        kind="choice",
        text={
            "fr": "Avez-vous entendu parler du projet ?",
            "ar": "هل سمعت بالمشروع؟",
            "ary": "واش سمعتي بالمشروع؟",
            "ary-Latn": "Wach sme3ti b lmachrou3?",
        },
        options=[
            {"value": "yes", "label": yes},
            {"value": "no", "label": no},
            {"value": "dk", "label": four},
        ],
    )
    with uf() as uow:
        poll = create_poll(uow, BANK, uow.projects.get(pid), "baseline", [], custom=[asked])
        uow.commit()
    qs = questions_of(poll)
    chat = Chat(d, user=f"dk-{lang}")
    start(chat, poll, lang)
    chat.press("pq:skip")  # sex
    r = chat.say(dk)  # age: no such option, so a word on how to pass
    assert text_of("polls.dk_hint", lang) in Chat.text(r)
    assert text_of("polls.progress", lang, i=2, n=len(qs)) in Chat.text(r)
    chat.press("pq:skip")
    for _ in range(2, [q.id for q in qs].index("heard")):
        chat.press("pq:skip")
    chat.say(dk)
    got = answers(uf, poll)
    assert got["age_band"] is None and got["heard"] == "dk"


def test_the_language_list_keeps_its_order(setup):
    uf, d, pid, poll = setup
    chat = Chat(d, user="return")
    r = chat.command("start", poll.token)
    first = chat.buttons(r)
    chat.say("3")
    chat.press("pc:yes")
    chat.command("cancel")
    r = chat.command("start", poll.token)  # a second visit, in Darija now
    assert chat.buttons(r) == first == ["lang:fr", "lang:ar", "lang:ary", "lang:ary-Latn"]
    chat.say("3")  # what the list showed: Darija again
    with uf() as uow:
        [resp] = uow.respondents.list(poll.id)
    assert resp.language == "ary"


# -- the officials' side: the poll's languages and a custom question in each ----------------------


def test_a_custom_question_is_asked_of_its_author_in_the_polls_languages(sqlite_uow_factory):
    uf = sqlite_uow_factory
    pid = make_project(uf)
    official = registered_chat(uf, lang="fr")
    poll_dispatcher(uf)  # the same services as the official's dispatcher needs
    from bot.poll_support import install

    install(official.dispatcher.services, None, "sqlite://", key=b"k")
    official.press("menu:poll")
    official.press("pa:new")
    official.press(f"prj:{pid}")
    official.press("pw:baseline")
    r = official.press("pm:done")
    assert text_of("polls.official.ask_languages", "fr") in Chat.text(r)
    official.press("pl:ar")  # untick Arabic and Darija in Latin letters
    official.press("pl:ary-Latn")
    official.press("pl:done")
    r = official.say("Le terrain est-il bien entretenu ?")
    assert text_of(
        "polls.official.ask_translation",
        "fr",
        language=text_of("langname.ary", "fr"),
        text="Le terrain est-il bien entretenu ?",
    ) in Chat.text(r)
    r = official.say("wach terrain m9adem?")  # Darija in Latin letters where Arabic script is asked
    assert text_of(
        "polls.official.translation_script", "fr", language=text_of("langname.ary", "fr")
    ) in Chat.text(r)
    r = official.say("واش التيران منقي ومصون؟")
    text = Chat.text(r)
    assert "Français: Le terrain est-il bien entretenu ?" in text
    assert "الدارجة: واش التيران منقي ومصون؟" in text
    official.press("sys:confirm")
    with uf() as uow:
        (poll,) = uow.polls.list(pid)
    assert poll.languages == ["fr", "ary"]
    custom = next(q for q in questions_of(poll) if q.id == "custom_1")
    assert custom.text == {"fr": "Le terrain est-il bien entretenu ?", "ary": "واش التيران منقي ومصون؟"}
    # a respondent sees only the poll's languages, in the usual order, and the question in Darija
    d = poll_dispatcher(uf)
    chat = Chat(d, user="resp")
    r = chat.command("start", poll.token)
    assert chat.buttons(r) == ["lang:fr", "lang:ary"]
    chat.press("lang:ary")
    chat.press("pc:yes")
    k = [q.id for q in questions_of(poll)].index("custom_1")
    for _ in range(k):
        r = chat.press("pq:skip")
    assert "واش التيران منقي ومصون؟" in Chat.text(r)
    assert text_of("polls.other_language", "ary", language="Français") not in Chat.text(r)


def test_a_question_missing_in_the_respondents_language_says_so(sqlite_uow_factory):
    uf = sqlite_uow_factory
    pid = make_project(uf)
    only_fr = Question(
        id="custom_1", kind="yes_no", text={"fr": "Le terrain est-il propre ?"}, options=BANK.scales["yes_no"]
    )
    with uf() as uow:
        poll = create_poll(uow, BANK, uow.projects.get(pid), "baseline", [], custom=[only_fr])
        uow.commit()
    d = poll_dispatcher(uf)
    chat = Chat(d, user="resp")
    start(chat, poll, "ary-Latn")
    k = [q.id for q in questions_of(poll)].index("custom_1")
    for _ in range(k):
        r = chat.press("pq:skip")
    text = Chat.text(r)
    assert "Le terrain est-il propre ?" in text
    assert text_of("polls.other_language", "ary-Latn", language="Français") in text
    chat.say("ah")  # yes, typed in Darija
    assert answers(uf, poll)["custom_1"] == "yes"


def test_a_poll_in_one_language_asks_no_language(sqlite_uow_factory):
    uf = sqlite_uow_factory
    pid = make_project(uf)
    with uf() as uow:
        poll = create_poll(uow, BANK, uow.projects.get(pid), "baseline", [], languages=["ary"])
        uow.commit()
    chat = Chat(poll_dispatcher(uf), user="one")
    r = chat.command("start", poll.token)
    assert chat.buttons(r)[:2] == ["pc:yes", "pc:no"]
    assert text_of("polls.consent_question", "ary") in Chat.text(r)


@pytest.mark.parametrize(
    "qid,typed,lang,want",
    [
        ("age_band", "45 ans", "fr", "35-59"),
        ("age_band", "j'ai 15 ans", "fr", "15-17"),
        ("age_band", "١٨", "ar", "18-24"),
        ("age_band", "12 ans", "fr", None),  # no band for 12
        ("age_band", "vingt ans", "fr", None),  # words: the NLU's number, not guessed here
        ("age_band", "3ndi 45 3am", "ary-Latn", "35-59"),  # the 3 of "3ndi" is a letter
        ("age_band", "j'ai 45ans", "fr", "35-59"),
        ("age_band", "3omri 17", "ary-Latn", "15-17"),
        ("sex", "je suis un homme", "fr", "male"),
        ("sex", "أنا امرأة", "ar", "female"),
        ("sex", "mra w rajel", "ary-Latn", None),  # two options named: not clear
        ("relations", "bzaf bzaf", "ary-Latn", 5),
        ("relations", "ماشي بزاف", "ary", None),
        ("relations", "pas beaucoup", "fr", None),
        ("relations", "ma kaynach bzaf", "ary-Latn", None),
        ("relations", "beaucoup beaucoup", "fr", 4),
        ("relations", "la", "fr", None),
        # a part of one option's label only (seen in `athar chat`: "bzaf" at a frequency was refused)
        ("contacts", "bzaf", "ary-Latn", 4),
        ("contacts", "بزاف", "ary", 4),
        ("contacts", "ma bzafch", "ary-Latn", None),
        ("contacts", "merra", "ary-Latn", 3),
        ("contacts", "de", "fr", None),
    ],
)
def test_match_free_table(qid, typed, lang, want):
    q = next(q for q in BANK.build() if q.id == qid)
    assert q.match_free(typed, lang) == want
    if qid == "age_band" and typed == "vingt ans":
        assert q.match_free(typed, lang, number=20) == "18-24"


def test_the_washington_group_items_read_the_right_way_in_darija():
    """ "Making yourself understood": others understand you, not you them (issue 12)."""
    talk = next(q for q in BANK.module_questions("wg") if q.id == "wg_talk")
    assert talk.text["ary"] == "باش الناس يفهموك ملي كتهضر:"
    assert talk.text["ary-Latn"] == "Bach nnas yfhmok mli kathder:"
