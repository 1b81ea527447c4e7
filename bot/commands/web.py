"""`athar web --host H --port P [--workers N] [--webhook-url URL]`: serve Telegram webhooks.

The ASGI app is bot.channels.web (POST /telegram). Before the workers start, this command
migrates the database, sets the command menu and, when a public URL is given (--webhook-url or
telegram.webhook_url), registers the webhook with the secret token.
"""
from __future__ import annotations

import argparse
import asyncio
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("web", help="serve Telegram webhooks (ASGI, POST /telegram)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--webhook-url", default=None,
                   help="public HTTPS URL of /telegram to register with Telegram")
    p.set_defaults(func=run)


async def _prepare(settings, webhook_url: str | None) -> None:
    from bot.app import build_app
    from bot.channels.telegram import build_runtime

    athar = build_app(settings, nlu=None)
    runtime, channel = build_runtime(athar, settings)
    try:
        await runtime.start(sweep=False)
        await channel.set_commands()
        if webhook_url:
            await channel.set_webhook(webhook_url,
                                      settings.telegram_webhook_secret.get_secret_value())
            print(f"webhook registered: {webhook_url}", file=sys.stderr)
    finally:
        await runtime.stop()
        athar.close()


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.commands.run import nlu_context
    from bot.logs import setup_logging
    from bot.settings import get_settings
    from storage.migrate import upgrade

    settings = get_settings()
    missing = [name for name, value in (("ATHAR_TELEGRAM_TOKEN", settings.telegram_token),
                                        ("ATHAR_TELEGRAM_WEBHOOK_SECRET",
                                         settings.telegram_webhook_secret)) if value is None]
    if missing:
        print(f"athar web: set {' and '.join(missing)} in the environment.", file=sys.stderr)
        return 2
    setup_logging(settings.logging.level)
    upgrade(settings.sqlalchemy_url)
    asyncio.run(_prepare(settings, args.webhook_url or settings.telegram.webhook_url))
    with nlu_context(settings):  # a local Rasa, shared by the workers, when configured
        uvicorn.run("bot.channels.web:create_app", factory=True, host=args.host, port=args.port,
                    workers=max(1, args.workers), log_level=settings.logging.level.lower(),
                    access_log=False)
    return 0
