"""The delivery runtime's SQL (storage/delivery.py): recording updates once (a bad one apart, as a
dead letter), claiming outbox items once, holding and releasing them, the SQLite gate."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.exc import OperationalError

from domain.ports import OutboxItem
from storage.delivery import GAVE_UP, HELD, DeliveryStore, Gate, is_transient


def _store(url):
    from storage.db import make_engine

    engine = make_engine(url)
    return engine, DeliveryStore(engine)


def _payloads(store) -> list:
    return [payload for _, _, payload in store.pending("telegram")]


def test_an_update_is_recorded_once_and_claims_are_exclusive(db_url):
    engine, store = _store(db_url)
    p = {"update_id": 1, "message": {"chat": {"id": 5}}}
    assert store.record("telegram", [("1", "5", p), ("1", "5", p)]) == [True, False]
    assert store.record("whatsapp", [("1", "5", p)]) == [True]  # ids are per channel
    assert store.pending("telegram") == [("1", "5", p)]
    assert [store.failed("telegram", "1") for _ in range(3)] == [1, 2, 3]  # counted
    assert store.failed("telegram", "unknown") == 0
    assert store.dead_letter("telegram", "1", "handle", p, RuntimeError("a bug"), 3) is None
    assert _payloads(store) == []  # a dead letter now, no longer recorded
    (dead,) = store.dead_letters("telegram")
    assert (dead["external_id"], dead["stage"], dead["attempts"]) == ("1", "handle", 3)
    assert dead["error"] == "RuntimeError: a bug" and '"update_id": 1' in dead["payload"]
    from storage.db import make_uow_factory

    with make_uow_factory(engine)() as uow:
        uow.outbox.add(OutboxItem(channel="telegram", chat_id="5", payload={}))
        uow.commit()
    (due,) = store.due("telegram")
    assert store.claim(due) is True and store.claim(due) is False  # a second sweeper loses
    store.give_up([due.id])
    assert store.due("telegram") == []
    engine.dispose()


def test_concurrent_sweepers_never_claim_the_same_item(db_url):
    """Several workers sweeping at once: each unsent item is claimed by exactly one of them."""
    from concurrent.futures import ThreadPoolExecutor
    from storage.db import make_uow_factory

    engine, store = _store(db_url)
    with make_uow_factory(engine)() as uow:
        uow.outbox.add_many([OutboxItem(channel="telegram", chat_id=str(i), payload={}) for i in range(20)])
        uow.commit()
    due = store.due("telegram")
    barrier = threading.Barrier(4)

    def sweeper(_):
        barrier.wait(10)
        return [item.id for item in due if store.claim(item)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        claimed = [i for ids in pool.map(sweeper, range(4)) for i in ids]
    assert sorted(claimed) == sorted(item.id for item in due)
    engine.dispose()


def test_a_batch_is_recorded_in_one_go_and_finished_in_one_go(db_url):
    engine, store = _store(db_url)
    p = {str(i): {"update_id": i, "message": {"chat": {"id": i % 3}}} for i in range(1, 8)}
    assert store.record("telegram", [("1", "1", p["1"]), ("2", "2", p["2"])]) == [True, True]
    # already recorded, new, the same new one twice in the batch, new
    assert store.record(
        "telegram",
        [("2", "2", p["2"]), ("3", "0", p["3"]), ("4", "1", p["4"]), ("3", "0", p["3"]), ("5", "2", p["5"])],
    ) == [False, True, True, False, True]
    assert _payloads(store) == [p[k] for k in "12345"]
    from storage.db import make_uow_factory

    with make_uow_factory(engine)() as uow:
        a, b, c = uow.outbox.add_many(
            [OutboxItem(channel="telegram", chat_id="1", payload={}) for _ in range(3)]
        )
        uow.commit()
    assert store.finish("telegram", [("1", [a.id, b.id]), ("4", []), (None, [c.id])]) == [None] * 3
    assert _payloads(store) == [p[k] for k in "235"]
    assert store.due("telegram") == []  # all three marked sent
    store.finish("telegram", [("3", [])])
    assert _payloads(store) == [p[k] for k in "25"]
    engine.dispose()


def test_the_gate_lets_recording_go_first(sqlite_db_url):
    engine, store = _store(sqlite_db_url)
    gate = store.gate
    assert gate.enabled
    order: list[str] = []
    gate.acquire()  # a transaction in progress
    waiting = []

    def ordinary(name):
        waiting.append(name)
        with gate:
            order.append(name)

    def urgent():
        waiting.append("record")
        with gate.first():
            order.append("record")

    threads = [threading.Thread(target=ordinary, args=(f"t{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    while len(waiting) < 3:
        pass
    u = threading.Thread(target=urgent)
    u.start()
    while len(waiting) < 4:
        pass
    import time

    deadline = time.monotonic() + 10
    while gate._urgent == 0 and time.monotonic() < deadline:  # the recorder is waiting
        time.sleep(0.01)
    gate.acquire()  # re-entrant for the holder
    gate.release()
    gate.release()
    for t in threads + [u]:
        t.join(10)
    assert order[0] == "record" and sorted(order[1:]) == ["t0", "t1", "t2"]
    engine.dispose()


def test_the_gate_is_a_no_op_on_postgres():
    class E:
        class dialect:
            name = "postgresql"

    gate = Gate(E)
    assert not gate.enabled
    with gate, gate.first():
        pass
    factory = object()
    assert gate.wrap(factory) is factory


def test_a_bad_item_is_recorded_apart_and_the_others_go_in(db_url, monkeypatch):
    """A batch the database refuses is recorded item by item: the item that fails alone is a
    dead letter, the others are recorded; a database that is away is an error (not a dead
    letter: nothing was acknowledged)."""
    engine, store = _store(db_url)
    good = [{"update_id": i, "message": {"text": "salam"}} for i in (1, 2)]
    poison = {"update_id": 3, "message": {"text": "poison"}}
    insert = store._insert

    def refusing(channel, items):
        if any(p is poison for _, _, p in items):
            raise ValueError("the database refuses this payload")
        return insert(channel, items)

    monkeypatch.setattr(store, "_insert", refusing)
    assert store.record(
        "telegram", [("1", "1", good[0]), ("3", "3", poison), ("2", "2", good[1]), ("2", "2", good[1])]
    ) == [True, None, True, False]
    assert _payloads(store) == good
    (dead,) = store.dead_letters()
    assert (dead["external_id"], dead["stage"]) == ("3", "record")
    assert "refuses" in dead["error"] and "poison" in dead["payload"]

    def away(channel, items):
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(store, "_insert", away)
    with pytest.raises(OperationalError):
        store.record("telegram", [("4", "4", {"update_id": 4}), ("5", "5", {"update_id": 5})])
    assert len(store.dead_letters()) == 1
    engine.dispose()


def test_dead_letters_keep_any_payload_as_text(db_url):
    """NUL, lone surrogates, NaN, raw bytes that are not UTF-8: kept as ASCII text, on both
    databases (PostgreSQL refuses NUL in text and JSONB)."""
    engine, store = _store(db_url)
    store.dead_letter("telegram", None, "record", {"t": "a\x00b\ud800c", "n": float("nan")}, "unstorable")
    store.dead_letter("telegram", "9", "record", b'\xff\xfe{"update_id": 9, \x00', "unreadable")
    texts = [d["payload"] for d in store.dead_letters()]
    assert all(t.isascii() and "\x00" not in t for t in texts)
    assert "\\xff" in texts[0] and "\\u0000" in texts[1] and "NaN" in texts[1]
    engine.dispose()


def test_the_error_reply_goes_in_the_same_transaction_as_the_dead_letter(db_url):
    engine, store = _store(db_url)
    p = {"update_id": 7}
    store.record("telegram", [("7", "42", p)])
    reply = OutboxItem(channel="telegram", chat_id="42", payload={"reply": {"lines": []}})
    item_id = store.dead_letter("telegram", "7", "handle", p, "boom", 3, reply)
    (due,) = store.due("telegram")
    assert due.id == item_id and due.chat_id == "42"
    assert store.pending("telegram") == []
    engine.dispose()


def test_held_items_wait_for_their_chat_and_given_up_ones_never_go(db_url):
    from storage.db import make_uow_factory

    engine, store = _store(db_url)
    with make_uow_factory(engine)() as uow:
        a, b, c, d = uow.outbox.add_many(
            [
                OutboxItem(channel="whatsapp", chat_id=chat, payload={"n": n})
                for n, chat in enumerate(["212600", "212600", "212700", "212600"])
            ]
        )
        uow.commit()
    store.hold([a.id, b.id])
    store.give_up([c.id])
    assert [i.id for i in store.due("whatsapp")] == [d.id]  # the sweep skips them
    assert store.release("whatsapp", "212700") == []  # given up is not held
    released = store.release("whatsapp", "212600")
    assert [(i.id, i.payload, i.attempts) for i in released] == [(a.id, {"n": 0}, 0), (b.id, {"n": 1}, 0)]
    assert [i.id for i in store.due("whatsapp")] == [a.id, b.id, d.id]
    assert store.release("whatsapp", "212600") == []
    with engine.connect() as conn:
        attempts = dict(conn.exec_driver_sql("SELECT id, attempts FROM outbox").all())
    assert attempts[c.id] == GAVE_UP and HELD not in attempts.values()
    engine.dispose()


def test_which_database_errors_are_transient(sqlite_db_url):
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    assert is_transient(OperationalError("SELECT 1", {}, Exception("database is locked")))
    assert not is_transient(IntegrityError("INSERT", {}, Exception("unique")))
    assert not is_transient(ProgrammingError("SELECT", {}, Exception("syntax")))
    assert not is_transient(ValueError("a bug"))
