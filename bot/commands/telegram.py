"""`athar telegram`: run the Telegram bot with long polling (ATHAR_TELEGRAM_TOKEN must be set).

`athar run` calls `run_polling(settings)` when a token is set. For webhooks, see `athar web`.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("telegram", help="run the Telegram bot (long polling)")
    p.set_defaults(func=_cli, quick_exit=True)


def _cli(args: argparse.Namespace) -> int:
    from bot.commands.run import nlu_context
    from bot.settings import get_settings

    settings = get_settings()
    if settings.telegram_token is None:
        print(
            "ATHAR_TELEGRAM_TOKEN is not set: create a bot with @BotFather and export its token.",
            file=sys.stderr,
        )
        return 2
    with nlu_context(settings):
        return run_polling(settings)


def _run(coro) -> None:
    """asyncio.run on uvloop where it is installed (uvicorn picks it for `athar web` too):
    its event loop costs less per socket operation and per thread hand-over."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux and macOS
        asyncio.run(coro)
        return
    uvloop.run(coro)


def run_polling(settings) -> int:
    """Long polling until Ctrl-C / SIGTERM; updates left unprocessed are resumed at next start."""
    from bot.app import build_app
    from bot.channels import telegram
    from bot.logs import setup_logging

    setup_logging(settings.logging.level)
    athar = build_app(settings, migrate=True)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):  # pragma: no cover - not on the main thread
                pass

        def ready(channel) -> None:
            print(
                f"Athar is listening on Telegram (long polling, {settings.telegram.api_url}…). "
                "Ctrl-C to stop.",
                file=sys.stderr,
            )

        await telegram.run_polling(athar, settings, stop, ready=ready)

    try:
        _run(main())
    finally:
        athar.close()
    return 0
