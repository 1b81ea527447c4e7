"""Engines and the unit-of-work factory.

SQLite (the embedded default): WAL journal, foreign keys ON, a busy timeout, and every
transaction opened with `BEGIN IMMEDIATE` (after SQLAlchemy's recipe "Using SQLAlchemy to emit
BEGIN in lieu of SQLite's transaction control", through the dialect's `do_begin`), so a unit of
work holds the write lock from its first statement to its commit: `ConversationRepo.lock()`
then really serialises two messages of one chat, and a read-then-write never fails half-way
with SQLITE_BUSY. Slow units of work that only read (exports) have an engine of their own
(`make_read_engine`): deferred transactions on a snapshot, which never hold the write lock.

PostgreSQL (production): psycopg 3, pool_pre_ping; row locks with SELECT … FOR UPDATE.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any, Callable

from pydantic_core import from_json, to_json
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from domain.ports import UnitOfWork

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _use_wal(cursor: Any, timeout_s: float = SQLITE_BUSY_TIMEOUT_MS / 1000) -> None:
    """Switch the database file to WAL, waiting for other connections' locks.

    Switching needs an exclusive lock, and SQLite answers "database is locked" at once instead
    of calling its busy handler when it cannot get it (two processes opening a new database
    together, e.g. two workers both running the migrations): so wait here, like busy_timeout
    would. Once the file is in WAL mode the pragma is a no-op that takes no lock.
    """
    deadline = time.monotonic() + timeout_s
    pause = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() >= deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.1)


def normalise_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (SQLAlchemy would pick psycopg2)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://") :]
    return url


def _sqlite_is_memory(url: str) -> bool:
    database = make_url(url).database
    return not database or database == ":memory:" or "mode=memory" in url


def _json_dumps(value: Any) -> str:
    """JSON columns are written by pydantic-core (in Rust): dates, times, enums and models
    become their JSON form, as pydantic's own `to_jsonable_python` would give, in a sixth of
    the time of the standard library's encoder."""
    return to_json(value).decode("utf-8")


def make_engine(url: str, *, read_only: bool = False, **kwargs: Any) -> Engine:
    """An engine configured for Athar on SQLite or PostgreSQL (extra kwargs go to create_engine).
    `read_only` (SQLite): see `make_read_engine`."""
    url = normalise_url(url)
    kwargs.setdefault("json_serializer", _json_dumps)
    kwargs.setdefault("json_deserializer", from_json)
    # a database error's text (logged with its traceback) never carries the statement's
    # values: they may be a chat id, a beneficiary's answer or a phone number
    kwargs.setdefault("hide_parameters", True)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        connect_args.update(kwargs.pop("connect_args", {}))
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        memory = _sqlite_is_memory(url)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy emit BEGIN itself (pysqlite's legacy mode would defer it).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            try:
                if not memory:
                    _use_wal(cursor)
                    cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
                if read_only:
                    cursor.execute("PRAGMA query_only=ON")
            finally:
                cursor.close()

        # BEGIN IMMEDIATE through the dialect's own hook rather than a "begin" event: any
        # connection event listener makes every statement go through SQLAlchemy's event
        # dispatch, which cost more than a third of a short statement's time.
        # A reading engine's transactions begin DEFERRED: a snapshot that never takes the
        # write lock.
        begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"

        def _begin(dbapi_connection: Any) -> None:
            dbapi_connection.execute(begin)

        engine.dialect.do_begin = _begin  # type: ignore[method-assign]

        return engine
    if backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)
    raise ValueError(
        f"unsupported database URL {make_url(url).render_as_string()!r}: "
        "use sqlite:///path or postgresql+psycopg://user@host/db"
    )


def make_read_engine(engine: Engine) -> Engine:
    """The engine for units of work that only read (slow ones: exports), beside `engine`: each
    sees one snapshot of the database from its first statement, cannot write, and never holds
    up a writer. On a SQLite file, connections of their own whose transactions begin DEFERRED
    (in WAL a reader takes no write lock, so a long export does not stop everyone's messages)
    with `PRAGMA query_only`; on PostgreSQL, the same pool's connections in REPEATABLE READ,
    READ ONLY transactions. An in-memory SQLite database lives on its engine's one connection:
    `engine` itself."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    if engine.dialect.name != "sqlite" or _sqlite_is_memory(str(engine.url)):
        return engine
    return make_engine(engine.url.render_as_string(hide_password=False), read_only=True)


def make_uow_factory(engine: Engine) -> Callable[[], UnitOfWork]:
    """A callable that opens a new SqlUnitOfWork (one Session each) on this engine."""
    from storage.uow import SqlUnitOfWork

    sessions = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)

    def factory() -> UnitOfWork:
        return SqlUnitOfWork(sessions)

    return factory
