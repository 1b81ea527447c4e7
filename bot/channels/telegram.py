"""The Telegram channel, on python-telegram-bot 22.x used as the transport only.

PTB's Bot sends (its request layer on aiohttp, its rate limiter, its errors); updates are read
from the Bot API's JSON as they come; the dispatcher and the database keep every piece of
state (no ConversationHandler, no PTB persistence). One update goes:

    received (getUpdates or the webhook) → recorded in `inbound_updates` (then acknowledged)
    → `TelegramChannel._on_update` (per-chat order kept by an asyncio lock) → callback query
      answered at once → free text through the NLU (its thread pool) → `Dispatcher.handle` in a
      database thread (one commit: state, processed id, replies in the outbox)
    → replies sent (split at 4096 characters, inline keyboards, documents and photos)
    → the recorded update removed and the outbox items marked sent (batched with others).

Faults: a 429 is waited out and retried by PTB's AIORateLimiter (retries switched on); network
errors and 5xx are retried here with a short backoff; a 403 (the user blocked the bot) marks the
user unreachable and the pending replies given up. Whatever could not be sent stays in the
outbox and is resent by the periodic sweep, which also processes recorded updates that a crash
left behind.
"""
from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import re
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

# Opt in to PTB's coming API (durations and retry_after as timedelta; both are handled below)
# rather than a deprecation warning on every 429.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import (  # noqa: E402
    BotCommand, InlineKeyboardButton, InlineKeyboardMarkup,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from domain.messages import Incoming, Media, Rendered, RenderedButton, Reply

from bot.channels.batch import GroupCommit
from bot.channels.http import AiohttpRequest, JsonBody
from bot.channels.store import ChannelStore

log = logging.getLogger("athar.telegram")

CHANNEL = "telegram"
MAX_TEXT = 4096  # Telegram counts UTF-16 code units
MAX_CAPTION = 1024
START_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
COMMAND = re.compile(r"/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]+)?(?:\s+(.*))?", re.DOTALL)
MENU_COMMANDS = ("start", "menu", "help", "export", "poll", "language", "cancel")
MENU_LANGUAGES = ("fr", "ar")
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
DEFAULT_API_URL = "https://api.telegram.org/bot"
API_CONNECTIONS = 8  # HTTP connections to the Bot API (and Bot API calls in flight)


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
            return Media(kind=kind, ref=str(v["file_id"]), mime=v.get("mime_type"),
                         size=_int(v.get("file_size")), duration=_int(v.get("duration")))
    sizes = message.get("photo")
    if isinstance(sizes, list) and sizes:
        p = max((s for s in sizes if isinstance(s, dict)),
                key=lambda s: ((_int(s.get("width")) or 0) * (_int(s.get("height")) or 0),
                               _int(s.get("file_size")) or 0))
        return Media(kind="photo", ref=str(p["file_id"]), mime="image/jpeg",
                     size=_int(p.get("file_size")))
    v = message.get("video") or message.get("video_note")
    if isinstance(v, dict):
        return Media(kind="video", ref=str(v["file_id"]), mime=v.get("mime_type"),
                     size=_int(v.get("file_size")))
    d = message.get("document")
    if isinstance(d, dict):
        return Media(kind="document", ref=str(d["file_id"]), mime=d.get("mime_type"),
                     size=_int(d.get("file_size")))
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
        return Incoming(channel=CHANNEL, chat_id=str(chat), user_ref=str(sender["id"]),
                        message_id=uid, button=data, lang_hint=sender.get("language_code"))
    m = update.get("message")
    if not isinstance(m, dict):
        return None
    sender = m.get("from")
    if not isinstance(sender, dict) or sender.get("is_bot"):
        return None
    base = dict(channel=CHANNEL, chat_id=str(m["chat"]["id"]), user_ref=str(sender["id"]),
                message_id=uid, lang_hint=sender.get("language_code"))
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
        head = rest[:_cut(rest, limit)]
        for sep in ("\n\n", "\n", " "):
            i = head.rfind(sep)
            if i > 0:
                chunks.append(rest[:i])
                rest = rest[i + len(sep):]
                break
        else:
            chunks.append(head)
            rest = rest[len(head):]
    chunks.append(rest)
    kept = [c for c in chunks if c.strip()]  # Telegram refuses an empty message
    return kept or [text[:_cut(text, limit)]]


def layout(buttons: list[RenderedButton]) -> list[list[RenderedButton]]:
    """Short labels share a row (emoji scales, yes/no); longer ones get a row each."""
    if not buttons:
        return []
    longest = max(len(b.label) for b in buttons)
    per_row = 5 if longest <= 3 else 2 if longest <= 14 else 1
    return [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]


def keyboard(buttons: list[RenderedButton]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
                                 for row in layout(buttons)])


def keyboard_json(buttons: list[RenderedButton]) -> dict[str, Any] | None:
    """The same keyboard as the Bot API's JSON (what `keyboard(...).to_dict()` gives), built
    directly for the hot path: PTB's objects cost more than the rest of a reply."""
    if not buttons:
        return None
    return {"inline_keyboard": [[{"text": b.label, "callback_data": b.data} for b in row]
                                for row in layout(buttons)]}


def coalesce(replies: list[Rendered], ids: list[int]) -> list[tuple[Rendered, list[int]]]:
    """Consecutive plain replies (no keyboard, no file) are joined to the next one when the
    result still fits in one message: fewer calls against Telegram's 30 per second and one
    per second per chat, and the keyboard stays under the text it belongs to."""
    out: list[tuple[Rendered, list[int]]] = []
    for reply, item_id in zip(replies, ids):
        item_ids = [item_id] if item_id else []
        if out:
            prev, prev_ids = out[-1]
            text = prev.text + "\n\n" + reply.text
            if not prev.buttons and not prev.attachment and not reply.attachment \
                    and not prev.job and not reply.job \
                    and prev.text.strip() and reply.text.strip() \
                    and prev.language == reply.language and utf16_len(text) <= MAX_TEXT:
                out[-1] = (reply.model_copy(update={"text": text}), prev_ids + item_ids)
                continue
        out.append((reply, item_ids))
    return out


def file_url(api_url: str) -> str:
    """The file download base URL that goes with a Bot API base URL (…/bot → …/file/bot)."""
    base = api_url.rstrip("/")
    if base.endswith("/bot"):
        return base[:-len("/bot")] + "/file/bot"
    return base + "/file/bot"


# ---------------------------------------------------------------------------------------------
# The channel

@dataclass
class Stats:
    handled: int = 0
    duplicates: int = 0
    sent: int = 0
    failed_sends: int = 0
    # update received → last reply sent, in seconds (the most recent ones)
    latencies: collections.deque = field(default_factory=lambda: collections.deque(maxlen=10_000))


class TelegramChannel:
    """Receives updates, runs them through the dispatcher, sends the replies."""

    def __init__(self, athar: Any, application: Application, *, grace: float = 30.0,
                 sweep_interval: float = 10.0, threads: int = 4, db_threads: int = 4,
                 nlu_threads: int = 4, poll_timeout: int = 25,
                 max_retries: int = 3, retry_backoff: float = 0.25,
                 prune_interval: float = 6 * 3600.0, updates_request: Any = None):
        self.athar = athar
        self.dispatcher = athar.dispatcher
        self.catalog = athar.services.catalog
        self.application = application
        self.bot = application.bot
        self.store = ChannelStore(athar.db_engine)
        # SQLite: this process's transactions take turns (see bot.channels.store.Gate)
        self.dispatcher.uow_factory = self.store.gate.wrap(self.dispatcher.uow_factory)
        self.grace = grace
        self.sweep_interval = sweep_interval
        self.poll_timeout = poll_timeout
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.stats = Stats()
        # Blocking work in three small pools, so that no kind waits behind another: slow jobs
        # (exports, charts), the NLU (HTTP calls to Rasa) and the database. Small, because
        # every busy thread competes with the event loop for the one interpreter lock: on
        # PostgreSQL at 200 + 50 updates/s, 4 database threads gave a p95 of 58-87 ms where 8
        # gave 100-168 ms and 16 gave 152 ms (2 could not keep up). On SQLite one thread does
        # all the database work: writers take turns anyway, and handing each message to
        # whichever thread was free cost more in wake-ups than the turn-taking saved.
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="athar-tg-job")
        self._nlu = ThreadPoolExecutor(max_workers=nlu_threads, thread_name_prefix="athar-tg-nlu")
        self._dbx = ThreadPoolExecutor(max_workers=1 if self.store.gate.enabled else db_threads,
                                       thread_name_prefix="athar-tg-db")
        # recording (what an acknowledgement waits for) never queues behind dialogue work
        self._ingest = ThreadPoolExecutor(max_workers=1, thread_name_prefix="athar-tg-in")
        # concurrent webhook requests are recorded together; sent marks likewise
        self._recorder = GroupCommit(self._record_many, self._ingest)
        self._finished = GroupCommit(self._finish_many, self._dbx)
        # SQLite: messages waiting for the database thread go to it together, one hand-over
        # between threads for all of them (each still in its own unit of work)
        self._handled = GroupCommit(self._handle_many, self._dbx)
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}
        self._tasks: set[asyncio.Task] = set()
        self._inflight: set[str] = set()
        self._received: dict[str, float] = {}
        self._answered: set[str] = set()  # updates whose callback query the webhook answered
        self._sweeper: asyncio.Task | None = None
        # housekeeping (bot.maintenance) every few hours, the first soon after the start
        self.prune_interval = prune_interval
        self._pruned_at = time.monotonic() - prune_interval + min(prune_interval, 60.0)
        # long polling's own HTTP connection (PTB keeps one apart for getUpdates)
        self._updates_request = updates_request or self.bot.request

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def build(cls, athar: Any, settings: Any | None = None, **kwargs: Any) -> "TelegramChannel":
        settings = settings or athar.settings
        if settings.telegram_token is None:
            raise ValueError("ATHAR_TELEGRAM_TOKEN is not set")
        api_url = settings.telegram.api_url or DEFAULT_API_URL
        limiter = AIORateLimiter(overall_max_rate=settings.telegram.max_rate,
                                 max_retries=settings.telegram.max_retries)
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
        kwargs.setdefault("max_retries", settings.telegram.max_retries)
        return cls(athar, application, updates_request=updates, **kwargs)

    async def start(self, sweep: bool = True, alone: bool = False) -> None:
        """`alone`: no other worker runs (polling), so everything left over is taken at once;
        with webhook workers only what is older than the grace period."""
        await self.application.initialize()
        warm_up = getattr(self.athar.services.nlu, "warm_up", None)
        if callable(warm_up):
            await self._work(warm_up)
        if sweep:
            await self.sweep(min_age=0.0 if alone else None)
            self._sweeper = asyncio.create_task(self._sweep_forever())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        await self.drain()
        await self.application.shutdown()
        self._pool.shutdown(wait=True)
        self._nlu.shutdown(wait=True)
        self._dbx.shutdown(wait=True)
        self._ingest.shutdown(wait=True)

    async def drain(self) -> None:
        """Wait for every update being processed."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _db(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run database work in its executor."""
        return await asyncio.get_running_loop().run_in_executor(self._dbx, fn, *args)

    async def _work(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run slow blocking work (exports, charts, the NLU's warm-up) in the jobs' pool."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    # -- receiving ------------------------------------------------------------------------
    async def receive(self, payloads: list[dict[str, Any]], answered: bool = False) -> list[bool]:
        """Record updates (one transaction), then schedule the new ones. Returns, per update,
        whether it was new. Only after this returns may the updates be acknowledged.
        `answered`: the caller answers the callback queries of these updates itself (the
        webhook does, in its HTTP answer: see `answer_in_response`)."""
        items = []
        for p in payloads:
            if not isinstance(p.get("update_id"), int):
                raise ValueError("an update without an integer update_id")
            items.append((str(p["update_id"]), chat_key(p), p))
        now = time.perf_counter()
        fresh = await self._recorder.submit(items)
        for p, new in zip(payloads, fresh):
            if new:
                self._received[str(p["update_id"])] = now
                if answered and _get(p, "callback_query", "id") is not None:
                    self._answered.add(str(p["update_id"]))
                self._schedule(p)
            else:
                self.stats.duplicates += 1
                log.info("duplicate update %s not recorded again", p["update_id"])
        return fresh

    def _record_many(self, batches: list[list[tuple[str, str | None, dict[str, Any]]]]) -> list[list[bool]]:
        flags = self.store.record(CHANNEL, [item for batch in batches for item in batch])
        out, i = [], 0
        for batch in batches:
            out.append(flags[i:i + len(batch)])
            i += len(batch)
        return out

    def _handle_many(self, items: list[tuple[Incoming, Any]]) -> list[Any]:
        """Dispatcher.handle for each message, in order; a failure is returned, not raised, so
        it stays with its own message."""
        out: list[Any] = []
        for incoming, understanding in items:
            try:
                out.append(self.dispatcher.handle(incoming, understanding))
            except Exception as exc:  # noqa: BLE001 - re-raised by the message's own task
                out.append(exc)
        return out

    def _finish_many(self, updates: list[tuple[str | None, list[int]]]) -> list[None]:
        return self.store.finish(CHANNEL, updates)

    def _schedule(self, payload: dict[str, Any]) -> None:
        uid = str(payload["update_id"])
        if uid in self._inflight:
            return
        self._inflight.add(uid)
        task = asyncio.create_task(self._process(payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @contextlib.asynccontextmanager
    async def _chat(self, key: str):
        """One chat at a time, first come first served (asyncio.Lock is FIFO)."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                self._locks.pop(key, None)

    async def _process(self, payload: dict[str, Any]) -> None:
        uid = str(payload["update_id"])
        key = chat_key(payload) or uid
        try:
            async with self._chat(key):  # updates of one chat are handled in the order received
                await self._on_update(payload)
        finally:
            self._inflight.discard(uid)
            self._received.pop(uid, None)
            self._answered.discard(uid)

    async def _on_update(self, payload: dict[str, Any]) -> None:
        uid = str(payload["update_id"])
        try:
            try:
                incoming = to_incoming(payload)
                member = payload.get("my_chat_member")
                query_id = _get(payload, "callback_query", "id")
            except (KeyError, TypeError, ValueError):  # counted, dropped after a few attempts
                log.exception("update %s cannot be read", uid)
                await self._db(self.store.failed, CHANNEL, uid)
                return
            if query_id is not None and uid not in self._answered:
                await self._answer_callback(str(query_id))
            if isinstance(member, dict):
                await self._member_changed(member)
                await self._finished.submit((uid, []))
                return
            if incoming is None:
                await self._finished.submit((uid, []))
                return
            # the NLU (an HTTP call to Rasa) in its pool, the unit of work in the database's
            # executor: a free text never holds up the database
            understanding = await asyncio.get_running_loop().run_in_executor(
                self._nlu, self.dispatcher.understand, incoming) if incoming.text else None
            if self.store.gate.enabled:  # SQLite: the database thread, with others waiting
                outcome = await self._handled.submit((incoming, understanding))
                if isinstance(outcome, BaseException):
                    raise outcome
            else:  # PostgreSQL: units of work side by side in the database threads
                outcome = await self._db(self.dispatcher.handle, incoming, understanding)
        except Exception:
            left = await self._db(self.store.failed, CHANNEL, uid)
            log.exception("update %s failed (%s)", uid,
                          f"attempt {left}, kept for a retry" if left else "dropped")
            return
        # The dispatcher committed (its inbox holds the update id): from here a crash only
        # means the recorded update is processed again and dropped as a duplicate, and the
        # replies are resent from the outbox.
        if outcome.duplicate:
            self.stats.duplicates += 1
            await self._finished.submit((uid, []))
            return
        self.stats.handled += 1
        sent = await self.deliver(incoming.chat_id, outcome.replies, outcome.outbox_ids)
        # the recorded update goes and the sent replies are marked, with other updates' (one
        # transaction for all that finish meanwhile)
        await self._finished.submit((uid, sent))
        started = self._received.get(uid)
        if started is not None:
            self.stats.latencies.append(time.perf_counter() - started)

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
            await self._call(self._api, endpoint="answerCallbackQuery",
                             params={"callback_query_id": query_id})
        except TelegramError as exc:
            log.info("callback query not answered: %s", exc)

    async def _member_changed(self, change: dict[str, Any]) -> None:
        status = _get(change, "new_chat_member", "status")
        user = _get(change, "from", "id")
        if user is not None and status in ("kicked", "left", "member"):
            await self._db(self._set_unreachable, str(user), status in ("kicked", "left"))

    def _set_unreachable(self, user_ref: str, flag: bool) -> None:
        with self.athar.uow_factory() as uow:
            user = uow.users.by_identity(CHANNEL, user_ref)
            if user is None or user.unreachable == flag:
                return
            user.unreachable = flag
            uow.users.save(user)
            uow.commit()
        log.info("telegram user marked %s", "unreachable" if flag else "reachable again")

    # -- sending --------------------------------------------------------------------------
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
            callback=self._post_json, args=(endpoint, params), kwargs={}, endpoint=endpoint,
            data=params, rate_limit_args=None)

    async def _post_json(self, endpoint: str, params: dict[str, Any], request: Any = None,
                         **timeouts: Any) -> Any:
        """POST a JSON body through PTB's request layer (`request`: the general one unless
        given, e.g. long polling's own)."""
        return await (request or self.bot.request).post(
            url=f"{self.bot.base_url}/{endpoint}", request_data=JsonBody(params),  # type: ignore[arg-type]
            **timeouts)

    async def _call(self, method: Callable[..., Any], **kwargs: Any) -> Any:
        """Call the Bot API; network errors, 5xx and a 429 the rate limiter gave up on are
        retried with a growing pause. 400 and 403 are not retried."""
        attempt = 0
        while True:
            try:
                # calls in flight are bounded by the HTTP pool (API_CONNECTIONS); more wait there
                return await method(**kwargs)
            except RetryAfter as exc:
                if attempt >= self.max_retries:
                    raise
                with warnings.catch_warnings():  # PTB 22.2+: becomes a timedelta
                    warnings.simplefilter("ignore")
                    pause = exc.retry_after
                pause = pause.total_seconds() if hasattr(pause, "total_seconds") else float(pause)
                await asyncio.sleep(pause + 0.1)
            except BadRequest:
                raise
            except NetworkError as exc:  # includes TimedOut and HTTP 5xx
                if attempt >= self.max_retries:
                    raise
                log.info("network error, retrying: %s", exc)
                await asyncio.sleep(self.retry_backoff * (2 ** attempt))
            attempt += 1

    async def send(self, chat_id: str, reply: Rendered) -> None:
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
            caption = (att.get("caption") or "")
            caption = caption[:_cut(caption, MAX_CAPTION)] or None
            extra = dict(chat_id=chat_id, caption=caption, reply_markup=markup)
            if att.get("kind") == "photo":
                await self._call(self.bot.send_photo, photo=path, **extra)
            else:
                await self._call(self.bot.send_document, document=path,
                                 filename=att.get("filename") or path.name, **extra)

    async def deliver(self, chat_id: str, replies: list[Rendered], outbox_ids: list[int]) -> list[int]:
        """Send replies in order; return the outbox ids sent (for the caller to mark). Stops at
        the first failure: the rest stays in the outbox for the sweep (or is given up when the
        user blocked the bot)."""
        ids = list(outbox_ids) + [0] * (len(replies) - len(outbox_ids))
        batches = coalesce(replies, ids)
        sent: list[int] = []
        for i, (reply, item_ids) in enumerate(batches):
            try:
                if reply.job:  # slow work (an export), once the replies before it are sent
                    reply = await self._work(self.dispatcher.fulfil, reply)
                await self.send(chat_id, reply)
            except Forbidden:
                log.warning("the user blocked the bot: replies given up")
                await self._db(self._set_unreachable, chat_id, True)
                await self._db(self.store.give_up, [x for _, b in batches[i:] for x in b])
                self.stats.failed_sends += len(batches) - i
                break
            except Exception as exc:  # noqa: BLE001 - kept in the outbox, resent by the sweep
                log.warning("reply not sent, kept in the outbox: %s", exc)
                self.stats.failed_sends += len(batches) - i
                break
            self.stats.sent += 1
            sent.extend(item_ids)
        return sent

    # -- recovery -------------------------------------------------------------------------
    async def sweep(self, min_age: float | None = None) -> None:
        """Process recorded updates left behind and resend unsent replies older than
        `min_age` seconds (default: the grace period, so live work is never taken over)."""
        age = self.grace if min_age is None else min_age
        for payload in await self._db(self.store.pending, CHANNEL, age):
            self._schedule(payload)
        await self.drain()
        items = await self._db(self.store.due, CHANNEL, age)
        for item in items:
            if not await self._db(self.store.claim, item):
                continue
            reply = Reply.model_validate(item.payload["reply"])
            rendered = self.catalog.render(reply, item.payload.get("language") or "fr")
            async with self._chat(item.chat_id):
                sent = await self.deliver(item.chat_id, [rendered], [item.id or 0])
            await self._finished.submit((None, sent))

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_interval)
            try:
                await self.sweep()
            except Exception:  # noqa: BLE001 - the next sweep tries again
                log.exception("sweep failed")
            if time.monotonic() - self._pruned_at >= self.prune_interval:
                self._pruned_at = time.monotonic()
                try:
                    await self._db(self._prune)
                except Exception:  # noqa: BLE001 - tried again at the next interval
                    log.exception("database housekeeping failed")

    def _prune(self) -> None:
        from bot.maintenance import prune
        done = prune(self.athar.uow_factory, self.athar.settings.polls.retention_months)
        log.info("database housekeeping: %s", done)

    # -- polling --------------------------------------------------------------------------
    async def poll(self, stop: asyncio.Event) -> None:
        """Long polling: each batch is recorded before the next getUpdates acknowledges it."""
        await self._call(self.bot.delete_webhook, drop_pending_updates=False)
        offset: int | None = None
        pause = 0.5
        while not stop.is_set():
            # Raw JSON: the updates are recorded as they came and parsed once, when processed.
            params: dict[str, Any] = {"timeout": self.poll_timeout,
                                      "allowed_updates": ALLOWED_UPDATES}
            if offset is not None:
                params["offset"] = offset
            fetch = asyncio.create_task(self._post_json(
                "getUpdates", params, self._updates_request, read_timeout=self.poll_timeout + 35))
            stopping = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if fetch not in done:
                fetch.cancel()
                await asyncio.gather(fetch, return_exceptions=True)
                break
            stopping.cancel()
            try:
                updates = fetch.result()
            except (BadRequest, Forbidden) as exc:
                raise RuntimeError(f"getUpdates refused: {exc}") from exc
            except TelegramError as exc:
                log.warning("getUpdates failed, retrying in %.1fs: %s", pause, exc)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 30.0)
                continue
            pause = 0.5
            payloads = [u for u in updates or [] if isinstance(u, dict)
                        and isinstance(u.get("update_id"), int)]
            if not payloads:
                continue
            while True:
                try:
                    await self.receive(payloads)
                    break
                except Exception:  # noqa: BLE001 - not acknowledged: record them again
                    log.exception("could not record updates, retrying")
                    await asyncio.sleep(1.0)
            offset = max(p["update_id"] for p in payloads) + 1

    async def set_commands(self) -> None:
        """The command menu in French and Arabic (and French for everyone else)."""
        for lang in (None,) + MENU_LANGUAGES:
            commands = [BotCommand(c, self.catalog.text(f"telegram.commands.{c}", lang or "fr"))
                        for c in MENU_COMMANDS]
            await self._call(self.bot.set_my_commands, commands=commands, language_code=lang)

    async def set_webhook(self, url: str, secret: str) -> None:
        await self._call(self.bot.set_webhook, url=url, secret_token=secret,
                         allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)


async def run_polling(athar: Any, settings: Any, stop: asyncio.Event | None = None,
                      ready: Callable[["TelegramChannel"], None] | None = None,
                      **kwargs: Any) -> TelegramChannel:
    """Run the bot with long polling until `stop` is set (or the task is cancelled)."""
    stop = stop or asyncio.Event()
    channel = TelegramChannel.build(athar, settings, **kwargs)
    await channel.start(alone=True)  # only one process may call getUpdates
    try:
        await channel.set_commands()
        if ready is not None:
            ready(channel)
        await channel.poll(stop)
    finally:
        await channel.stop()
    return channel
