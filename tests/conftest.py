"""Fixtures shared by every test package. Keep this file small; add, do not change behaviour.

Databases (storage layer, see storage/):
- `db_url`        a migrated, empty database, parametrised over `sqlite` (a temp file) and
                  `postgres` (marked `postgres`; its own schema per test run on
                  ATHAR_TEST_PG_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test;
                  SKIPPED with the reason when the server cannot be reached).
- `uow_factory`   a UnitOfWork factory (domain.ports.UnitOfWorkFactory) on `db_url`.
- `sqlite_db_url`, `sqlite_uow_factory`   the same on SQLite only, for tests that do not need
                  to run twice.
- `empty_db_url`  a database with no tables at all (migration tests), on both backends.
Rasa (tests marked `rasa`):
- `rasa_server`   the real Rasa server with the trained model (cached by data hash, trained here
                  if missing), started ONCE per test session on a free loopback port; `rasa_nlu`
                  the app's NLU (nlu.service) on it. When Rasa's environment (.venv-rasa, Python
                  3.10) is missing they FAIL with the reason: `make test` builds it, so a missing
                  env is a broken setup, not something to skip silently.
Every test starts with no rows (ids are not reset: do not expect id 1). Nothing leaks from one
test to the next.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Iterator

import pytest

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _pg_base_url() -> str:
    from storage.db import normalise_url

    return normalise_url(os.environ.get("ATHAR_TEST_PG_URL", DEFAULT_PG_URL))


def _pg_admin_engine():
    from sqlalchemy.pool import NullPool
    from storage.db import make_engine

    return make_engine(_pg_base_url(), connect_args={"connect_timeout": 3}, poolclass=NullPool)


class _Postgres:
    """One schema per test run (dropped at the end), so parallel runs never collide."""

    def __init__(self) -> None:
        from sqlalchemy.engine import make_url

        self.error: str | None = None
        self.schemas: list[str] = []
        self._make_url = make_url
        try:
            engine = _pg_admin_engine()
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            engine.dispose()
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
            text = str(getattr(exc, "orig", None) or exc).strip()
            first = text.splitlines()[0] if text else type(exc).__name__
            self.error = (
                f"PostgreSQL is not reachable at {self._safe(_pg_base_url())} ({first}); "
                "run `make postgres` or set ATHAR_TEST_PG_URL"
            )

    def _safe(self, url: str) -> str:
        return self._make_url(url).render_as_string(hide_password=True)

    def new_schema(self) -> tuple[str, str]:
        """Create a fresh schema; return its name and a URL whose search_path points at it."""
        name = f"athar_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        engine = _pg_admin_engine()
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        finally:
            engine.dispose()
        self.schemas.append(name)
        url = self._make_url(_pg_base_url()).update_query_dict({"options": f"-csearch_path={name}"})
        return name, url.render_as_string(hide_password=False)

    def drop_schema(self, name: str) -> None:
        engine = _pg_admin_engine()
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        finally:
            engine.dispose()
        if name in self.schemas:
            self.schemas.remove(name)

    def drop_all(self) -> None:
        for name in list(self.schemas):
            self.drop_schema(name)

    def drop_stale(self) -> None:
        """Drop schemas left by test runs on this machine that were killed (their pid is gone).
        Only for a local server: another machine's pids mean nothing here."""
        if self._make_url(_pg_base_url()).host not in ("127.0.0.1", "localhost", "::1", None):
            return
        engine = _pg_admin_engine()
        try:
            with engine.connect() as conn:
                names = [
                    r[0]
                    for r in conn.exec_driver_sql(
                        "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, 'athar_test_')"
                    )
                ]
        finally:
            engine.dispose()
        for name in names:
            try:
                pid = int(name.split("_")[2])
                os.kill(pid, 0)
            except ProcessLookupError:
                self.drop_schema(name)
            except (ValueError, IndexError, PermissionError):
                continue


@pytest.fixture(scope="session")
def _postgres() -> Iterator[_Postgres]:
    pg = _Postgres()
    if pg.error is None:
        try:
            pg.drop_stale()
        except Exception:  # noqa: BLE001 - housekeeping only, never a reason to fail a run
            pass
    yield pg
    if pg.error is None:
        pg.drop_all()


def _tables() -> list[str]:
    from storage.tables import metadata

    return [t.name for t in metadata.sorted_tables]


@pytest.fixture(scope="session", params=_BACKENDS)
def _migrated_db(request, _postgres, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """(backend, url) of a database migrated once per session."""
    from storage.migrate import upgrade

    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "template.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield "sqlite", url
        return
    if _postgres.error:
        pytest.skip(_postgres.error)
    _, url = _postgres.new_schema()
    upgrade(url)
    yield "postgres", url


@pytest.fixture
def db_url(_migrated_db, tmp_path) -> Iterator[str]:
    """A migrated database with no rows, on SQLite and on PostgreSQL."""
    backend, url = _migrated_db
    if backend == "sqlite":
        template = Path(url[len("sqlite:///") :])
        path = tmp_path / "athar.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    _wipe_postgres(url)
    yield url


def _wipe_postgres(url: str) -> None:
    from storage.db import make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as conn:  # DELETE: ~8x faster than TRUNCATE on tiny tables
            for table in reversed(_tables()):
                conn.exec_driver_sql(f'DELETE FROM "{table}"')
    finally:
        engine.dispose()


@pytest.fixture
def uow_factory(db_url):
    """domain.ports.UnitOfWorkFactory on `db_url` (both backends)."""
    from storage.db import make_engine, make_uow_factory

    engine = make_engine(db_url)
    yield make_uow_factory(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    from storage.migrate import upgrade

    path = tmp_path_factory.mktemp("db") / "template-sqlite.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_db_url(_sqlite_template, tmp_path) -> str:
    """A migrated, empty SQLite database (a temp file)."""
    path = tmp_path / "athar.db"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sqlite_uow_factory(sqlite_db_url):
    from storage.db import make_engine, make_uow_factory

    engine = make_engine(sqlite_db_url)
    yield make_uow_factory(engine)
    engine.dispose()


@pytest.fixture(params=_BACKENDS)
def empty_db_url(request, _postgres, tmp_path) -> Iterator[str]:
    """A database without any table (not migrated), on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if _postgres.error:
        pytest.skip(_postgres.error)
    name, url = _postgres.new_schema()
    yield url
    _postgres.drop_schema(name)


# -- the real Rasa server -------------------------------------------------------------------
@pytest.fixture(scope="session")
def rasa_model() -> Path:
    from nlu import trainer

    if not trainer.rasa_bin().exists():
        pytest.fail(
            f"{trainer.rasa_bin()} is missing: run `make test` (it builds Rasa's Python 3.10 "
            "environment), or see `nlu/find-python310.sh` for how to get Python 3.10"
        )
    return trainer.train(log=lambda m: None)


@pytest.fixture(scope="session")
def rasa_server(rasa_model):
    from nlu.server import LocalRasa, free_port

    logdir = Path(tempfile.mkdtemp(prefix="athar-rasa-test-"))
    server = LocalRasa(free_port(), rasa_model, logdir / "rasa.log")
    server.start()
    try:
        server.wait_ready(timeout=300, log=lambda m: None)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def rasa_nlu(rasa_server):
    from nlu.service import make_nlu

    nlu = make_nlu(rasa_server.url, timeout=10.0)
    yield nlu
    nlu.close()
