"""`athar db upgrade` / `athar db current`: the database schema (Alembic migrations);
`athar db prune`: forget old processed message ids."""
from __future__ import annotations

import argparse

from sqlalchemy.engine import make_url

from datetime import timedelta

from bot.settings import get_settings


def _where(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _upgrade(args: argparse.Namespace) -> int:
    from storage.migrate import head, upgrade

    url = get_settings().sqlalchemy_url
    revision = upgrade(url)
    print(f"database {_where(url)} is at revision {revision} (newest: {head()})")
    return 0


def _current(args: argparse.Namespace) -> int:
    from storage.migrate import current, head

    url = get_settings().sqlalchemy_url
    revision = current(url)
    newest = head()
    if revision is None:
        print(f"database {_where(url)} has no schema yet: run `athar db upgrade`")
        return 1
    state = ("up to date" if revision == newest
             else f"behind (newest: {newest}): run `athar db upgrade`")
    print(f"database {_where(url)} is at revision {revision}, {state}")
    return 0 if revision == newest else 1


def _prune(args: argparse.Namespace) -> int:
    from domain.records import utcnow
    from storage.db import make_engine, make_uow_factory

    engine = make_engine(get_settings().sqlalchemy_url)
    try:
        with make_uow_factory(engine)() as uow:
            n = uow.inbox.prune(utcnow() - timedelta(days=args.inbox_days))
            uow.commit()
    finally:
        engine.dispose()
    print(f"forgot {n} processed message id(s) older than {args.inbox_days} day(s)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="database schema: upgrade, current")
    sub = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = sub.add_parser("upgrade", help="create or migrate the database to the newest schema")
    up.set_defaults(func=_upgrade)
    cur = sub.add_parser("current", help="show the schema revision of the database")
    cur.set_defaults(func=_current)
    prune = sub.add_parser("prune", help="forget processed message ids older than --inbox-days")
    prune.add_argument("--inbox-days", type=int, default=30, metavar="N",
                       help="keep the ids of the last N days (default 30; channels redeliver "
                            "for hours at most)")
    prune.set_defaults(func=_prune)
