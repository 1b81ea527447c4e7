"""`athar web --host H --port P [--workers N] [--webhook-url URL]`: serve the webhooks of
Telegram (POST /telegram) and WhatsApp (GET and POST /whatsapp), each when its settings are set,
and the coordinators' dashboard (/dashboard, always).

The ASGI app is bot.channels.web. Before the workers start, this command migrates the database
and, for Telegram, sets the command menu and, when a public URL is given (--webhook-url or
telegram.webhook_url), registers the webhook with the secret token. WhatsApp's webhook is
registered once in Meta's developer console (see docs/channels.md).
"""

from __future__ import annotations

import argparse
import asyncio
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "web",
        help="serve the dashboard and the Telegram and WhatsApp webhooks "
        "(ASGI: /dashboard, /telegram, /whatsapp)",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument(
        "--webhook-url", default=None, help="public HTTPS URL of /telegram to register with Telegram"
    )
    p.set_defaults(func=run, quick_exit=True)


async def _prepare(settings, webhook_url: str | None) -> None:
    from bot.app import build_app
    from bot.channels.telegram import build_runtime

    athar = build_app(settings, nlu=None)
    runtime, channel = build_runtime(athar, settings)
    try:
        await runtime.start(sweep=False)
        await channel.set_commands()
        if webhook_url:
            await channel.set_webhook(webhook_url, settings.telegram_webhook_secret.get_secret_value())
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
    telegram = settings.telegram_token is not None
    if not telegram and not settings.whatsapp_enabled:
        missing = settings.whatsapp_missing()
        what = (
            " and ".join(missing)
            if len(missing) < 4
            else "ATHAR_TELEGRAM_TOKEN (Telegram) or the ATHAR_WHATSAPP_* settings (WhatsApp)"
        )
        print(
            f"athar web: no channel (set {what} in the environment); serving the dashboard only.",
            file=sys.stderr,
        )
    if telegram and settings.telegram_webhook_secret is None:
        print("athar web: set ATHAR_TELEGRAM_WEBHOOK_SECRET in the environment.", file=sys.stderr)
        return 2
    setup_logging(settings.logging.level)
    upgrade(settings.sqlalchemy_url)
    if telegram:
        asyncio.run(_prepare(settings, args.webhook_url or settings.telegram.webhook_url))
    print(
        f"Dashboard: http://{args.host}:{args.port}/dashboard (its links: {settings.dashboard.url})",
        file=sys.stderr,
    )
    if settings.whatsapp_enabled:
        print(
            f"WhatsApp webhook: http://{args.host}:{args.port}/whatsapp "
            "(behind your HTTPS proxy; register it in Meta's developer console)",
            file=sys.stderr,
        )
    with nlu_context(settings):  # a local Rasa, shared by the workers, when configured
        uvicorn.run(
            "bot.channels.web:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=max(1, args.workers),
            log_level=settings.logging.level.lower(),
            access_log=False,
            timeout_graceful_shutdown=2,
        )
    return 0
