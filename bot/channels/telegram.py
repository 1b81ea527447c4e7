"""The Telegram channel, on python-telegram-bot 22.x used as the transport only: an adapter of
the delivery runtime (bot/channels/runtime.py), which records, orders, handles, resends and
sweeps; no state here (no ConversationHandler, no PTB persistence).

What is Telegram's: updates read from the Bot API's JSON as they come (`to_incoming`), a
button's callback query answered at once, member changes (the user blocked the bot), replies
sent within Telegram's limits (split at 4096 UTF-16 units, inline keyboards, documents and
photos) through PTB's request layer on aiohttp and its rate limiter, long polling, and the Bot
API's errors mapped to the runtime's: a 429 is waited out by PTB's AIORateLimiter (retries
switched on) and then transient, like network errors and 5xx; a 403 means the user blocked the
bot; any other refusal is final.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import warnings
from pathlib import Path
from typing import Any, Callable, Sequence

# Opt in to PTB's coming API (durations and retry_after as timedelta; both are handled below)
# rather than a deprecation warning on every 429.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import (  # noqa: E402
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from domain.messages import Incoming, Media, Rendered, RenderedButton

from bot.channels.http import AiohttpRequest, JsonBody, UnreadableAnswer
from bot.channels.runtime import Malformed, Rejected, Runtime, Transient, Unreachable

log = logging.getLogger("athar.telegram")

CHANNEL = "telegram"
MAX_TEXT = 4096  # Telegram counts UTF-16 code units
MAX_CAPTION = 1024
START_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
COMMAND = re.compile(r"/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]+)?(?:\s+(.*))?", re.DOTALL)
MENU_COMMANDS = ("start", "menu", "help", "export", "poll", "learn", "dashboard", "language", "cancel")
MENU_LANGUAGES = ("fr", "ar")
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
DEFAULT_API_URL = "https://api.telegram.org/bot"
API_CONNECTIONS = 8  # HTTP connections to the Bot API (and Bot API calls in flight)
CALLBACK_PATIENCE = 2.0  # seconds: a button's spinner is only worth stopping soon
_UPDATE_ID = re.compile(rb'"update_id"\s*:\s*(\d{1,19})')


# ---------------------------------------------------------------------------------------------
# Parsing: a Telegram update → an Incoming message


def chat_key(payload: dict[str, Any]) -> str | None:
    """The chat an update belongs to, from the raw JSON (used to keep per-chat order)."""
    for kind in ("message", "edited_message", "callback_query", "my_chat_member"):
        part = payload.get(kind)
        if not isinstance(part, dict):
            continue
        if kind == "callback_query":
            msg = part.get("message") or {}
            chat = (msg.get("chat") or {}).get("id") or (part.get("from") or {}).get("id")
        else:
            chat = (part.get("chat") or {}).get("id")
        return str(chat) if chat is not None else None
    return None


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _media(message: dict[str, Any]) -> Media | None:
    """The medium of a message (its file id, never its content), from the Bot API's JSON."""
    for kind, field_ in (("voice", "voice"), ("audio", "audio")):
        v = message.get(field_)
        if isinstance(v, dict):
            return Media(
                kind=kind,
                ref=str(v["file_id"]),
                mime=v.get("mime_type"),
                size=_int(v.get("file_size")),
                duration=_int(v.get("duration")),
            )
    sizes = message.get("photo")
    if isinstance(sizes, list) and sizes:
        p = max(
            (s for s in sizes if isinstance(s, dict)),
            key=lambda s: (
                (_int(s.get("width")) or 0) * (_int(s.get("height")) or 0),
                _int(s.get("file_size")) or 0,
            ),
        )
        return Media(kind="photo", ref=str(p["file_id"]), mime="image/jpeg", size=_int(p.get("file_size")))
    v = message.get("video") or message.get("video_note")
    if isinstance(v, dict):
        return Media(
            kind="video", ref=str(v["file_id"]), mime=v.get("mime_type"), size=_int(v.get("file_size"))
        )
    d = message.get("document")
    if isinstance(d, dict):
        return Media(
            kind="document", ref=str(d["file_id"]), mime=d.get("mime_type"), size=_int(d.get("file_size"))
        )
    loc = message.get("location")
    if isinstance(loc, dict):
        return Media(kind="location", ref=f"{float(loc['latitude']):.6f},{float(loc['longitude']):.6f}")
    sticker = message.get("sticker")
    if isinstance(sticker, dict):
        return Media(kind="other", ref=str(sticker["file_id"]))
    return None


def to_incoming(update: dict[str, Any]) -> Incoming | None:
    """The channel-neutral message of an update (the Bot API's JSON), or None for updates Athar
    ignores (edited messages, member changes, service messages, other bots). Raises KeyError,
    TypeError or ValueError on a malformed update.

    Read straight from the JSON: building python-telegram-bot's objects for it cost more than
    the rest of handling a button press."""
    if _int(update["update_id"]) is None:
        raise ValueError("update_id is not an integer")
    uid = str(update["update_id"])
    cq = update.get("callback_query")
    if isinstance(cq, dict):
        data = cq.get("data")
        if not isinstance(data, str):
            return None
        sender = cq["from"]
        chat = _get(cq, "message", "chat", "id") or sender["id"]
        return Incoming(
            channel=CHANNEL,
            chat_id=str(chat),
            user_ref=str(sender["id"]),
            message_id=uid,
            button=data,
            lang_hint=sender.get("language_code"),
        )
    m = update.get("message")
    if not isinstance(m, dict):
        return None
    sender = m.get("from")
    if not isinstance(sender, dict) or sender.get("is_bot"):
        return None
    base = dict(
        channel=CHANNEL,
        chat_id=str(m["chat"]["id"]),
        user_ref=str(sender["id"]),
        message_id=uid,
        lang_hint=sender.get("language_code"),
    )
    text = m.get("text")
    if isinstance(text, str):
        c = COMMAND.fullmatch(text.strip())
        if c and text.lstrip().startswith("/"):
            name, arg = c.group(1).lower(), (c.group(2) or "").strip() or None
            if name == "start" and arg is not None and not START_PAYLOAD.fullmatch(arg):
                arg = None  # deep-link payloads are at most 64 of A-Z a-z 0-9 _ -
            return Incoming(**base, command=name, command_arg=arg)
        return Incoming(**base, text=text)
    media = _media(m)
    if media is not None:
        caption = m.get("caption") if isinstance(m.get("caption"), str) else ""
        caption = caption.strip()[:MAX_CAPTION] or None
        return Incoming(**base, media=media.model_copy(update={"caption": caption}))
    return None


# ---------------------------------------------------------------------------------------------
# Rendering: limits and keyboards


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> int:
    """The largest index i such that text[:i] fits in `limit` UTF-16 units."""
    if utf16_len(text) <= limit:
        return len(text)
    lo, hi = 0, min(len(text), limit)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if utf16_len(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split a text into messages of at most `limit` UTF-16 units: at a paragraph break if
    possible, else a line break, else a space, else anywhere. Nothing is lost but the break."""
    chunks: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        head = rest[: _cut(rest, limit)]
        for sep in ("\n\n", "\n", " "):
            i = head.rfind(sep)
            if i > 0:
                chunks.append(rest[:i])
                rest = rest[i + len(sep) :]
                break
        else:
            chunks.append(head)
            rest = rest[len(head) :]
    chunks.append(rest)
    kept = [c for c in chunks if c.strip()]  # Telegram refuses an empty message
    return kept or [text[: _cut(text, limit)]]


def layout(buttons: list[RenderedButton]) -> list[list[RenderedButton]]:
    """Short labels share a row (emoji scales, yes/no); longer ones get a row each."""
    if not buttons:
        return []
    longest = max(len(b.label) for b in buttons)
    per_row = 5 if longest <= 3 else 2 if longest <= 14 else 1
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def keyboard(buttons: list[RenderedButton]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in layout(buttons)]
    )


def keyboard_json(buttons: list[RenderedButton]) -> dict[str, Any] | None:
    """The same keyboard as the Bot API's JSON (what `keyboard(...).to_dict()` gives), built
    directly for the hot path: PTB's objects cost more than the rest of a reply."""
    if not buttons:
        return None
    return {
        "inline_keyboard": [
            [{"text": b.label, "callback_data": b.data} for b in row] for row in layout(buttons)
        ]
    }


def file_url(api_url: str) -> str:
    """The file download base URL that goes with a Bot API base URL (…/bot → …/file/bot)."""
    base = api_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("/bot")] + "/file/bot"
    return base + "/file/bot"


# ---------------------------------------------------------------------------------------------
# The channel: an adapter of the delivery runtime (bot/channels/runtime.py)


class TelegramChannel:
    """Parses updates, sends replies, maps the Bot API's errors; the runtime does the rest."""

    name = CHANNEL

    def __init__(
        self, application: Application, catalog: Any, *, poll_timeout: int = 25, updates_request: Any = None
    ):
        self.application = application
        self.bot = application.bot
        self.catalog = catalog
        self.poll_timeout = poll_timeout
        self.runtime: Runtime | None = None
        self._answered: set[str] = set()  # updates whose callback query the webhook answered
        # long polling's own HTTP connection (PTB keeps one apart for getUpdates)
        self._updates_request = updates_request or self.bot.request

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def build(cls, settings: Any, catalog: Any, **kwargs: Any) -> "TelegramChannel":
        if settings.telegram_token is None:
            raise ValueError("ATHAR_TELEGRAM_TOKEN is not set")
        api_url = settings.telegram.api_url or DEFAULT_API_URL
        limiter = AIORateLimiter(
            overall_max_rate=settings.telegram.max_rate, max_retries=settings.telegram.max_retries
        )
        application = (
            ApplicationBuilder()
            .token(settings.telegram_token.get_secret_value())
            .base_url(api_url)
            .base_file_url(file_url(api_url))
            .rate_limiter(limiter)
            .updater(None)
            .request(AiohttpRequest(connection_pool_size=API_CONNECTIONS, pool_timeout=30))
            .get_updates_request(updates := AiohttpRequest(connection_pool_size=1, read_timeout=60))
            .build()
        )
        return cls(application, catalog, updates_request=updates, **kwargs)

    def bind(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def open(self) -> None:
        await self.application.initialize()

    async def close(self) -> None:
        await self.application.shutdown()

    # -- receiving ------------------------------------------------------------------------
    def identify(self, payload: dict[str, Any]) -> tuple[str, str | None]:
        uid = payload.get("update_id")
        if _int(uid) is None:
            raise ValueError("an update without an integer update_id")
        return str(uid), chat_key(payload)

    def answered_in_response(self, payload: dict[str, Any]) -> None:
        """The webhook answers this update's callback query in its HTTP answer (see
        `answer_in_response`): not to be answered again."""
        self._answered.add(str(payload["update_id"]))

    async def incoming(self, payload: dict[str, Any]) -> Incoming | None:
        uid = str(payload.get("update_id"))
        answered = uid in self._answered
        self._answered.discard(uid)
        try:
            incoming = to_incoming(payload)
            member = payload.get("my_chat_member")
            query_id = _get(payload, "callback_query", "id")
        except (KeyError, TypeError, ValueError) as exc:
            raise Malformed(f"update {uid}: {exc!r}") from exc
        if query_id is not None and not answered:
            await self._answer_callback(str(query_id))
        if isinstance(member, dict):
            await self._member_changed(member)
            return None
        return incoming

    @staticmethod
    def answer_in_response(payload: dict[str, Any]) -> dict[str, Any] | None:
        """The Bot API call a webhook may send back in its HTTP answer for this update (Telegram
        performs it, without telling whether it worked): answering a callback query, which
        only stops the button's spinner, costs then no request of its own."""
        query_id = _get(payload, "callback_query", "id")
        if query_id is None:
            return None
        return {"method": "answerCallbackQuery", "callback_query_id": str(query_id)}

    async def _answer_callback(self, query_id: str) -> None:
        """Every callback query is answered (the button stops spinning), even a stale one."""
        try:
            await self._call(
                self._api,
                endpoint="answerCallbackQuery",
                params={"callback_query_id": query_id},
                patience=CALLBACK_PATIENCE,
            )
        except (Transient, Rejected, Unreachable) as exc:
            log.info("callback query not answered: %s", exc)

    async def _member_changed(self, change: dict[str, Any]) -> None:
        status = _get(change, "new_chat_member", "status")
        user = _get(change, "from", "id")
        if user is not None and status in ("kicked", "left", "member"):
            await self.runtime.set_reachable(CHANNEL, str(user), status == "member")

    # -- sending --------------------------------------------------------------------------
    def fits(self, text: str) -> bool:
        return utf16_len(text) <= MAX_TEXT

    async def _api(self, endpoint: str, params: dict[str, Any]) -> Any:
        """A Bot API call whose parameters are plain JSON, for the calls made for every update
        (sendMessage, answerCallbackQuery): through PTB's rate limiter (its retries on 429) and
        PTB's request layer (its HTTP errors → TelegramError mapping, its answer parsing),
        without the Bot layer in between, which turns each parameter into objects and encodes
        it on its own, checks defaults and warns, for about a third of the call's cost."""
        limiter = self.bot.rate_limiter
        if limiter is None:
            return await self._post_json(endpoint, params)
        return await limiter.process_request(
            callback=self._post_json,
            args=(endpoint, params),
            kwargs={},
            endpoint=endpoint,
            data=params,
            rate_limit_args=None,
        )

    async def _post_json(
        self, endpoint: str, params: dict[str, Any], request: Any = None, **timeouts: Any
    ) -> Any:
        """POST a JSON body through PTB's request layer (`request`: the general one unless
        given, e.g. long polling's own)."""
        return await (request or self.bot.request).post(
            url=f"{self.bot.base_url}/{endpoint}",
            request_data=JsonBody(params),  # type: ignore[arg-type]
            **timeouts,
        )

    async def _call(self, method: Callable[..., Any], patience: float | None = None, **kwargs: Any) -> Any:
        """Call the Bot API through the runtime (which retries what is transient), its errors
        mapped: a 429 the rate limiter gave up on, network errors and 5xx are transient; 403
        means the user blocked the bot; any other refusal is final."""
        return await self.runtime.call(_mapped, method, patience=patience, **kwargs)

    async def send(self, chat_id: str, reply: Rendered, items: Sequence[int] = ()) -> None:
        att = reply.attachment
        chunks = split_text(reply.text) if reply.text.strip() else []
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            params: dict[str, Any] = {"chat_id": chat_id, "text": chunk}
            if last and not att and reply.buttons:
                params["reply_markup"] = keyboard_json(reply.buttons)
            # The raw call: PTB would rebuild the whole sent Message (keyboard included) from
            # the answer, which nobody reads; that cost about a millisecond per reply.
            await self._call(self._api, endpoint="sendMessage", params=params)
        if att:
            markup = keyboard(reply.buttons)
            path = Path(att["path"])
            caption = att.get("caption") or ""
            caption = caption[: _cut(caption, MAX_CAPTION)] or None
            extra = dict(chat_id=chat_id, caption=caption, reply_markup=markup)
            if att.get("kind") == "photo":
                await self._call(self.bot.send_photo, photo=path, **extra)
            else:
                await self._call(
                    self.bot.send_document, document=path, filename=att.get("filename") or path.name, **extra
                )

    # -- polling --------------------------------------------------------------------------
    async def poll(self, stop: asyncio.Event) -> None:
        """Long polling: each batch is recorded before the next getUpdates acknowledges it."""
        await self._call(self.bot.delete_webhook, drop_pending_updates=False)
        offset: int | None = None
        pause = 0.5
        single = False  # after an answer nobody could read: one update at a time
        while not stop.is_set():
            # Raw JSON: the updates are recorded as they came and parsed once, when processed.
            params: dict[str, Any] = {"timeout": self.poll_timeout, "allowed_updates": ALLOWED_UPDATES}
            if offset is not None:
                params["offset"] = offset
            if single:
                params["limit"] = 1
            fetch = asyncio.create_task(
                self._post_json(
                    "getUpdates", params, self._updates_request, read_timeout=self.poll_timeout + 35
                )
            )
            stopping = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if fetch not in done:
                fetch.cancel()
                await asyncio.gather(fetch, return_exceptions=True)
                break
            stopping.cancel()
            try:
                updates = fetch.result()
            except UnreadableAnswer as exc:
                if not single:  # find the update nobody can read: one at a time
                    single = True
                    continue
                skipped = await self._skip_unreadable(exc.raw, offset)
                if skipped is None:
                    log.warning("getUpdates answer unreadable, retrying in %.1fs", pause)
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, 30.0)
                else:
                    offset = skipped + 1
                continue
            except (BadRequest, Forbidden) as exc:
                raise RuntimeError(f"getUpdates refused: {exc}") from exc
            except TelegramError as exc:
                log.warning("getUpdates failed, retrying in %.1fs: %s", pause, exc)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 30.0)
                continue
            pause = 0.5
            single = False
            payloads = [
                u for u in updates or [] if isinstance(u, dict) and isinstance(u.get("update_id"), int)
            ]
            if not payloads:
                continue
            while True:
                try:
                    await self.runtime.receive(CHANNEL, payloads)
                    break
                except Exception:  # noqa: BLE001 - the database is away: record them again
                    log.exception("could not record updates, retrying")
                    await asyncio.sleep(1.0)
            offset = max(p["update_id"] for p in payloads) + 1

    async def _skip_unreadable(self, raw: bytes, offset: int | None) -> int | None:
        """An update that no JSON parser can read (getUpdates asked for it alone): kept as a
        dead letter, its raw bytes, so that the next offset passes it. Its id is the smallest
        `update_id` in the answer not below the offset (a forged one nested inside it cannot
        make the bot skip another update for good). None if there is no id to find."""
        ids = [int(m) for m in _UPDATE_ID.findall(raw) if offset is None or int(m) >= offset]
        if not ids:
            return None
        uid = min(ids)
        while True:
            try:
                await self.runtime.refuse(CHANNEL, raw, "getUpdates answer unreadable", external_id=str(uid))
                return uid
            except Exception:  # noqa: BLE001 - the database is away: not acknowledged yet
                log.exception("could not keep an unreadable update, retrying")
                await asyncio.sleep(1.0)

    async def set_commands(self) -> None:
        """The command menu in French and Arabic (and French for everyone else)."""
        for lang in (None,) + MENU_LANGUAGES:
            commands = [
                BotCommand(c, self.catalog.text(f"telegram.commands.{c}", lang or "fr"))
                for c in MENU_COMMANDS
            ]
            await self._call(self.bot.set_my_commands, commands=commands, language_code=lang)

    async def set_webhook(self, url: str, secret: str) -> None:
        await self._call(
            self.bot.set_webhook,
            url=url,
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
        )


async def _mapped(method: Callable[..., Any], **kwargs: Any) -> Any:
    """A Bot API call with python-telegram-bot's errors mapped to the runtime's."""
    try:
        return await method(**kwargs)
    except RetryAfter as exc:
        with warnings.catch_warnings():  # PTB 22.2+: becomes a timedelta
            warnings.simplefilter("ignore")
            pause = exc.retry_after
        pause = pause.total_seconds() if hasattr(pause, "total_seconds") else float(pause)
        raise Transient(str(exc), retry_after=pause) from exc
    except Forbidden as exc:
        raise Unreachable(str(exc)) from exc
    except BadRequest as exc:  # a NetworkError subclass in PTB: before it
        raise Rejected(str(exc)) from exc
    except NetworkError as exc:  # includes TimedOut and HTTP 5xx
        raise Transient(str(exc)) from exc
    except TelegramError as exc:
        raise Rejected(str(exc)) from exc


def build_runtime(athar: Any, settings: Any, **kwargs: Any) -> tuple[Runtime, TelegramChannel]:
    """The runtime with the Telegram channel (`poll_timeout` goes to the channel, the rest to
    the runtime)."""
    channel_kwargs = {k: kwargs.pop(k) for k in ("poll_timeout",) if k in kwargs}
    channel = TelegramChannel.build(settings, athar.services.catalog, **channel_kwargs)
    return Runtime(athar, [channel], **kwargs), channel


async def run_polling(
    athar: Any,
    settings: Any,
    stop: asyncio.Event | None = None,
    ready: Callable[["TelegramChannel"], None] | None = None,
    **kwargs: Any,
) -> TelegramChannel:
    """Run the bot with long polling until `stop` is set (or the task is cancelled)."""
    stop = stop or asyncio.Event()
    runtime, channel = build_runtime(athar, settings, **kwargs)
    await runtime.start(alone=True)  # only one process may call getUpdates
    try:
        await channel.set_commands()
        if ready is not None:
            ready(channel)
        await channel.poll(stop)
    finally:
        await runtime.stop()
    return channel
