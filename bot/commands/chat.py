"""`athar chat [--user ID] [--lang TAG]`: talk to Athar in the terminal."""

from __future__ import annotations

import argparse
import getpass
import sys

from domain.languages import ALL_LANGS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chat", help="chat with Athar in the terminal")
    p.add_argument("--user", default=None, help="conversation id (default: your login name)")
    p.add_argument("--lang", choices=[lang.value for lang in ALL_LANGS], default=None)
    p.add_argument("--no-rasa", action="store_true", help="use the fallback parser only")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.app import build_app
    from bot.channels.console import run_console
    from bot.logs import setup_logging
    from bot.settings import get_settings

    settings = get_settings()
    # The terminal is the chat: logs go to a file so they do not mix with the conversation.
    setup_logging(settings.logging.level, path="var/athar.log")
    if args.no_rasa:
        settings = settings.model_copy(update={"nlu": settings.nlu.model_copy(update={"url": None})})
    app = build_app(settings, migrate=True)
    try:
        user = args.user or _login()
        return run_console(app.dispatcher, user=user, lang=args.lang, stdin=sys.stdin, stdout=sys.stdout)
    finally:
        app.close()


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "local"
