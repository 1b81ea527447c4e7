"""Run the Alembic migrations from code (`athar db upgrade`, tests, the composition root).

The configuration is built programmatically (no alembic.ini), so it works from an installed
package: the scripts are found next to this module.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage.db import make_engine, normalise_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        cfg.attributes["url"] = normalise_url(url)  # not via set_main_option: '%' in passwords
    return cfg


def head() -> str:
    """The newest revision shipped with this code."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"the Athar migrations must have one head, found {heads}")
    return heads[0]


def upgrade(url: str, revision: str = "head") -> str | None:
    """Bring the database at `url` to `revision` (default: the newest); return where it is."""
    command.upgrade(alembic_config(url), revision)
    return current(url)


def downgrade(url: str, revision: str) -> str | None:
    command.downgrade(alembic_config(url), revision)
    return current(url)


def current(url: str) -> str | None:
    """The revision the database is at (None when it was never migrated)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
