"""Reliability under concurrency (DESIGN §3): a message delivered twice is handled once; two
messages of one chat at the same time leave a consistent state. Real threads, real databases."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from domain.ports import OutboxItem
from domain.records import Effect, Indicator, Poll, Project, Respondent, Response

N_THREADS = 2


def _run(n: int, fn):
    """Run fn(i) in n threads released together; return results, re-raise the first error."""
    barrier = threading.Barrier(n)

    def go(i):
        barrier.wait(timeout=30)
        return fn(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return [f.result(timeout=120) for f in [pool.submit(go, i) for i in range(n)]]


def test_conversation_lock_serialises_read_modify_write(uow_factory):
    """Two workers each increment the version 50 times under lock(): no update is lost."""
    rounds = 50

    def worker(_i):
        for _ in range(rounds):
            with uow_factory() as uow:
                rec = uow.conversations.lock("telegram", "chat-1")
                time.sleep(0)  # let the other thread run between read and write
                rec.version += 1
                rec.state = {"last": rec.version}
                uow.conversations.save(rec)
                uow.commit()

    _run(N_THREADS, worker)
    with uow_factory() as uow:
        rec = uow.conversations.get("telegram", "chat-1")
    assert rec.version == N_THREADS * rounds
    assert rec.state == {"last": N_THREADS * rounds}


def test_conversation_lock_blocks_the_second_until_commit(uow_factory):
    """While one unit of work holds the lock, another lock() on the same chat waits (the row
    exists already: this is the SELECT … FOR UPDATE path, not the insert)."""
    with uow_factory() as uow:
        uow.conversations.lock("whatsapp", "c")
        uow.commit()
    holding = threading.Event()
    events: list[str] = []

    def first(_):
        with uow_factory() as uow:
            rec = uow.conversations.lock("whatsapp", "c")
            holding.set()
            time.sleep(0.5)
            events.append("first-commit")
            uow.conversations.save(rec.model_copy(update={"version": rec.version + 1}))
            uow.commit()

    def second(_):
        holding.wait(timeout=10)
        with uow_factory() as uow:
            rec = uow.conversations.lock("whatsapp", "c")
            events.append(f"second-locked-v{rec.version}")
            uow.commit()

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(first, 0), pool.submit(second, 0)]
        for f in futures:
            f.result(timeout=60)
    assert events == ["first-commit", "second-locked-v1"]


def test_first_lock_of_a_new_chat_by_two_workers(uow_factory):
    """Both create-if-missing at once: no duplicate-key error, one row."""

    def worker(i):
        with uow_factory() as uow:
            rec = uow.conversations.lock("telegram", "fresh")
            uow.conversations.save(rec.model_copy(update={"version": rec.version + 1}))
            uow.commit()

    for _ in range(5):
        _run(N_THREADS, worker)
    with uow_factory() as uow:
        assert uow.conversations.get("telegram", "fresh").version == 5 * N_THREADS


def test_duplicate_delivery_at_the_same_time_is_handled_once(uow_factory):
    """The same message id delivered to two workers at once: exactly one sees it as new."""
    for n in range(10):

        def worker(_i, n=n):
            with uow_factory() as uow:
                new = uow.inbox.record("telegram", f"msg-{n}")
                time.sleep(0.02)  # hold the transaction a little, as a handler would
                uow.commit()
                return new

        assert sorted(_run(N_THREADS, worker)) == [False, True]


def test_response_upsert_race(uow_factory):
    """Several workers answer the same question at once: no error, one row, one of the values."""
    with uow_factory() as uow:
        project = uow.projects.add(Project(commune_id="x", title="t"))
        poll = uow.polls.add(Poll(project_id=project.id, token="tok"))
        resp = uow.respondents.add(Respondent(poll_id=poll.id, pseudonym="p", consent=True))
        uow.commit()
    n = 4
    for q in range(5):

        def worker(i, q=q):
            with uow_factory() as uow:
                r = uow.responses.upsert(Response(respondent_id=resp.id, question=f"q{q}", value=i))
                uow.commit()
                return r.id

        ids = _run(n, worker)
        assert len(set(ids)) == 1
    with uow_factory() as uow:
        rows = uow.responses.for_respondent(resp.id)
    assert [r.question for r in rows] == [f"q{q}" for q in range(5)]
    assert all(r.value in range(n) for r in rows)


def test_respondent_add_race(uow_factory):
    """A respondent opening the poll twice at once is recorded once."""
    with uow_factory() as uow:
        project = uow.projects.add(Project(commune_id="x", title="t"))
        poll = uow.polls.add(Poll(project_id=project.id, token="tok"))
        uow.commit()

    def worker(i):
        with uow_factory() as uow:
            r = uow.respondents.add(Respondent(poll_id=poll.id, pseudonym="same", consent=True))
            uow.commit()
            return r.id

    assert len(set(_run(N_THREADS, worker))) == 1
    with uow_factory() as uow:
        assert len(uow.respondents.list(poll.id)) == 1


def test_concurrent_saves_of_one_project_leave_one_whole_version(uow_factory):
    """Two officials edit the same project at once, each removing a different effect and adding
    one: no error, and the stored project is exactly one of the two versions (last wins)."""
    with uow_factory() as uow:
        base = uow.projects.add(
            Project(
                commune_id="x",
                title="t",
                effects=[Effect(statement=f"e{i}", indicators=[Indicator(label=f"i{i}")]) for i in range(4)],
            )
        )
        uow.commit()

    def editor(i):
        with uow_factory() as uow:
            mine = uow.projects.get(base.id)
            del mine.effects[i]
            mine.effects[0].indicators[0].label = f"edited by {i}"
            mine.effects.append(Effect(statement=f"new by {i}"))
            time.sleep(0.05)
            saved = uow.projects.save(mine)
            time.sleep(0.05)
            uow.commit()
            return [(e.statement, [x.label for x in e.indicators]) for e in saved.effects]

    for _ in range(3):
        versions = _run(2, editor)
        with uow_factory() as uow:
            got = uow.projects.get(base.id)
            stored = [(e.statement, [x.label for x in e.indicators]) for e in got.effects]
            assert stored in versions
            uow.projects.save(base)  # back to the start for the next round
            uow.commit()


def test_a_reading_unit_of_work_sees_one_snapshot_and_never_holds_up_a_writer(db_url):
    """What exports read in (storage.db.make_read_engine): while such a unit of work is open, a
    message's unit of work locks, writes and commits without waiting for it (on SQLite a
    reader holding the write lock would make the writer wait its whole busy timeout), the
    reader keeps the snapshot it started with, and it cannot write."""
    import pytest
    from sqlalchemy.exc import DBAPIError

    from storage.db import make_engine, make_read_engine, make_uow_factory

    engine = make_engine(db_url)
    read_engine = make_read_engine(engine)
    writes, reads = make_uow_factory(engine), make_uow_factory(read_engine)
    try:
        with writes() as uow:
            uow.conversations.lock("telegram", "snap")
            uow.commit()

        def write():
            with writes() as uow:
                rec = uow.conversations.lock("telegram", "snap")
                rec.version += 1
                uow.conversations.save(rec)
                uow.commit()

        with reads() as reader:
            before = reader.conversations.get("telegram", "snap").version
            with ThreadPoolExecutor(max_workers=1) as pool:
                pool.submit(write).result(timeout=10)
            assert reader.conversations.get("telegram", "snap").version == before
            with pytest.raises(DBAPIError, match="readonly|read-only"):
                reader.outbox.add(OutboxItem(channel="telegram", chat_id="snap", payload={}))
        with reads() as reader:
            assert reader.conversations.get("telegram", "snap").version == before + 1
    finally:
        read_engine.dispose()
        engine.dispose()
