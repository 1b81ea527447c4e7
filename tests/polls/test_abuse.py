"""Abuse: the same person twice, forged and out-of-range values, free text where a button is
expected, duplicate deliveries — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from domain.messages import Incoming
from domain.polls import questions_of

from tests.bot.helpers import Chat
from tests.polls.helpers import make_poll, make_project, poll_dispatcher
from tests.polls.test_beneficiary import answer_all, start


@pytest.fixture
def env(uow_factory):
    d = poll_dispatcher(uow_factory)
    pid = make_project(uow_factory)
    return d, pid, make_poll(uow_factory, pid)


def _answers(uow_factory, poll):
    with uow_factory() as uow:
        rs = uow.respondents.list(poll.id)
        return (
            rs,
            {(r.respondent_id, r.question): r.value for r in uow.responses.for_poll(poll.id)},
            len(uow.responses.for_poll(poll.id)),
        )


def test_out_of_range_and_forged_values_are_refused(env, uow_factory):
    d, pid, poll = env
    chat = Chat(d, user="forger")
    start(chat, poll)
    chat.press("pq:0:female")
    chat.press("pq:1:18-24")  # now at question 3, a 1..5 scale
    for bad in (
        "pq:2:9",
        "pq:2:0",
        "pq:2:-1",
        "pq:2:1.5",
        "pq:2:",
        "pq:2:4:4",
        "pq:x:4",
        "pq:2:" + "9" * 60,
        "lang:xx",
        "sys:confirm",
        "prj:1",
    ):
        r = chat.press(bad)
        assert "Question 3 sur 10" in chat.text(r), bad
    for text in ("9", "0", "-3", "je ne sais pas", "🤷", "x" * 5000, "   "):
        r = chat.say(text)
        assert "Question 3 sur 10" in chat.text(r), text
    rs, answers, n = _answers(uow_factory, poll)
    assert n == 2 and answers == {(rs[0].id, "sex"): "female", (rs[0].id, "age_band"): "18-24"}
    # the open question refuses an oversized story and keeps a normal one
    answer_all(chat, poll, story="")
    start(chat, poll)
    for _ in range(len(poll.questions) - 1):
        chat.press("pq:skip")
    r = chat.say("long " * 1000)
    assert "2000" in chat.text(r)
    chat.say("Plus de confiance")
    rs, answers, n = _answers(uow_factory, poll)
    assert n == len(poll.questions)
    assert answers[(rs[0].id, "sex")] == "female"  # skipping kept the earlier answer


def test_answer_buttons_without_consent_store_nothing(env, uow_factory):
    d, pid, poll = env
    chat = Chat(d, user="sneaky")
    chat.press("pq:0:5")
    chat.command("start", poll.token)
    chat.press("pq:0:5")  # at the language question
    chat.press("lang:fr")
    chat.press("pq:0:5")  # at the consent question
    with uow_factory() as uow:
        assert uow.respondents.list(poll.id) == [] and uow.responses.for_poll(poll.id) == []


def test_the_same_person_twice(env, uow_factory):
    """Two chats of one person (same channel identity) answer the same poll at the same time:
    one respondent, one answer per question, the later answer wins."""
    d, pid, poll = env
    errors: list[BaseException] = []
    rounds = iter(range(1000))

    # two different chats (e.g. a group and a private chat) of the same sender
    def run(chat_id: str, value: int):
        try:
            r = next(rounds)
            msgs = [
                dict(command="start", command_arg=poll.token),
                dict(button="lang:fr"),
                dict(button="pc:yes"),
            ]
            for i, q in enumerate(questions_of(poll)):
                if q.kind == "text":
                    msgs.append(dict(text="Du travail"))
                else:
                    v = value if q.kind == "scale5" else q.values()[0]
                    msgs.append(dict(button=f"pq:{i}:{v}"))
            for n, m in enumerate(msgs):
                d.handle(
                    Incoming(
                        channel="telegram",
                        chat_id=chat_id,
                        user_ref="42",
                        message_id=f"{chat_id}-{r}-{n}",
                        **m,
                    )
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c, v)) for c, v in (("42", 2), ("-100", 5))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    rs, answers, n = _answers(uow_factory, poll)
    assert len(rs) == 1 and n == len(poll.questions)
    assert {answers[(rs[0].id, "respect")]} <= {2, 5}
    with uow_factory() as uow:
        assert len(uow.stories.list(pid)) == 1  # re-answering the story updates it
    # and again later, alone: answers are updated, still one set
    run("42", 3)
    assert not errors, errors
    rs, answers, n = _answers(uow_factory, poll)
    assert len(rs) == 1 and n == len(poll.questions) and answers[(rs[0].id, "respect")] == 3


def test_duplicate_deliveries_are_dropped(env, uow_factory):
    d, pid, poll = env
    chat = Chat(d, user="dup")
    start(chat, poll)
    inc = Incoming(channel="console", chat_id="dup", user_ref="dup", message_id="same-id", button="pq:0:male")
    first = d.handle(inc)
    again = d.handle(inc)
    assert not first.duplicate and again.duplicate and again.replies == []
    r = chat.press("pq:1:60+")
    assert "Question 3 sur 10" in chat.text(r)  # the duplicate did not advance twice
