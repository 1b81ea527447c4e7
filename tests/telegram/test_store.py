"""The channel store: recording updates once, claiming outbox items once, the SQLite gate."""
from __future__ import annotations

import threading

from storage.delivery import DeliveryStore, Gate
from domain.ports import OutboxItem


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
    assert [store.failed("telegram", "1") for _ in range(5)] == [1, 2, 3, 4, 0]
    assert _payloads(store) == []  # dropped after too many failures
    from storage.db import make_uow_factory
    with make_uow_factory(engine)() as uow:
        item = uow.outbox.add(OutboxItem(channel="telegram", chat_id="5", payload={}))
        uow.commit()
    (due,) = store.due("telegram")
    assert store.claim(due) is True and store.claim(due) is False  # a second sweeper loses
    store.give_up([due.id])
    assert store.due("telegram") == []
    engine.dispose()


def test_a_batch_is_recorded_in_one_go_and_finished_in_one_go(db_url):
    engine, store = _store(db_url)
    p = {str(i): {"update_id": i, "message": {"chat": {"id": i % 3}}} for i in range(1, 8)}
    assert store.record("telegram", [("1", "1", p["1"]), ("2", "2", p["2"])]) == [True, True]
    # already recorded, new, the same new one twice in the batch, new
    assert store.record("telegram", [("2", "2", p["2"]), ("3", "0", p["3"]), ("4", "1", p["4"]),
                                     ("3", "0", p["3"]), ("5", "2", p["5"])]) == \
        [False, True, True, False, True]
    assert _payloads(store) == [p[k] for k in "12345"]
    from storage.db import make_uow_factory
    with make_uow_factory(engine)() as uow:
        a, b, c = uow.outbox.add_many([OutboxItem(channel="telegram", chat_id="1", payload={})
                                       for _ in range(3)])
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


def test_a_running_bot_does_its_own_housekeeping(emulator, polling_bot, sqlite_db_url):
    """Nobody set up `athar db prune`: the channel's sweep runs it every `prune_interval`."""
    from datetime import timedelta
    from domain.ports import OutboxItem
    from domain.records import utcnow
    from storage.db import make_engine, make_uow_factory
    engine = make_engine(sqlite_db_url)
    uows = make_uow_factory(engine)
    long_ago = utcnow() - timedelta(days=90)
    with uows() as uow:
        uow.outbox.add(OutboxItem(channel="telegram", chat_id="9", payload={"old": True},
                                  created_at=long_ago, sent_at=long_ago))
        uow.commit()

    def old_items() -> int:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT count(*) FROM outbox").scalar()
    assert old_items() == 1
    polling_bot(sqlite_db_url, sweep_interval=0.05, prune_interval=0.1)
    emulator.wait(lambda: old_items() == 0, timeout=30)
    engine.dispose()
