"""Storage cost of one incoming message: the unit of work the dispatcher opens (record the message
id, lock the conversation, find the user, save the state, queue a reply, commit), on SQLite (a temp
file) and PostgreSQL (a temporary schema on ATHAR_TEST_PG_URL or 127.0.0.1:5432/test), with one
worker and with two workers on different chats; then loading and saving a project aggregate.

    make bench BENCH_ARGS=storage        (or: .venv/bin/python -m bench storage)
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
import uuid

MESSAGES = 400


def _messages(uows, n: int, workers: int) -> tuple[float, list[float]]:
    from domain.ports import OutboxItem

    latencies: list[float] = []
    lock = threading.Lock()

    def worker(w: int) -> None:
        mine = []
        for i in range(n // workers):
            t0 = time.perf_counter()
            with uows() as uow:
                uow.inbox.record("telegram", f"{w}-{i}-{uuid.uuid4().hex}")
                conv = uow.conversations.lock("telegram", f"chat-{w}-{i % 20}")
                uow.users.by_identity("telegram", "bench-user")
                conv.version += 1
                conv.state = {"dialogue": "project", "step": "title", "data": {"i": i}}
                uow.conversations.save(conv)
                uow.outbox.add(
                    OutboxItem(channel="telegram", chat_id=conv.chat_id, payload={"text": "x" * 300})
                )
                uow.commit()
            mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, sorted(latencies)


def _project_round_trip(uows, repeat: int = 30) -> tuple[float, float]:
    from domain.records import Effect, Indicator, Measurement, Project, Stakeholder, TargetPublic

    project = Project(
        commune_id="bench",
        title="Bench project",
        publics=[TargetPublic(category="youth"), TargetPublic(category="women")],
        stakeholders=[Stakeholder(group=f"g{i}") for i in range(5)],
        effects=[
            Effect(
                statement=f"effect {e}",
                indicators=[
                    Indicator(
                        label=f"ind {e}.{i}",
                        measurements=[Measurement(period=f"2026-S{m}", value=m) for m in range(1, 3)],
                    )
                    for i in range(3)
                ],
            )
            for e in range(5)
        ],
    )
    with uows() as uow:
        pid = uow.projects.add(project).id
        uow.commit()
    gets, saves = [], []
    for k in range(repeat):
        with uows() as uow:
            t0 = time.perf_counter()
            p = uow.projects.get(pid)
            gets.append(time.perf_counter() - t0)
            p.effects[k % 5].indicators[0].label = f"edited {k}"
            p.effects[k % 5].indicators[0].measurements.append(Measurement(period="x", value=k))
            del p.effects[(k + 1) % 5].indicators[0].measurements[0]
            t0 = time.perf_counter()
            uow.projects.save(p)
            uow.commit()
            saves.append(time.perf_counter() - t0)
    return statistics.median(gets), statistics.median(saves)


def _run(label: str, url: str) -> None:
    from domain.records import Identity, User
    from storage.db import make_engine, make_uow_factory
    from storage.migrate import upgrade

    upgrade(url)
    engine = make_engine(url)
    try:
        uows = make_uow_factory(engine)
        with uows() as uow:
            uow.users.add(
                User(role="official"), Identity(channel="telegram", external_id="bench-user", user_id=0)
            )
            uow.commit()
        for workers in (1, 2):
            wall, lat = _messages(uows, MESSAGES, workers)
            print(
                f"{label:<10} message UoW, {workers} worker(s): {len(lat) / wall:6.0f} msg/s, "
                f"p50 {statistics.median(lat) * 1000:5.1f} ms, "
                f"p95 {lat[int(len(lat) * 0.95)] * 1000:5.1f} ms"
            )
        get, save = _project_round_trip(uows)
        print(
            f"{label:<10} project (5 effects, 15 indicators, 30 measurements): "
            f"get {get * 1000:.1f} ms, save+commit {save * 1000:.1f} ms (median)"
        )
    finally:
        engine.dispose()


def main() -> None:
    from sqlalchemy.engine import make_url

    from bench.common import drop_schema, new_schema, pg_base

    with tempfile.TemporaryDirectory() as tmp:
        _run("sqlite", f"sqlite:///{tmp}/bench.db")

    try:
        schema, url = new_schema(connect_args={"connect_timeout": 3})
    except Exception as exc:  # noqa: BLE001
        print(
            f"postgres   skipped: not reachable at "
            f"{make_url(pg_base()).render_as_string(hide_password=True)} ({type(exc).__name__})"
        )
        return
    try:
        _run("postgres", url)
    finally:
        drop_schema(schema)


if __name__ == "__main__":  # pragma: no cover
    main()
