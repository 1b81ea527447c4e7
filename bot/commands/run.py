"""`athar run`: Telegram (long polling) when ATHAR_TELEGRAM_TOKEN is set, else the terminal chat.

When the configured NLU URL is local and nothing answers, the local Rasa server is started as a
child process for the session and stopped on exit.
"""
from __future__ import annotations

import argparse
import contextlib
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run Athar (Telegram if a token is set, else the terminal)")
    p.add_argument("--user", default=None)
    p.add_argument("--lang", default=None)
    p.set_defaults(func=run)


def nlu_context(settings):
    """The local Rasa server for the session, when configured and available."""
    if not (settings.nlu.url and settings.nlu.autostart):
        return contextlib.nullcontext()
    from nlu.server import local_rasa
    return local_rasa(settings.nlu.url, log=lambda m: print(m, file=sys.stderr))


def run(args: argparse.Namespace) -> int:
    from bot.settings import get_settings

    settings = get_settings()
    with nlu_context(settings):
        if settings.telegram_token is not None:
            from bot.commands import telegram as tg  # added with the Telegram channel
            return tg.run_polling(settings)
        from bot.commands.chat import run as chat
        return chat(argparse.Namespace(user=args.user, lang=args.lang, no_rasa=False))
