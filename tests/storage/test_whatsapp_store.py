"""The WhatsApp channel's SQL (storage/whatsapp.py) on SQLite and PostgreSQL: the window opened by
the user's messages and closed by WhatsApp, the "a reply waits" mark, a reply refused for the
window held again, statuses that never go back."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from domain.ports import OutboxItem
from storage.delivery import HELD, DeliveryStore
from storage.whatsapp import WhatsAppStore

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def _stores(url):
    from storage.db import make_engine, make_uow_factory

    engine = make_engine(url)
    return engine, make_uow_factory(engine), WhatsAppStore(engine), DeliveryStore(engine)


def _outbox(uows, chat: str, n: int) -> list[int]:
    with uows() as uow:
        items = uow.outbox.add_many(
            [OutboxItem(channel="whatsapp", chat_id=chat, payload={"n": i}) for i in range(n)]
        )
        uow.commit()
    return [i.id for i in items]


def test_the_window_opens_with_the_latest_message_and_closes_when_whatsapp_says(db_url):
    engine, _, wa, _ = _stores(db_url)
    assert wa.seen([("a", T0), ("a", T0 - timedelta(hours=1)), ("b", T0)]) == [None, None, None]
    assert wa.last_inbound("a") == T0
    wa.seen([("a", T0 - timedelta(hours=3))])  # a late delivery of an older message
    assert wa.last_inbound("a") == T0
    assert wa.set_waiting("a", T0) is True and wa.set_waiting("a", T0) is False  # told once
    assert wa.seen([("a", T0 + timedelta(minutes=1))]) == [T0]  # it waited: the caller releases
    wa.close_window("a", T0 + timedelta(seconds=30))  # the user wrote after that send
    assert wa.last_inbound("a") == T0 + timedelta(minutes=1)
    wa.close_window("a", T0 + timedelta(hours=25))
    assert wa.last_inbound("a") is None and wa.last_inbound("b") == T0
    wa.seen([("a", T0 + timedelta(hours=26))])
    assert wa.last_inbound("a") == T0 + timedelta(hours=26)
    engine.dispose()


def test_a_reply_refused_for_the_window_is_held_again_with_its_parts_only(db_url):
    engine, uows, wa, store = _stores(db_url)
    first, second, third, other = _outbox(uows, "212600", 3) + _outbox(uows, "212700", 1)
    # the first two replies went as one message (coalesced), the third as two messages
    wa.sent(
        [
            ("wamid.1", "212600", first),
            ("wamid.2", "212600", third),
            ("wamid.3", "212600", third),
            ("wamid.9", "212700", other),
        ]
    )
    store.finish("whatsapp", [(None, [first, second, third, other])])
    assert wa.statuses([("wamid.1", "212600", "failed", 131047)]) == [(first, True)]
    assert wa.hold_again("212600", first) == 2
    due = {i.id for i in store.due("whatsapp")}
    assert due == set()  # held: the sweep leaves them to the user's next message
    assert [i.id for i in store.release("whatsapp", "212600")] == [first, second]
    assert wa.hold_again("212600", third) == 1  # the last reply: up to the end
    assert wa.hold_again("212600", third) == 0  # already unsent
    engine.dispose()


def test_statuses_never_go_back_and_a_status_before_its_send_keeps_the_reply(db_url):
    engine, uows, wa, _ = _stores(db_url)
    (item,) = _outbox(uows, "212600", 1)
    # another worker's webhook recorded a status before this one recorded the send
    assert wa.statuses([("wamid.A", "212600", "delivered", None)]) == [(None, True)]
    wa.sent([("wamid.A", "212600", item)])
    assert wa.status("wamid.A") == ("delivered", None)
    assert wa.statuses([("wamid.A", "212600", "read", None), ("wamid.A", "212600", "sent", None)]) == [
        (item, True),
        (item, False),
    ]
    assert wa.status("wamid.A") == ("read", None)
    engine.dispose()


def test_held_means_the_runtime_hold_value(db_url):
    engine, uows, wa, _ = _stores(db_url)
    (item,) = _outbox(uows, "212600", 1)
    wa.sent([("wamid.B", "212600", item)])
    DeliveryStore(engine).finish("whatsapp", [(None, [item])])
    wa.hold_again("212600", item)
    from sqlalchemy import text

    with engine.connect() as conn:
        row = conn.execute(text("SELECT sent_at, attempts FROM outbox WHERE id = :i"), {"i": item}).one()
    assert row.sent_at is None and row.attempts == HELD
    engine.dispose()
