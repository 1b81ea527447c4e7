from __future__ import annotations

import shutil

import pytest

from tests.dashboard.helpers import seed_programme


@pytest.fixture(scope="session")
def _seeded_template(_sqlite_template, tmp_path_factory):
    """A migrated SQLite database with the ten communes' demo, made once per session."""
    from storage.db import make_engine, make_uow_factory

    path = tmp_path_factory.mktemp("dash") / "seeded.db"
    shutil.copyfile(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    seed_programme(make_uow_factory(engine))
    engine.dispose()
    return path


@pytest.fixture
def seeded_db_url(_seeded_template, tmp_path) -> str:
    """A copy of the seeded demo database for one test."""
    path = tmp_path / "athar.db"
    shutil.copyfile(_seeded_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def programme(seeded_db_url):
    from storage.db import make_engine, make_uow_factory

    engine = make_engine(seeded_db_url)
    yield make_uow_factory(engine)
    engine.dispose()
