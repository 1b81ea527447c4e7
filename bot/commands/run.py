"""`athar run`: Athar on the channels whose settings are set, else the terminal chat.

- WhatsApp settings set (ATHAR_WHATSAPP_*): the webhook server (GET/POST /whatsapp, on --host
  and --port) with, when ATHAR_TELEGRAM_TOKEN is set too, Telegram by long polling in the same
  process and delivery runtime;
- only ATHAR_TELEGRAM_TOKEN: Telegram by long polling;
- neither: the terminal chat.

When the configured NLU URL is local and nothing answers, the local Rasa server is started as a
child process for the session and stopped on exit.
"""

from __future__ import annotations

import argparse
import contextlib
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run Athar (WhatsApp and/or Telegram when set, else the terminal)")
    p.add_argument("--user", default=None)
    p.add_argument("--lang", default=None)
    p.add_argument("--host", default="127.0.0.1", help="WhatsApp webhook server (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="WhatsApp webhook server (default 8080)")
    p.set_defaults(func=run, quick_exit=True)


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
        if settings.whatsapp_enabled:
            return serve(settings, args.host, args.port)
        if settings.telegram_token is not None:
            from bot.commands import telegram as tg  # added with the Telegram channel

            return tg.run_polling(settings)
        from bot.commands.chat import run as chat

        return chat(argparse.Namespace(user=args.user, lang=args.lang, no_rasa=False))


def serve(settings, host: str, port: int) -> int:
    """WhatsApp's webhook server, with Telegram polled in the same process when it is set."""
    import uvicorn

    from bot.channels.web import create_app
    from bot.logs import setup_logging
    from storage.migrate import upgrade

    setup_logging(settings.logging.level)
    upgrade(settings.sqlalchemy_url)
    telegram = " and Telegram (long polling)" if settings.telegram_token is not None else ""
    print(
        f"Athar is listening on WhatsApp at http://{host}:{port}/whatsapp{telegram}. Expose it "
        "over HTTPS and register it in Meta's developer console (docs/channels.md). Ctrl-C to "
        "stop.",
        file=sys.stderr,
    )
    uvicorn.run(
        create_app(settings, telegram_polling=True),
        host=host,
        port=port,
        log_level=settings.logging.level.lower(),
        access_log=False,
        timeout_graceful_shutdown=2,
    )
    return 0
