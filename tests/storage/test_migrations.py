"""Alembic migrations: from empty to head on both backends, schema == storage/tables.py, CLI."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from domain.records import Poll, Project, Respondent
from storage.db import make_engine, make_uow_factory
from storage.migrate import current, downgrade, head, upgrade
from storage.tables import metadata

ROOT = Path(__file__).resolve().parents[2]


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def _diff(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(ctx, metadata)
    finally:
        engine.dispose()


def test_upgrade_from_empty_creates_every_table(empty_db_url):
    assert current(empty_db_url) is None
    assert _tables(empty_db_url) == set()
    assert upgrade(empty_db_url) == head()
    assert current(empty_db_url) == head()
    assert _tables(empty_db_url) == {t.name for t in metadata.sorted_tables} | {"alembic_version"}


def test_migrated_schema_matches_the_models(empty_db_url):
    """A change to storage/tables.py without its migration fails here."""
    upgrade(empty_db_url)
    assert _diff(empty_db_url) == []


def test_two_workers_upgrading_at_once(empty_db_url):
    """Two worker processes started together both run `upgrade()`: neither fails, the schema is
    at head. (Processes, not threads: Alembic's `context` is process-global.)"""
    code = (
        "import sys, time; from storage.migrate import upgrade; "
        "t = float(sys.argv[2]); time.sleep(max(0, t - time.time())); "
        "print(upgrade(sys.argv[1]))"
    )
    start = f"{time.time() + 2:.3f}"  # both start migrating at the same moment
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, empty_db_url, start],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-1500:] for _, err in outs]
    assert [out.strip() for out, _ in outs] == [head(), head()]
    assert _diff(empty_db_url) == []


def test_sqlite_switch_to_wal_waits_for_a_writer(tmp_path):
    """SQLite refuses to switch a file to WAL while another connection writes, with "database is
    locked" at once (no busy wait): that is how two workers creating one new database failed.
    Opening an engine's connection must wait for the writer instead."""
    path = tmp_path / "new.db"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE t (a)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (1)")
    released = threading.Timer(0.3, lambda: writer.execute("COMMIT"))
    released.start()
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 1
    finally:
        released.join()
        writer.close()
        engine.dispose()


def test_upgrade_is_idempotent_and_downgrade_works(empty_db_url):
    upgrade(empty_db_url)
    assert upgrade(empty_db_url) == head()
    assert downgrade(empty_db_url, "base") is None
    assert _tables(empty_db_url) == {"alembic_version"}
    assert upgrade(empty_db_url) == head()


def _add_inbox_rows(url: str, ages_in_days: list[int]) -> None:
    from storage.tables import InboxRow

    engine = make_engine(url)
    now = datetime.now(timezone.utc)
    try:
        with make_uow_factory(engine)() as uow:
            for i, age in enumerate(ages_in_days):
                uow.session.add(
                    InboxRow(channel="telegram", message_id=str(i), received_at=now - timedelta(days=age))
                )
            uow.commit()
    finally:
        engine.dispose()


def _add_respondents(url: str, ages_in_days: list[int]) -> None:
    engine = make_engine(url)
    now = datetime.now(timezone.utc)
    try:
        with make_uow_factory(engine)() as uow:
            project = uow.projects.add(Project(commune_id="x", title="t"))
            poll = uow.polls.add(Poll(project_id=project.id, token="tok"))
            for i, age in enumerate(ages_in_days):
                uow.respondents.add(
                    Respondent(
                        poll_id=poll.id, pseudonym=str(i), consent=True, consent_at=now - timedelta(days=age)
                    )
                )
            uow.commit()
    finally:
        engine.dispose()


def test_months_before():
    from bot.maintenance import months_before

    utc = timezone.utc
    assert months_before(datetime(2026, 11, 29, 10, 5, tzinfo=utc), 36) == datetime(
        2023, 11, 29, 10, 5, tzinfo=utc
    )
    assert months_before(datetime(2026, 3, 31, tzinfo=utc), 1) == datetime(2026, 2, 28, tzinfo=utc)
    assert months_before(datetime(2028, 3, 31, tzinfo=utc), 1) == datetime(2028, 2, 29, tzinfo=utc)
    assert months_before(datetime(2026, 1, 15, tzinfo=utc), 1) == datetime(2025, 12, 15, tzinfo=utc)
    assert months_before(datetime(2026, 12, 31, tzinfo=utc), 12) == datetime(2025, 12, 31, tzinfo=utc)


def test_cli_db_upgrade_and_current(tmp_path, monkeypatch, capsys):
    from bot.cli import main
    from bot.settings import get_settings

    db = tmp_path / "cli.db"
    monkeypatch.setenv("ATHAR_DATABASE_URL", f"sqlite:///{db}")
    get_settings.cache_clear()
    try:
        assert main(["db", "current"]) == 1
        assert "no schema yet" in capsys.readouterr().out
        assert main(["db", "upgrade"]) == 0
        assert f"at revision {head()}" in capsys.readouterr().out
        assert main(["db", "current"]) == 0
        assert "up to date" in capsys.readouterr().out
        _add_inbox_rows(f"sqlite:///{db}", ages_in_days=[0, 2, 3])
        _add_respondents(f"sqlite:///{db}", ages_in_days=[10, 300, 400])
        monkeypatch.setenv("ATHAR_POLLS__RETENTION_MONTHS", "12")
        get_settings.cache_clear()
        assert main(["db", "prune", "--inbox-days", "1"]) == 0
        out = capsys.readouterr().out
        assert "forgot 2 processed" in out
        assert "erased 1 poll respondent(s) who consented more than 12 month(s) ago" in out
        with pytest.raises(SystemExit):
            main(["db", "prune", "--inbox-days", "0"])
    finally:
        get_settings.cache_clear()
    assert current(f"sqlite:///{db}") == head()


def test_migrations_run_from_an_installed_copy(tmp_path):
    """`athar db upgrade` must work from an installed package (no alembic.ini, no source tree):
    copy the packages as setuptools installs them (package data included) and migrate from
    there."""
    build = tmp_path / "build"
    out = subprocess.run(
        [sys.executable, "-c", "import setuptools; setuptools.setup()", "-q", "build_py", "-d", str(build)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert (build / "storage/migrations/script.py.mako").is_file()
    db = tmp_path / "installed.db"
    code = f"import storage.migrate as m; print(m.__file__); print(m.upgrade('sqlite:///{db}'))"
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(build), "PATH": ""},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    module_file, revision = run.stdout.split()
    assert Path(module_file).is_relative_to(build)
    assert revision == head()
    assert current(f"sqlite:///{db}") == head()


def test_0008_forgets_what_joined_a_beneficiary_chat_to_its_answers(empty_db_url):
    """Rows written before 0008: exact answer times, a pseudonym-keyed lock row, sent replies,
    media kept from someone not registered with their chat id in the audit log."""
    from sqlalchemy import text

    upgrade(empty_db_url, "0007_lesson_progress")
    engine = make_engine(empty_db_url)
    at = datetime(2026, 11, 5, 14, 23, 49, 123000, tzinfo=timezone.utc)
    if engine.dialect.name == "sqlite":
        at = at.replace(tzinfo=None)
    try:
        with engine.begin() as conn:
            run = lambda sql, **kw: conn.execute(text(sql), kw)  # noqa: E731
            run(
                "INSERT INTO users (id, role, created_at, unreachable) VALUES (1, 'official', :t, false)",
                t=at,
            )
            run(
                "INSERT INTO projects (id, commune_id, title, activities, phase, created_at) "
                "VALUES (1, 'berkane', 'p', '[]', 'idea', :t)",
                t=at,
            )
            run(
                "INSERT INTO polls (id, project_id, wave, questions, token, is_open, created_at) "
                "VALUES (1, 1, 'baseline', '[]', 'tok', true, :t)",
                t=at,
            )
            run(
                "INSERT INTO respondents (id, poll_id, pseudonym, consent, consent_at, profile, "
                "completed_at) VALUES (1, 1, 'ps', true, :t, '{}', :t)",
                t=at,
            )
            run(
                "INSERT INTO responses (respondent_id, question, value, answered_at) "
                "VALUES (1, 'q', '4', :t)",
                t=at,
            )
            run("INSERT INTO poll_refusals (poll_id, at) VALUES (1, :t)", t=at)
            for sid, rid in ((1, 1), (2, None), (3, None)):
                run(
                    "INSERT INTO stories (id, project_id, respondent_id, tags, significant, "
                    "created_at) VALUES (:i, 1, :r, '[]', false, :t)",
                    i=sid,
                    r=rid,
                    t=at,
                )
            run(
                "INSERT INTO conversations (channel, chat_id, state, version, updated_at) "
                "VALUES ('poll-lock', 'ps', '{}', 0, :t), ('telegram', '555', '{}', 1, :t)",
                t=at,
            )
            run(
                "INSERT INTO outbox (channel, chat_id, payload, created_at, sent_at, attempts) "
                "VALUES ('telegram', '555', '{}', :t, :t, 1), ('telegram', '555', '{}', :t, NULL, 0)",
                t=at,
            )
            run(
                "INSERT INTO audit_log (at, user_id, action, target, detail) VALUES "
                '(:t, NULL, \'media.received\', \'story:2\', \'{"chat": "555", "kind": "voice"}\'), '
                '(:t, 1, \'media.received\', \'story:3\', \'{"chat": "444", "kind": "photo"}\'), '
                "(:t, 1, 'poll.created', 'poll:1', '{}')",
                t=at,
            )
    finally:
        engine.dispose()
    upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        with make_uow_factory(engine)() as uow:
            day = datetime(2026, 11, 5, tzinfo=timezone.utc)
            [resp] = uow.respondents.list(1)
            assert resp.consent_at == day and resp.completed_at == day
            assert [r.answered_at for r in uow.responses.for_respondent(1)] == [day]
            assert {s.id: s.created_at for s in uow.stories.list()} == {1: day, 3: day}
            assert uow.conversations.get("poll-lock", "ps") is None
            assert uow.conversations.get("telegram", "555") is not None
            audit = {a.target: a.detail for a in uow.audit.list()}
            assert audit == {"story:3": {"kind": "photo"}, "poll:1": {}}
            from sqlalchemy import select
            from storage.tables import PollRefusalRow

            assert uow.session.scalars(select(PollRefusalRow.at)).all() == [day]
            conn = uow.session.connection()
            assert conn.execute(text("SELECT sent_at, private FROM outbox")).all() == [(None, False)]
    finally:
        engine.dispose()


def test_0009_masks_the_stories_stored_before(empty_db_url):
    from sqlalchemy import text

    upgrade(empty_db_url, "0008_anonymous_polls")
    engine = make_engine(empty_db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO stories (id, text, tags, significant, created_at) VALUES "
                    "(1, 'appelez le 0612345678 ou amina@mail.ma', '[]', false, :t), "
                    "(2, 'rien à masquer', '[]', false, :t), "
                    "(3, NULL, '[]', false, :t)"
                ),
                {"t": datetime(2026, 1, 1)},
            )
    finally:
        engine.dispose()
    upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        with engine.connect() as conn:
            texts = dict(conn.execute(text("SELECT id, text FROM stories")).all())
    finally:
        engine.dispose()
    assert texts == {1: "appelez le ••• ou •••", 2: "rien à masquer", 3: None}
