"""`athar db …`: the database.

- `upgrade`  create or migrate the schema (Alembic) to the newest revision;
- `current`  show the revision (exit 1 when the database is missing or behind);
- `prune`    forget processed message ids older than --inbox-days, and erase poll respondents
             (with their answers and stories) who consented more than `polls.retention_months`
             ago, as promised in the consent step (bot.maintenance). A running Telegram bot
             does it by itself every few hours; run it daily (cron, systemd timer) otherwise.
"""

from __future__ import annotations

import argparse

from sqlalchemy.engine import make_url

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
    state = "up to date" if revision == newest else f"behind (newest: {newest}): run `athar db upgrade`"
    print(f"database {_where(url)} is at revision {revision}, {state}")
    return 0 if revision == newest else 1


def _prune(args: argparse.Namespace) -> int:
    from bot.maintenance import CONVERSATION_DAYS, DEAD_LETTER_DAYS, WHATSAPP_STATUS_DAYS, prune
    from storage.db import make_engine, make_uow_factory

    settings = get_settings()
    months = settings.polls.retention_months
    engine = make_engine(settings.sqlalchemy_url)
    try:
        done = prune(
            make_uow_factory(engine), months, inbox_days=args.inbox_days, outbox_days=args.outbox_days
        )
    finally:
        engine.dispose()
    print(f"forgot {done.message_ids} processed message id(s) older than {args.inbox_days} day(s)")
    print(
        f"deleted {done.outbox_items} sent or abandoned outgoing message(s) older than "
        f"{args.outbox_days} day(s)"
    )
    print(f"deleted {done.dead_letters} dead letter(s) older than {DEAD_LETTER_DAYS} days")
    print(
        f"deleted {done.whatsapp_statuses} WhatsApp delivery status(es) older than "
        f"{WHATSAPP_STATUS_DAYS} days"
    )
    print(f"erased {done.respondents} poll respondent(s) who consented more than {months} month(s) ago")
    print(
        f"deleted {done.conversations} conversation(s) of no registered user untouched for "
        f"{CONVERSATION_DAYS} days"
    )
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="database: upgrade, current, prune")
    sub = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = sub.add_parser("upgrade", help="create or migrate the database to the newest schema")
    up.set_defaults(func=_upgrade)
    cur = sub.add_parser("current", help="show the schema revision of the database")
    cur.set_defaults(func=_current)
    prune = sub.add_parser(
        "prune",
        help="forget old message ids; erase respondents past the retention period (polls.retention_months)",
    )
    prune.add_argument(
        "--inbox-days",
        type=_positive,
        default=30,
        metavar="N",
        help="keep the processed message ids of the last N days (default 30; "
        "channels redeliver for hours at most)",
    )
    prune.add_argument(
        "--outbox-days",
        type=_positive,
        default=30,
        metavar="N",
        help="keep sent (or abandoned) outgoing messages of the last N days (default 30)",
    )
    prune.set_defaults(func=_prune)
