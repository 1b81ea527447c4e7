"""Reminders to respondents who stopped half-way (`athar poll remind`): once each, with the
question where they stopped, through the outbox, as a notice (WhatsApp's template outside the
24-hour window); on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.services.polls import remind_respondents
from domain.messages import Reply
from tests.bot.helpers import Chat
from tests.polls.helpers import make_project, make_short_poll, poll_dispatcher


def _unsent(uow_factory, chat_id):
    from sqlalchemy import text

    with uow_factory() as uow:
        rows = uow.session.execute(
            text("SELECT channel, payload FROM outbox WHERE chat_id = :c AND sent_at IS NULL ORDER BY id"),
            {"c": chat_id},
        ).all()
    payloads = [
        (r.channel, r.payload if isinstance(r.payload, dict) else json.loads(r.payload)) for r in rows
    ]
    return [(channel, Reply.model_validate(p["reply"])) for channel, p in payloads]


def test_a_respondent_who_stopped_is_reminded_once_with_the_question(uow_factory):
    d = poll_dispatcher(uow_factory)
    poll = make_short_poll(uow_factory, make_project(uow_factory))
    stopped = Chat(d, user="212600000001", channel="whatsapp")
    stopped.command("start", poll.token)
    stopped.press("lang:fr")
    stopped.press("pc:yes")
    stopped.press("pq:0:female")  # then they put the phone down
    done = Chat(d, user="tg-2", channel="telegram")  # one who never started the questions
    done.command("start", poll.token)
    console = Chat(d, user="c-3", channel="console")  # the terminal cannot be written to first
    console.command("start", poll.token)
    console.press("lang:fr")
    console.press("pc:yes")
    from sqlalchemy import text

    with uow_factory() as uow:
        uow.session.execute(text("UPDATE outbox SET sent_at = created_at"))
        uow.commit()
    # not silent long enough yet
    assert remind_respondents(uow_factory, d, poll, timedelta(hours=1)) == 0
    assert remind_respondents(uow_factory, d, poll, timedelta(0)) == 1
    [(channel, reply)] = _unsent(uow_factory, "212600000001")
    assert channel == "whatsapp"
    assert reply.notice is not None and reply.notice.kind == "poll_reminder"
    assert reply.notice.params == {"title": "Jeunes et emploi"}  # the project's: no poll title
    assert [m.key for m in reply.lines][0] == "polls.reminder"
    assert any(b.data.startswith("pq:1:") for b in reply.buttons)  # the second question's
    rendered = d.catalog.render(reply, "fr")
    assert "« Jeunes et emploi »" in rendered.text and "Question 2" in rendered.text
    # once: a second run writes nothing more
    assert remind_respondents(uow_factory, d, poll, timedelta(0)) == 0
    # the respondent goes on where they were
    r = stopped.press(reply.buttons[0].data)
    assert "Question 3" in stopped.text(r) or "Merci" in stopped.text(r)


def test_a_respondent_who_moved_on_is_not_reminded(uow_factory):
    d = poll_dispatcher(uow_factory)
    poll = make_short_poll(uow_factory, make_project(uow_factory))
    chat = Chat(d, user="212600000009", channel="whatsapp")
    chat.command("start", poll.token)
    chat.press("lang:ar")
    chat.press("pc:yes")
    chat.command("menu")  # left the poll
    assert remind_respondents(uow_factory, d, poll, timedelta(0)) == 0


def test_phone_numbers_are_read_in_international_form():
    from bot.services.polls import phone_numbers

    lines = [
        "# a comment",
        "",
        "+212 600-000-001",
        "00212600000002",
        "212.600.000.003",
        "(212) 600000004",
        "212600000001",
        "0600",
        "Amina",
        "2126000000011234567",
    ]
    numbers, bad = phone_numbers(lines)
    assert numbers == ["212600000001", "212600000002", "212600000003", "212600000004"]
    assert bad == ["0600", "Amina", "2126000000011234567"]
