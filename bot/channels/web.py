"""The channels' webhooks as an ASGI application (Starlette), served by `athar web` (uvicorn).

Each channel whose settings are there is served: Telegram at /telegram (below), WhatsApp at
/whatsapp (GET: Meta's verification handshake; POST: events, accepted only with a valid
X-Hub-Signature-256, answered 200 once recorded; see `whatsapp_routes` and
bot.channels.whatsapp).

One delivery runtime (bot/channels/runtime.py) per worker serves every configured channel.
POST /telegram is answered only after the update is recorded in the database (python-telegram-
bot's own webhook server answers 200 before processing, so a crash would lose the update):

1. the X-Telegram-Bot-Api-Secret-Token header is compared with ATHAR_TELEGRAM_WEBHOOK_SECRET in
   constant time (hmac.compare_digest); missing or wrong: 403;
2. a body over 64 KB is refused (413) before it is parsed: by its Content-Length, and while it is
   read when no length is given;
3. the update is made storable (NUL, lone surrogates, NaN) and recorded (inbound_updates; the
   same update_id twice is recorded once) and only then is 200 returned; a body that is not
   JSON, or one that can never be stored (nested or big beyond any real update), is refused
   with 400 (kept as a dead letter when it has an update_id); if the database is unavailable
   the answer is 503 and Telegram retries;
4. it is then processed in the background of this worker (dispatcher, replies, outbox); a worker
   that dies leaves it recorded, and any worker's sweep picks it up.

The coordinators' dashboard is served under /dashboard (bot/dashboard/web.py), whatever the
channels configured.

Nothing lives in process memory that another worker needs: run as many workers as you like.
GET /healthz answers "ok".
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.channels.runtime import Receipt

log = logging.getLogger("athar.web")

MAX_BODY = 64 * 1024
SECRET_HEADER = "x-telegram-bot-api-secret-token"
PATH = "/telegram"


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes | None:
    """The request's body, or None when it is over `limit` bytes: refused by its
    Content-Length before anything is read, and while it is read when no length is given."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            return None
    return bytes(body)


def parse_json(body: bytes) -> Any:
    """A request body's JSON, or None when it is not JSON (or nested too deep to read: the
    parser's recursion is refused as a bad request, not a server error)."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def create_app(
    settings: Any = None,
    *,
    athar: Any = None,
    runtime_kwargs: dict[str, Any] | None = None,
    whatsapp_kwargs: dict[str, Any] | None = None,
    telegram_polling: bool = False,
) -> Starlette:
    """The ASGI app. With no arguments (uvicorn's factory, one call per worker) settings come
    from config.yml and the environment. `telegram_polling` (`athar run`, one process): Telegram
    by long polling in the same runtime, no /telegram webhook."""
    from bot.settings import SettingsError, get_settings

    from bot.dashboard.web import DashboardApp

    settings = settings or get_settings()
    telegram_on = settings.telegram_token is not None
    webhook_on = telegram_on and not telegram_polling
    whatsapp_on = settings.whatsapp_enabled
    dashboard = DashboardApp(settings)
    if webhook_on and settings.telegram_webhook_secret is None:
        raise SettingsError("ATHAR_TELEGRAM_WEBHOOK_SECRET is not set: webhooks need a secret")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        from bot.app import build_app
        from bot.channels.runtime import Runtime

        own = athar is None
        stop, polling = asyncio.Event(), None
        a = athar if athar is not None else build_app(settings)
        dashboard.attach(a)
        app.state.runtime = app.state.telegram = app.state.whatsapp = None
        try:
            kwargs = dict(runtime_kwargs or {})
            adapters = _channels(app, a, settings, kwargs, whatsapp_kwargs)
            app.state.runtime = Runtime(a, adapters, **kwargs)
            # long polling: the only process that reads Telegram's updates, so it takes over
            # everything left at once
            await app.state.runtime.start(alone=telegram_polling)
            if telegram_on and telegram_polling:
                await app.state.telegram.set_commands()
                polling = asyncio.create_task(app.state.telegram.poll(stop))
                polling.add_done_callback(_polling_ended)
            yield
        finally:
            stop.set()
            if polling is not None:
                await asyncio.gather(polling, return_exceptions=True)
            dashboard.close()
            if app.state.runtime is not None:
                await app.state.runtime.stop()
            if own:
                a.close()

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    routes = [Route("/healthz", health, methods=["GET"])]
    if webhook_on:
        routes.append(telegram_route(settings.telegram_webhook_secret.get_secret_value().encode()))
    if whatsapp_on:
        routes.extend(whatsapp_routes(settings))
    routes.extend(dashboard.routes())
    return Starlette(routes=routes, lifespan=lifespan)


def _channels(
    app: Starlette, a: Any, settings: Any, kwargs: dict[str, Any], whatsapp_kwargs: dict[str, Any] | None
) -> list[Any]:
    """The adapters of the configured channels, kept on app.state (telegram, whatsapp); WhatsApp's
    recovery timings go into the runtime's `kwargs` unless given."""
    adapters: list[Any] = []
    if settings.telegram_token is not None:
        from bot.channels.telegram import TelegramChannel

        app.state.telegram = TelegramChannel.build(settings, a.services.catalog)
        adapters.append(app.state.telegram)
    if settings.whatsapp_enabled:
        from bot.channels.whatsapp import WhatsAppChannel

        app.state.whatsapp = WhatsAppChannel(a, settings, **(whatsapp_kwargs or {}))
        adapters.append(app.state.whatsapp)
        kwargs.update(_recovery(settings.whatsapp, kwargs))
    return adapters


def _is_update(payload: Any) -> bool:
    """A Telegram update's shape: an object with an integer update_id."""
    return (
        isinstance(payload, dict)
        and isinstance(payload.get("update_id"), int)
        and not isinstance(payload.get("update_id"), bool)
    )


def telegram_route(expected: bytes) -> Route:
    """POST /telegram, checked, recorded and acknowledged as the module's docstring says;
    `expected` is the webhook's secret token."""

    async def telegram_update(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None or not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected):
            log.warning("webhook call refused: missing or wrong secret token")
            return Response(status_code=403)
        body = await read_body(request)
        if body is None:
            return Response(status_code=413)
        payload = parse_json(body)
        if not _is_update(payload):
            return Response(status_code=400)
        telegram = request.app.state.telegram
        call = telegram.answer_in_response(payload)
        try:
            (receipt,) = await request.app.state.runtime.receive(
                telegram.name, [payload], on_new=telegram.answered_in_response if call is not None else None
            )
        except Exception:  # noqa: BLE001 - not recorded: not acknowledged, Telegram retries
            log.exception("an update could not be recorded")
            return Response(status_code=503)
        if receipt == Receipt.REFUSED:  # can never be stored: kept as a dead letter
            return Response(status_code=400)
        if receipt == Receipt.NEW and call is not None:  # a button press: answered right here
            return JSONResponse(call)
        return Response(status_code=200)

    return Route(PATH, telegram_update, methods=["POST"])


def whatsapp_routes(settings: Any) -> list[Route]:
    """GET /whatsapp: Meta's one-time verification (hub.mode=subscribe, hub.verify_token,
    hub.challenge echoed). POST /whatsapp: a notification, refused (403) without a valid
    X-Hub-Signature-256 (HMAC-SHA256 of the raw body with the app secret, constant-time
    comparison), refused (413) over 64 KB before it is parsed, answered 200 only once its
    events are recorded (503 if the database is down: Meta retries)."""
    from bot.channels import whatsapp as wa

    secret = settings.whatsapp_app_secret.get_secret_value().encode()
    verify = settings.whatsapp_verify_token.get_secret_value().encode()

    async def handshake(request: Request) -> Response:
        q = request.query_params
        given = (q.get("hub.verify_token") or "").encode("utf-8", "surrogateescape")
        if q.get("hub.mode") == "subscribe" and hmac.compare_digest(given, verify):
            return PlainTextResponse(q.get("hub.challenge") or "")
        log.warning("WhatsApp verification refused: wrong verify token")
        return Response(status_code=403)

    async def notification(request: Request) -> Response:
        header = request.headers.get(wa.SIGNATURE_HEADER)
        if not header:
            log.warning("WhatsApp call refused: no signature")
            return Response(status_code=403)
        body = await read_body(request)
        if body is None:
            return Response(status_code=413)
        if not wa.signed(secret, body, header):
            log.warning("WhatsApp call refused: wrong signature")
            return Response(status_code=403)
        try:
            evs = wa.events(json.loads(body))
        except (ValueError, RecursionError):
            return Response(status_code=400)
        if not evs:  # nothing Athar reads (another field, an empty change)
            return Response(status_code=200)
        try:
            await request.app.state.runtime.receive(wa.CHANNEL, [e.payload for e in evs])
        except Exception:  # noqa: BLE001 - not recorded: not acknowledged, Meta retries
            log.exception("WhatsApp events could not be recorded")
            return Response(status_code=503)
        # events that can never be stored are dead letters by now: Meta need not send them again
        return Response(status_code=200)

    return [Route(wa.PATH, handshake, methods=["GET"]), Route(wa.PATH, notification, methods=["POST"])]


def _polling_ended(task: "asyncio.Task[Any]") -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("Telegram long polling stopped: %s", task.exception())


def _recovery(whatsapp: Any, given: dict[str, Any]) -> dict[str, Any]:
    """The runtime's grace period and sweep interval from the WhatsApp settings (unless given):
    how long an event or a reply may wait before any worker's sweep takes it over, and how
    often it looks. The retries of one reply must end before the grace period does (Runtime's
    patience, 20 s by default, is shortened to half a shorter grace period)."""
    out = {
        "grace": given.get("grace", whatsapp.grace_seconds),
        "sweep_interval": given.get("sweep_interval", whatsapp.sweep_seconds),
    }
    if "patience" not in given and 0 < out["grace"] <= 20.0:
        out["patience"] = out["grace"] / 2
    return out
