"""A poll with a multi-answer question, integer questions and skip logic, answered through the
real dispatcher with the fallback NLU (number words), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from domain.polls import Question, check_questions, poll_results
from domain.records import Poll

from bot.services.polls import new_token
from tests.bot.helpers import Chat
from tests.dialogues.helpers import make_nlu
from tests.polls.helpers import make_project, poll_dispatcher


def four(fr: str, ar: str) -> dict[str, str]:
    return {"fr": fr, "ar": ar, "ary": ar, "ary-Latn": fr}


def opt(value: str, fr: str, ar: str) -> dict:
    return {"value": value, "label": four(fr, ar)}


QUESTIONS = [
    {
        "id": "trained",
        "kind": "yes_no",
        "text": four("Avez-vous suivi la formation ?", "هل تابعت التكوين؟"),
        "options": [opt("yes", "Oui", "نعم"), opt("no", "Non", "لا")],
    },
    {
        "id": "services",
        "kind": "multi",
        "relevant": "${trained} = 'yes'",
        "text": four("Quels services avez-vous utilisés ?", "ما الخدمات التي استعملت؟"),
        "options": [
            opt("job", "Emploi", "الشغل"),
            opt("health", "Santé", "الصحة"),
            opt("school", "École", "المدرسة"),
        ],
    },
    {
        "id": "months",
        "kind": "integer",
        "min": 0,
        "max": 60,
        "relevant": "selected(${services}, 'job')",
        "text": four("Depuis combien de mois travaillez-vous ?", "منذ كم شهراً تعمل؟"),
    },
    {"id": "children", "kind": "integer", "text": four("Combien d'enfants avez-vous ?", "كم عدد أطفالك؟")},
    {"id": "change", "kind": "text", "text": four("Qu'est-ce qui a changé ?", "ما الذي تغير؟")},
]


@pytest.fixture
def setup(uow_factory):
    d = poll_dispatcher(uow_factory, nlu=make_nlu())
    pid = make_project(uow_factory)
    qs = [Question.model_validate(q) for q in QUESTIONS]
    check_questions(qs)
    with uow_factory() as uow:
        poll = uow.polls.add(Poll(project_id=pid, token=new_token(), questions=[q.model_dump() for q in qs]))
        uow.commit()
    return d, poll


def start(chat: Chat, poll, lang="fr"):
    chat.command("start", poll.token)
    chat.press(f"lang:{lang}")
    return chat.press("pc:yes")


def answers_of(uow_factory, poll) -> dict[str, dict]:
    with uow_factory() as uow:
        out = {}
        for resp in uow.respondents.list(poll.id):
            out[resp.pseudonym] = {r.question: r.value for r in uow.responses.for_respondent(resp.id)}
        return out


def labels(replies) -> list[str]:
    return [b.label for r in replies for b in r.buttons]


def test_multi_integer_and_a_skipped_question(setup, uow_factory):
    d, poll = setup
    chat = Chat(d, user="amal", channel="telegram")
    start(chat, poll)
    r = chat.press("pq:0:yes")
    assert "Question 2 sur 5" in chat.text(r) and "Plusieurs réponses possibles" in chat.text(r)
    assert chat.buttons(r) == ["pq:1:job", "pq:1:health", "pq:1:school", "pq:done", "pq:skip", "pq:prev"]
    # ticking: the same question again, the chosen options marked
    r = chat.press("pq:1:job")
    assert len(r) == 1 and "Question 2 sur 5" in chat.text(r)
    assert labels(r)[:3] == ["✅ Emploi", "Santé", "École"]
    r = chat.press("pq:1:school")
    assert labels(r)[:3] == ["✅ Emploi", "Santé", "✅ École"]
    r = chat.press("pq:1:school")  # unticked
    assert labels(r)[:3] == ["✅ Emploi", "Santé", "École"]
    r = chat.say("2")  # a typed number is the button with that number: ticks Santé
    assert labels(r)[:3] == ["✅ Emploi", "✅ Santé", "École"]
    # nothing of the answer is kept in the conversation state
    assert set(chat.state()["data"]) <= {"poll", "i", "guess"}
    r = chat.press("pq:done")
    assert "Question 3 sur 5" in chat.text(r) and "entre 0 et 60" in chat.text(r)
    assert chat.buttons(r) == ["pq:skip", "pq:prev"]
    # an integer: not a number, not whole, out of range, then number words
    r = chat.say("je ne sais pas")
    assert "pas compris de nombre" in chat.text(r) and "Question 3 sur 5" in chat.text(r)
    r = chat.say("2,5")
    assert "nombre entier" in chat.text(r)
    r = chat.say("70")
    assert "au plus 60" in chat.text(r)
    r = chat.say("douze")
    assert "Question 4 sur 5" in chat.text(r)
    r = chat.say("3")  # a typed 3 is the answer, not the third button
    assert "Question 5 sur 5" in chat.text(r)
    r = chat.say("J'ai trouvé un travail")
    assert "Merci beaucoup" in chat.text(r)
    [given] = answers_of(uow_factory, poll).values()
    assert given["services"] == ["health", "job"]  # sorted option values
    assert given["months"] == 12 and given["children"] == 3
    assert isinstance(given["months"], int)


def test_a_question_whose_condition_is_false_is_skipped(setup, uow_factory):
    d, poll = setup
    chat = Chat(d, user="said")
    start(chat, poll, lang="ary")
    r = chat.press("pq:0:no")
    # services and months are passed over: their condition needs "yes"
    assert "السؤال 4 من 5" in chat.text(r) and "كم عدد أطفالك؟" in chat.text(r)
    r = chat.say("تلاتة")  # Darija number word
    assert "السؤال 5 من 5" in chat.text(r)
    r = chat.press("pq:prev")
    assert "السؤال 4 من 5" in chat.text(r)
    r = chat.press("pq:prev")  # back over the skipped questions to the first one
    assert "السؤال 1 من 5" in chat.text(r)
    chat.press("pq:0:no")
    chat.say("١٠")  # Arabic-Indic digits
    r = chat.press("pq:skip")
    with uow_factory() as uow:
        [resp] = uow.respondents.list(poll.id)
        assert resp.completed_at is not None
    [given] = answers_of(uow_factory, poll).values()
    assert "services" not in given and "months" not in given
    assert given["children"] == 10


def test_typed_option_numbers_and_results(setup, uow_factory):
    d, poll = setup
    for user, (typed, months) in {"a": ("1 3", "24"), "b": ("1,2", "tlata"), "c": ("٢ و ٣", None)}.items():
        chat = Chat(d, user=user)
        start(chat, poll, lang="ary-Latn" if user == "b" else "fr")
        chat.press("pq:0:yes")
        r = chat.say(typed)
        if months is None:
            assert "Question 4" in chat.text(r) or "Soual 4" in chat.text(r)  # no job: no months
        else:
            chat.say(months)
        chat.say("2")
        chat.press("pq:skip")
    chat = Chat(d, user="d")
    start(chat, poll)
    chat.press("pq:0:no")
    r = chat.say("4 5")  # an integer question takes the first number
    chat.press("pq:skip")
    r_bad = Chat(d, user="e")
    start(r_bad, poll)
    r_bad.press("pq:0:yes")
    r = r_bad.say("1 7")
    assert "de 1 à 3" in r_bad.text(r)
    given = answers_of(uow_factory, poll)
    assert sorted(tuple(a.get("services") or ()) for a in given.values()) == [
        (),
        (),
        ("health", "job"),
        ("health", "school"),
        ("job", "school"),
    ]
    with uow_factory() as uow:
        respondents = [r for r in uow.respondents.list(poll.id) if r.consent]
        res = poll_results(poll, respondents, uow.responses.for_poll(poll.id), min_group_size=2)
    by = {q.id: q for q in res.questions}
    assert by["services"].n == 3 and by["services"].distribution == {"job": 2, "health": 2, "school": 2}
    assert by["services"].share("job") == pytest.approx(2 / 3)
    assert by["months"].n == 2 and by["months"].median == 13.5
    assert (by["months"].minimum, by["months"].maximum) == (3, 24)
    assert by["months"].skipped == 0  # "c" and "d" were not asked: not missing answers
    assert by["children"].n == 4 and by["children"].median == 2


def test_the_official_sees_shares_and_the_median(sqlite_uow_factory, tmp_path):
    from bot.poll_support import install
    from tests.polls.helpers import KEY

    d = poll_dispatcher(sqlite_uow_factory, nlu=make_nlu())
    install(d.services, None, "sqlite://", key=KEY, out_dir=tmp_path)
    pid = make_project(sqlite_uow_factory)
    with sqlite_uow_factory() as uow:
        poll = uow.polls.add(
            Poll(
                project_id=pid,
                token=new_token(),
                questions=[Question.model_validate(q).model_dump() for q in QUESTIONS],
            )
        )
        uow.commit()
    for n, (typed, months) in enumerate([("1 2", "10"), ("1", "20"), ("2", None), ("1 3", "30")]):
        b = Chat(d, user=f"b{n}")
        start(b, poll)
        b.press("pq:0:yes")
        b.say(typed)
        if " " not in typed:  # one typed number is its button: it ticks, then "done"
            b.press("pq:done")
        if months:
            b.say(months)
        b.say("1")
        b.press("pq:skip")
    chat = Chat(d, user="elu")
    chat.register(sqlite_uow_factory, "official", "Berkane", "fr")
    chat.press("menu:poll")
    chat.press("pa:res")
    text = chat.text(chat.press(f"pp:{poll.id}"))
    assert "(plusieurs réponses, n=4) : Emploi 75 %, Santé 50 %, École 25 %" in text
    assert "médiane 20, de 10 à 30 (n=3)" in text


def test_changing_an_earlier_answer_passes_over_what_it_no_longer_opens(setup, uow_factory):
    d, poll = setup
    chat = Chat(d, user="back")
    start(chat, poll)
    chat.press("pq:0:yes")
    chat.say("1 2")
    r = chat.say("7")
    assert "Question 4 sur 5" in chat.text(r)
    for _ in range(3):
        r = chat.press("pq:prev")
    assert "Question 1 sur 5" in chat.text(r)
    r = chat.press("pq:0:no")  # services (and so months) are no longer asked
    assert "Question 4 sur 5" in chat.text(r)
    r = chat.press("pq:prev")
    assert "Question 1 sur 5" in chat.text(r)
    with uow_factory() as uow:
        respondents = [x for x in uow.respondents.list(poll.id) if x.consent]
        res = poll_results(poll, respondents, uow.responses.for_poll(poll.id))
    by = {q.id: q for q in res.questions}
    assert by["services"].n == 0 and by["months"].n == 0  # the stale answers are not counted
    assert by["services"].not_asked == 1 and by["months"].not_asked == 1
