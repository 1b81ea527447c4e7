"""Poll anonymity against a database dump (issue 14, item 3), on SQLite and PostgreSQL.

The join that used to work: the outbox kept each reply's `chat_id` and `created_at` for 30
days, and the "next question" / "thanks" replies were written in the same transaction as
`answered_at` / `completed_at`, so joining on time gave each chat its answers. Here a
beneficiary answers a whole poll through the real dispatcher, each reply finished the way the
channels do (storage.delivery.DeliveryStore.finish), and then:
- the same joins find nothing for the beneficiary (and, as a control, do find the official's
  chat through the row written with their registration);
- the beneficiary's chat id is nowhere in the database but in its own conversation row;
- media sent before consent left no story and no audit row.
"""

from __future__ import annotations

import itertools
import json
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import inspect, select, text

from domain.messages import Incoming, Media
from domain.polls import questions_of
from domain.ports import OutboxItem

from storage.db import make_engine, make_uow_factory
from storage.delivery import DeliveryStore
from storage.tables import OutboxRow
from tests.bot.helpers import invite
from tests.polls.helpers import make_poll, make_project, poll_dispatcher

CHAT = "5550001234"  # the beneficiary's Telegram id (chat and user)
OFFICIAL = "4440009876"
_ids = itertools.count(1)


class Driver:
    """A chat through the real dispatcher; its replies finished as the channels do."""

    def __init__(self, dispatcher, store: DeliveryStore, chat: str):
        self.d, self.store, self.chat = dispatcher, store, chat

    def send(self, **kw) -> str:
        out = self.d.handle(
            Incoming(
                channel="telegram", chat_id=self.chat, user_ref=self.chat, message_id=f"u-{next(_ids)}", **kw
            )
        )
        self.store.finish("telegram", [(None, out.outbox_ids)])
        return "\n".join(r.text for r in out.replies)


@pytest.fixture
def db(db_url):
    engine = make_engine(db_url)
    yield engine, make_uow_factory(engine)
    engine.dispose()


def _within(engine, a: str, b: str, seconds: float = 2.0) -> str:
    """SQL: moments a and b less than `seconds` apart, on either dialect."""
    if engine.dialect.name == "postgresql":
        return f"ABS(EXTRACT(EPOCH FROM ({a} - {b}))) < {seconds}"
    return f"ABS(julianday({a}) - julianday({b})) * 86400 < {seconds}"


def _dump(engine) -> dict[str, list[dict]]:
    with engine.connect() as conn:
        return {
            t: [dict(r._mapping) for r in conn.execute(text(f'SELECT * FROM "{t}"'))]
            for t in inspect(engine).get_table_names()
            if t != "alembic_version"
        }


def test_no_join_links_a_beneficiary_chat_to_its_answers(db):
    engine, uow_factory = db
    now = datetime.now(timezone.utc)
    secs = now.hour * 3600 + now.minute * 60 + now.second
    if secs > 86390 or secs < 15:  # answers stamped with their day: not right after midnight
        time.sleep((86400 - secs + 15) % 86400 if secs > 86390 else 15 - secs)
    d = poll_dispatcher(uow_factory)
    store = DeliveryStore(engine)
    pid = make_project(uow_factory)
    poll = make_poll(uow_factory, pid)

    official = Driver(d, store, OFFICIAL)
    official.send(text="salam")
    official.send(button="lang:fr")
    official.send(text=invite(uow_factory))
    official.send(media=Media(kind="voice", ref="voice-official", duration=3))  # kept: registered

    ben = Driver(d, store, CHAT)
    ben.send(command="start", command_arg=poll.token)
    voice = Media(kind="voice", ref="voice-before-consent", duration=4, caption="Amina 0612345678")
    assert "pas gardé" in ben.send(media=voice)  # at the language step
    ben.send(button="lang:fr")
    assert "pas gardé" in ben.send(media=Media(kind="photo", ref="photo-before-consent"))
    ben.send(button="pc:yes")
    for i, q in enumerate(questions_of(poll)):
        if q.kind == "text":
            ben.send(text="Je travaille maintenant, appelez-moi au 06 12 34 56 78")
        else:
            ben.send(button=f"pq:{i}:{q.values()[0]}")
    ben.send(text="merci")  # after the end: still an anonymous conversation

    within = lambda a, b: _within(engine, a, b)  # noqa: E731
    with engine.connect() as conn:
        answered = conn.execute(text("SELECT count(*) FROM responses")).scalar()
        assert answered == len(questions_of(poll))
        # the join that worked, on answers and on completion
        by_answer = conn.execute(
            text(
                "SELECT DISTINCT o.chat_id FROM outbox o JOIN responses r ON "
                + within("o.created_at", "r.answered_at")
            )
        ).all()
        by_respondent = conn.execute(
            text(
                "SELECT DISTINCT o.chat_id FROM outbox o JOIN respondents r ON "
                + within("o.created_at", "r.completed_at")
                + " OR "
                + within("o.created_at", "r.consent_at")
            )
        ).all()
        by_story = conn.execute(
            text(
                "SELECT DISTINCT o.chat_id FROM outbox o JOIN stories s ON "
                + within("o.created_at", "s.created_at")
                + " WHERE s.respondent_id IS NOT NULL"
            )
        ).all()
        by_audit = conn.execute(
            text(
                "SELECT DISTINCT a.id FROM audit_log a JOIN responses r ON " + within("a.at", "r.answered_at")
            )
        ).all()
        # the control: the same kind of join finds the official through their registration
        control = conn.execute(
            text(
                "SELECT DISTINCT o.chat_id FROM outbox o JOIN users u ON "
                + within("o.created_at", "u.created_at")
            )
        ).all()
        times = conn.execute(select(OutboxRow.chat_id)).scalars().all()
    assert (by_answer, by_respondent, by_story, by_audit) == ([], [], [], [])
    assert [r[0] for r in control] == [OFFICIAL]
    assert CHAT not in times and OFFICIAL in times

    dump = _dump(engine)
    for table, rows in dump.items():
        for row in rows:
            if table == "conversations" and row["chat_id"] == CHAT:
                state = row["state"] if isinstance(row["state"], dict) else json.loads(row["state"])
                assert state["data"] == {}, "the finished chat keeps no poll id"
                continue
            assert CHAT not in repr(row), f"{table} holds the beneficiary's chat id: {row}"
    # nothing before consent: the only story is the official's voice note and the answer
    stories = dump["stories"]
    assert sorted(s["media_ref"] or "" for s in stories) == ["", "telegram:voice:voice-official"]
    assert [a["action"] for a in dump["audit_log"]].count("media.received") == 1
    story = next(s for s in stories if s["respondent_id"] is not None)
    assert "06 12 34 56 78" not in story["text"] and "•••" in story["text"]
    with uow_factory() as uow:
        [resp] = uow.respondents.list(poll.id)
        moments = [resp.consent_at, resp.completed_at] + [
            r.answered_at for r in uow.responses.for_respondent(resp.id)
        ]
    assert all(m.astimezone(timezone.utc).time().isoformat() == "00:00:00" for m in moments)


def test_private_items_leave_no_row_once_sent_or_given_up(db):
    engine, uow_factory = db
    store = DeliveryStore(engine)
    with uow_factory() as uow:
        a, b, c, d = uow.outbox.add_many(
            [
                OutboxItem(channel="telegram", chat_id=CHAT, payload={"n": i}, private=p)
                for i, p in ((1, True), (2, True), (3, True), (4, False))
            ]
        )
        uow.commit()
    with engine.connect() as conn:  # while unsent the chat id is needed to send it
        assert conn.execute(select(OutboxRow.chat_id).where(OutboxRow.private)).all() == [(CHAT,)] * 3
    store.finish("telegram", [(None, [a.id, d.id])])
    store.give_up([b.id])
    with uow_factory() as uow:
        uow.outbox.mark_sent(c.id)
        uow.commit()
    with engine.connect() as conn:
        left = conn.execute(select(OutboxRow.id, OutboxRow.sent_at.is_not(None))).all()
    assert left == [(d.id, True)]  # only the ordinary item, marked sent


def test_private_whatsapp_items_wait_for_their_delivery_status(db):
    """A WhatsApp message accepted may still fail (outside the 24-hour window) and be held
    again: a private item stays, marked sent, until "delivered" or "read", or a day."""
    from datetime import timedelta

    from domain.records import utcnow
    from storage.whatsapp import WhatsAppStore

    engine, uow_factory = db
    store, wa = DeliveryStore(engine), WhatsAppStore(engine)
    with uow_factory() as uow:
        a, b, c = uow.outbox.add_many(
            [
                OutboxItem(channel="whatsapp", chat_id="212600000001", payload={"n": i}, private=True)
                for i in range(3)
            ]
        )
        uow.commit()
    store.finish("whatsapp", [(None, [a.id, b.id, c.id])])
    wa.sent([("wamid.A", "212600000001", a.id), ("wamid.B", "212600000001", b.id)])
    wa.statuses([("wamid.A", "212600000001", "delivered", None), ("wamid.B", "212600000001", "sent", None)])
    with engine.connect() as conn:
        assert conn.execute(select(OutboxRow.id).order_by(OutboxRow.id)).scalars().all() == [b.id, c.id]
    with uow_factory() as uow:  # a day later the housekeeping forgets them anyway
        assert uow.outbox.prune(utcnow() - timedelta(days=30), private_before=utcnow()) == 2
        uow.commit()
