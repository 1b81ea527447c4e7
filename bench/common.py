"""What several benchmarks share: a scratch PostgreSQL schema, percentiles."""

from __future__ import annotations

import os
import uuid

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pg_base() -> str:
    """The PostgreSQL server the benchmarks use (the tests' ATHAR_TEST_PG_URL, else the local one)."""
    from storage.db import normalise_url

    return normalise_url(os.environ.get("ATHAR_TEST_PG_URL", PG_DEFAULT))


def new_schema(prefix: str = "athar_bench", **engine_kwargs) -> tuple[str, str]:
    """Create an empty schema; return its name and a URL whose search_path is that schema.
    Raises when the server does not answer."""
    from sqlalchemy.engine import make_url
    from storage.db import make_engine

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    engine = make_engine(pg_base(), **engine_kwargs)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    finally:
        engine.dispose()
    url = make_url(pg_base()).update_query_dict({"options": f"-csearch_path={name}"})
    return name, url.render_as_string(hide_password=False)


def drop_schema(name: str) -> None:
    from storage.db import make_engine

    engine = make_engine(pg_base())
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    finally:
        engine.dispose()


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0 ≤ q ≤ 1) by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]
