"""The channel-neutral delivery runtime: what makes a message safe, whatever the channel.

One inbound payload goes:

    received (a webhook POST, a getUpdates answer) → recorded in `inbound_updates`, deduplicated
    by the channel's message id (only then acknowledged) → scheduled, one chat at a time in
    arrival order → `adapter.incoming` (the channel's parse and side work) → free text through
    the NLU (its thread pool) → `Dispatcher.handle` in a database thread (one commit: state,
    processed id, replies in the outbox) → replies sent by the adapter → the recorded payload
    removed and the outbox items marked sent (group-committed with other messages').

A periodic sweep processes recorded payloads a crash left behind and resends outbox items still
unsent after a grace period. The SQL is in storage/delivery.py.

A channel adapter (bot/channels/telegram.py is one) is only: `identify` a payload (its id and
chat), turn it into an `Incoming` (`incoming`), `send` a `Rendered` within the channel's limits
(each API call through `Runtime.call`), and map its errors to `Transient`, `Unreachable` and
`Rejected`. See `Adapter`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Awaitable, Callable, Iterable, Iterator, Protocol, Sequence

from domain.languages import Lang
from domain.messages import Incoming, Rendered, Reply
from domain.ports import OutboxItem
from storage.delivery import DeliveryStore, is_transient
from storage.payloads import Unstorable, storable

from bot.channels.batch import GroupCommit
from bot.logs import tag

log = logging.getLogger("athar.runtime")


# ---------------------------------------------------------------------------------------------
# What adapters raise, and what they are


class Transient(Exception):
    """Worth trying again soon: a network error, a 5xx, a rate limit (`retry_after` seconds)."""

    def __init__(self, message: str = "", retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Unreachable(Exception):
    """The user cannot be reached (they blocked the bot): marked so, their replies given up."""


class Rejected(Exception):
    """The channel refused this reply for good (a bad request): it is given up, the next go on."""


class Malformed(ValueError):
    """A payload that can never be handled (`Adapter.incoming`): dead-lettered at once."""


class Deferred(Exception):
    """This reply must wait for the user (WhatsApp's 24-hour window is closed): it is held, with
    the replies after it, until the adapter calls `Runtime.release` for that chat."""


class Receipt(str, Enum):
    NEW = "new"  # recorded: it will be handled
    DUPLICATE = "duplicate"  # that id was recorded before: dropped
    REFUSED = "refused"  # can never be stored or read: dead-lettered (a webhook answers 400)


class Adapter(Protocol):
    """What a channel writes to use the runtime."""

    name: str  # the channel's name in every table ("telegram", "whatsapp")

    def bind(self, runtime: "Runtime") -> None:
        """Called once when the runtime takes the adapter."""

    def identify(self, payload: dict[str, Any]) -> tuple[str, str | None]:
        """The payload's external id (duplicates are dropped by it) and its chat key (messages
        of one chat are handled in order); ValueError when it has no usable id."""

    async def incoming(self, payload: dict[str, Any]) -> Incoming | None:
        """The message to handle, or None when there is nothing to handle (the adapter did the
        side work itself: a delivery status, a member change). Raise `Malformed` for a payload
        that can never be read. Runs in the chat's turn (see `Runtime.release`)."""

    def fits(self, text: str) -> bool:
        """Whether a text fits one message (consecutive plain replies are joined when they do)."""

    async def send(self, chat_id: str, reply: Rendered, items: Sequence[int] = ()) -> None:
        """Deliver one reply (split, keyboards, files), each API call through `Runtime.call`;
        `items`: the reply's outbox ids (none for a reply that is not in the outbox). Raise
        `Transient`, `Unreachable`, `Rejected` or `Deferred`."""

    async def open(self) -> None:
        """Open the channel's connections (before anything is received or sent)."""

    async def close(self) -> None:
        """Close them (after the runtime has drained)."""


# ---------------------------------------------------------------------------------------------
# Replies


def coalesce(
    replies: list[Rendered], ids: list[int], fits: Callable[[str], bool]
) -> list[tuple[Rendered, list[int]]]:
    """Consecutive plain replies (no keyboard, no file) are joined to the next one when the
    result still fits in one message: fewer calls against the channels' rate limits (Telegram:
    one per second per chat), and the keyboard stays under the text it belongs to."""
    out: list[tuple[Rendered, list[int]]] = []
    for reply, item_id in zip(replies, ids):
        item_ids = [item_id] if item_id else []
        if out:
            prev, prev_ids = out[-1]
            text = prev.text + "\n\n" + reply.text
            if (
                not prev.buttons
                and not prev.attachment
                and not reply.attachment
                and not prev.job
                and not reply.job
                and prev.text.strip()
                and reply.text.strip()
                and prev.language == reply.language
                and fits(text)
            ):
                out[-1] = (reply.model_copy(update={"text": text}), prev_ids + item_ids)
                continue
        out.append((reply, item_ids))
    return out


# ---------------------------------------------------------------------------------------------
# The runtime


@dataclass
class Stats:
    handled: int = 0
    duplicates: int = 0
    sent: int = 0
    failed_sends: int = 0
    dead_letters: int = 0
    # payload received → last reply sent, in seconds (the most recent ones)
    latencies: collections.deque = field(default_factory=lambda: collections.deque(maxlen=10_000))


class Runtime:
    """Receives payloads for its adapters, runs them through the dispatcher, sends the replies.
    One per process, whatever the number of channels.

    Faults: what is transient (a network error, a 5xx, a rate limit, the database unavailable)
    is tried again after `retry_backoff` seconds, then twice as long each time up to
    `max_backoff`, for `patience` seconds; after that the sweep (every `sweep_interval`
    seconds, for what is older than `grace`) is the last resort. A message whose handling fails
    otherwise is tried `handle_attempts` times, then kept as a dead letter, and its sender told
    in their language. `stop` waits at most `drain_timeout` seconds for the messages in
    progress; what is left stays recorded for the next start."""

    def __init__(
        self,
        athar: Any,
        adapters: Iterable[Adapter],
        *,
        grace: float = 30.0,
        sweep_interval: float = 10.0,
        threads: int = 4,
        db_threads: int = 4,
        nlu_threads: int = 4,
        retry_backoff: float = 0.5,
        max_backoff: float = 4.0,
        patience: float = 20.0,
        handle_attempts: int = 3,
        drain_timeout: float = 6.0,
        prune_interval: float = 6 * 3600.0,
    ):
        if patience >= grace > 0:
            raise ValueError(
                "patience must be shorter than the grace period: the sweep would "
                "take over replies still being retried"
            )
        self.athar = athar
        self.dispatcher = athar.dispatcher
        self.catalog = athar.services.catalog
        self.store = DeliveryStore(athar.db_engine)
        # SQLite: this process's transactions take turns (see storage.delivery.Gate)
        self.dispatcher.uow_factory = self.store.gate.wrap(self.dispatcher.uow_factory)
        self.grace = grace
        self.sweep_interval = sweep_interval
        self.retry_backoff = retry_backoff
        self.max_backoff = max_backoff
        self.patience = patience
        self.handle_attempts = handle_attempts
        self.drain_timeout = drain_timeout
        self.stats = Stats()
        # Blocking work in three small pools, so that no kind waits behind another: slow jobs
        # (exports, charts), the NLU (HTTP calls to Rasa) and the database. Small, because
        # every busy thread competes with the event loop for the one interpreter lock: on
        # PostgreSQL at 200 + 50 updates/s, 4 database threads gave a p95 of 58-87 ms where 8
        # gave 100-168 ms and 16 gave 152 ms (2 could not keep up). On SQLite one thread does
        # all the database work: writers take turns anyway, and handing each message to
        # whichever thread was free cost more in wake-ups than the turn-taking saved.
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="athar-job")
        self._nlu = ThreadPoolExecutor(max_workers=nlu_threads, thread_name_prefix="athar-nlu")
        self._dbx = ThreadPoolExecutor(
            max_workers=1 if self.store.gate.enabled else db_threads, thread_name_prefix="athar-db"
        )
        # recording (what an acknowledgement waits for) never queues behind dialogue work
        self._ingest = ThreadPoolExecutor(max_workers=1, thread_name_prefix="athar-in")
        # concurrent webhook requests are recorded together; sent marks likewise
        self._recorder = GroupCommit(self._record_many, self._ingest)
        self._finished = GroupCommit(self._finish_many, self._dbx)
        # SQLite: messages waiting for the database thread go to it together, one hand-over
        # between threads for all of them (each still in its own unit of work)
        self._handled = GroupCommit(self._handle_many, self._dbx)
        self.adapters: dict[str, Adapter] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._waiting: dict[tuple[str, str], int] = {}
        self._tasks: set[asyncio.Task] = set()
        self._inflight: set[tuple[str, str]] = set()
        self._received: dict[tuple[str, str], float] = {}
        self._sweeper: asyncio.Task | None = None
        self._stopping = False
        # log lines name a message by a keyed hash (never a chat, user or message id, which
        # may hold a phone number): the same message, the same name, in this process's logs
        # housekeeping (bot.maintenance) every few hours, the first soon after the start
        self.prune_interval = prune_interval
        self._pruned_at = time.monotonic() - prune_interval + min(prune_interval, 60.0)
        for adapter in adapters:
            self.add(adapter)

    def add(self, adapter: Adapter) -> None:
        self.adapters[adapter.name] = adapter
        adapter.bind(self)

    def ref(self, *parts: str) -> str:
        """A short keyed hash that names a message or a chat in the logs (the logs' one tag)."""
        return tag(*parts)

    # -- life ---------------------------------------------------------------------------------
    async def start(self, sweep: bool = True, alone: bool = False) -> None:
        """`alone`: no other worker runs (polling), so everything left over is taken at once;
        with webhook workers only what is older than the grace period."""
        for adapter in self.adapters.values():
            await adapter.open()
        warm_up = getattr(self.athar.services.nlu, "warm_up", None)
        if callable(warm_up):
            await self.work(warm_up)
        if sweep:
            await self.sweep(min_age=0.0 if alone else None)
            self._sweeper = asyncio.create_task(self._sweep_forever())

    async def stop(self, timeout: float | None = None) -> None:
        """Stop within `timeout` seconds (default `drain_timeout`) whatever the channels' rate
        limits hold: new payloads are still recorded but no longer handled, retries end, the
        messages in progress get until the deadline, and what is left stays recorded (the
        payloads) or unsent in the outbox (the replies) for the next start."""
        self._stopping = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.drain_timeout if timeout is None else timeout)
        while self._tasks:
            left = deadline - loop.time()
            if left <= 0:
                tasks = list(self._tasks)
                log.warning("%d messages still in progress at the stop: left for the next start", len(tasks))
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                break
            await asyncio.wait(list(self._tasks), timeout=left)
        for adapter in self.adapters.values():
            await adapter.close()
        for executor in (self._pool, self._nlu, self._dbx, self._ingest):
            executor.shutdown(wait=True, cancel_futures=True)

    async def drain(self) -> None:
        """Wait for every payload being processed."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def db(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run database work in its executor."""
        return await asyncio.get_running_loop().run_in_executor(self._dbx, fn, *args)

    def batched(self, write: Callable[[list[Any]], Any]) -> GroupCommit:
        """Database work of an adapter done for many messages at once: `write(items)` (one
        result per item) runs in the database's executor, with every item submitted while the
        previous batch was written (see bot.channels.batch)."""
        return GroupCommit(write, self._dbx)

    async def work(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run slow blocking work (exports, charts, the NLU's warm-up) in the jobs' pool."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def _pauses(self, patience: float | None = None) -> Iterator[float]:
        """The pauses between tries of something transient: growing from `retry_backoff` to
        `max_backoff` (each drawn a little shorter at random, so that many chats do not come
        back at the same instant), until `patience` seconds have passed or the runtime stops."""
        deadline = time.monotonic() + (self.patience if patience is None else patience)
        pause = self.retry_backoff
        while not self._stopping:
            wait = pause * random.uniform(0.8, 1.0)
            if time.monotonic() + wait > deadline:
                return
            yield wait
            pause = min(pause * 2, self.max_backoff)

    async def call(
        self, fn: Callable[..., Awaitable[Any]], *args: Any, patience: float | None = None, **kwargs: Any
    ) -> Any:
        """One API call of an adapter; `Transient` failures are tried again with growing pauses
        (at least the `retry_after` the channel asked for) for `patience` seconds (default:
        the runtime's)."""
        patience = self.patience if patience is None else patience
        deadline = time.monotonic() + patience
        pauses = self._pauses(patience)
        while True:
            try:
                return await fn(*args, **kwargs)
            except Transient as exc:
                wait = next(pauses, None)
                if wait is not None and exc.retry_after is not None:
                    wait = max(wait, exc.retry_after + 0.1)
                if wait is None or time.monotonic() + wait > deadline:
                    raise
                log.info("transient failure, trying again in %.2f s: %s", wait, exc)
                await asyncio.sleep(wait)

    # -- receiving ----------------------------------------------------------------------------
    async def receive(
        self,
        channel: str,
        payloads: list[dict[str, Any]],
        on_new: Callable[[dict[str, Any]], None] | None = None,
    ) -> list[Receipt]:
        """Record payloads of `channel` (one transaction for all that arrive meanwhile), then
        schedule the new ones. Only after this returns may they be acknowledged. `on_new` is
        called for each new payload before it is scheduled (the webhook notes what it answers
        in its HTTP answer).

        Each payload is made storable first (storage.payloads); one that cannot be, or that
        has no id, or that the database refuses, is kept as a dead letter and REFUSED: no
        payload can stop the others. Raises only when the database is unavailable."""
        adapter = self.adapters[channel]
        items: list[tuple[str | None, str | None, Any, BaseException | None]] = []
        for p in payloads:
            try:
                p = storable(p)
                if not isinstance(p, dict):
                    raise Unstorable("not a JSON object")
                external_id, chat = adapter.identify(p)
                items.append((external_id, chat, p, None))
            except (Unstorable, ValueError, KeyError, TypeError) as exc:
                items.append((None, None, p, exc))
        now = time.perf_counter()
        flags = await self._recorder.submit((channel, items))
        receipts = []
        for (external_id, chat, p, _), new in zip(items, flags):
            if new is None:
                self.stats.dead_letters += 1
                log.warning("a %s payload could not be recorded: kept as a dead letter", channel)
                receipts.append(Receipt.REFUSED)
            elif new:
                receipts.append(Receipt.NEW)
                if self._stopping:  # recorded: the next start handles it
                    continue
                self._received[(channel, external_id)] = now
                if on_new is not None:
                    on_new(p)
                self._schedule(channel, external_id, chat, p)
            else:
                self.stats.duplicates += 1
                log.info("duplicate %s payload not recorded again", channel)
                receipts.append(Receipt.DUPLICATE)
        return receipts

    async def refuse(self, channel: str, payload: Any, error: str, external_id: str | None = None) -> None:
        """Keep something received that can never be handled (raw bytes, a broken body) as a
        dead letter; raises when the database is unavailable."""
        await self.db(self.store.dead_letter, channel, external_id, "record", payload, error)
        self.stats.dead_letters += 1
        log.warning("an unreadable %s payload was kept as a dead letter", channel)

    def _record_many(self, batches: list[tuple[str, list[tuple[Any, ...]]]]) -> list[list[bool | None]]:
        """Record the payloads of several `receive` calls at once: one statement per channel;
        those refused before (unstorable, without an id) go to the dead letters."""
        by_channel: dict[str, list[tuple[str, str | None, dict[str, Any]]]] = {}
        for channel, items in batches:
            by_channel.setdefault(channel, []).extend((e, c, p) for e, c, p, error in items if error is None)
        flags = {channel: iter(self.store.record(channel, items)) for channel, items in by_channel.items()}
        out: list[list[bool | None]] = []
        for channel, items in batches:
            row: list[bool | None] = []
            for _, _, p, error in items:
                if error is None:
                    row.append(next(flags[channel]))
                else:
                    self.store.dead_letter(channel, None, "record", p, error)
                    row.append(None)
            out.append(row)
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

    def _finish_many(self, updates: list[tuple[str, str | None, list[int]]]) -> list[None]:
        by_channel: dict[str, list[tuple[str | None, list[int]]]] = {}
        for channel, external_id, sent in updates:
            by_channel.setdefault(channel, []).append((external_id, sent))
        for channel, items in by_channel.items():
            self.store.finish(channel, items)
        return [None] * len(updates)

    async def _finish(self, channel: str, external_id: str | None, sent: list[int]) -> None:
        """The recorded payload removed and the sent replies marked, with other messages' (one
        transaction for all that finish meanwhile); tried again while the database is away,
        since an unmarked reply would be sent twice."""
        if external_id is None and not sent:
            return
        pauses = self._pauses()
        while True:
            try:
                await self._finished.submit((channel, external_id, sent))
                return
            except Exception as exc:  # noqa: BLE001 - tried again, then left to the sweep
                wait = next(pauses, None)
                if wait is None:
                    log.warning("replies sent but not marked (the sweep may send them again): %s", exc)
                    return
                await asyncio.sleep(wait)

    def _schedule(self, channel: str, external_id: str, chat: str | None, payload: dict[str, Any]) -> None:
        key = (channel, external_id)
        if key in self._inflight:
            return
        self._inflight.add(key)
        task = asyncio.create_task(self._process(channel, external_id, chat, payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @contextlib.asynccontextmanager
    async def _chat(self, key: tuple[str, str]):
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

    async def _process(
        self, channel: str, external_id: str, chat: str | None, payload: dict[str, Any]
    ) -> None:
        key = (channel, external_id)
        try:
            # messages of one chat are handled in the order received
            async with self._chat((channel, chat or external_id)):
                await self._on_payload(self.adapters[channel], external_id, payload)
        finally:
            self._inflight.discard(key)
            self._received.pop(key, None)

    async def _on_payload(self, adapter: Adapter, external_id: str, payload: dict[str, Any]) -> None:
        channel = adapter.name
        try:
            incoming = await adapter.incoming(payload)
        except Malformed as exc:
            log.warning(
                "%s payload %s cannot be read: kept as a dead letter (%s)",
                channel,
                self.ref(channel, external_id),
                exc,
            )
            await self._dead_letter(adapter, external_id, payload, None, "read", exc)
            return
        except Exception as exc:  # noqa: BLE001 - tried again by the sweep (counted: then dead)
            log.exception("%s payload %s failed before handling", channel, self.ref(channel, external_id))
            if not is_transient(exc):
                await self._failed(adapter, external_id, payload, None, exc)
            return
        if incoming is None:
            await self._finish(channel, external_id, [])
            return
        # the NLU (an HTTP call to Rasa) in its pool, the unit of work in the database's
        # executor: a free text never holds up the database
        understanding = (
            await asyncio.get_running_loop().run_in_executor(self._nlu, self.dispatcher.understand, incoming)
            if incoming.text
            else None
        )
        outcome = await self._handle(adapter, external_id, payload, incoming, understanding)
        if outcome is None:
            return
        # The dispatcher committed (its inbox holds the message id): from here a crash only
        # means the recorded payload is processed again and dropped as a duplicate, and the
        # replies are resent from the outbox.
        if outcome.duplicate:
            self.stats.duplicates += 1
            await self._finish(channel, external_id, [])
            return
        self.stats.handled += 1
        sent = await self.deliver(adapter, incoming.chat_id, outcome.replies, outcome.outbox_ids)
        await self._finish(channel, external_id, sent)
        started = self._received.get((channel, external_id))
        if started is not None:
            self.stats.latencies.append(time.perf_counter() - started)

    async def _handle(
        self,
        adapter: Adapter,
        external_id: str,
        payload: dict[str, Any],
        incoming: Incoming,
        understanding: Any,
    ) -> Any:
        """The dispatcher's unit of work for one message, or None when it did not happen (kept
        for the sweep, or a dead letter by now). The database being away is waited out for
        `patience` seconds; any other failure counts, and after `handle_attempts` the message
        is a dead letter and its sender told."""
        pauses = self._pauses()
        while True:
            try:
                if self.store.gate.enabled:  # SQLite: the database thread, with others waiting
                    outcome = await self._handled.submit((incoming, understanding))
                    if isinstance(outcome, BaseException):
                        raise outcome
                    return outcome
                # PostgreSQL: units of work side by side in the database threads
                return await self.db(self.dispatcher.handle, incoming, understanding)
            except Exception as exc:  # noqa: BLE001 - sorted out below
                ref = self.ref(adapter.name, external_id)
                if is_transient(exc):
                    wait = next(pauses, None)
                    if wait is None:
                        log.warning("database unavailable: message %s left for the sweep (%s)", ref, exc)
                        return None
                    log.info("database unavailable, trying message %s again in %.2f s (%s)", ref, wait, exc)
                    await asyncio.sleep(wait)
                    continue
                log.exception("message %s failed", ref)
                if self._stopping or not await self._failed(adapter, external_id, payload, incoming, exc):
                    return None
                await asyncio.sleep(next(pauses, self.retry_backoff))

    async def _failed(
        self,
        adapter: Adapter,
        external_id: str,
        payload: dict[str, Any],
        incoming: Incoming | None,
        exc: BaseException,
    ) -> bool:
        """Count a failure of a message; True if it is to be tried again now. After
        `handle_attempts` failures it is a dead letter (and its sender told)."""
        try:
            attempts = await self.db(self.store.failed, adapter.name, external_id)
        except Exception:  # noqa: BLE001 - the database is away: the sweep tries again
            log.warning(
                "message %s: failure not counted, left for the sweep", self.ref(adapter.name, external_id)
            )
            return False
        if attempts < self.handle_attempts:
            return incoming is not None
        await self._dead_letter(adapter, external_id, payload, incoming, "handle", exc, attempts)
        return False

    async def _dead_letter(
        self,
        adapter: Adapter,
        external_id: str,
        payload: dict[str, Any],
        incoming: Incoming | None,
        stage: str,
        exc: BaseException,
        attempts: int = 0,
    ) -> None:
        """Keep a payload as a dead letter; when its sender is known, tell them (the error
        message in their language, through the outbox like any reply)."""
        channel = adapter.name
        reply: OutboxItem | None = None
        rendered: Rendered | None = None
        try:
            if incoming is not None:
                lang = await self.db(self._language_of, incoming)
                error = Reply.of("common.error")
                rendered = self.catalog.render(error, lang)
                reply = OutboxItem(
                    channel=channel,
                    chat_id=incoming.chat_id,
                    payload={"reply": error.model_dump(mode="json"), "language": lang},
                )
            item_id = await self.db(
                self.store.dead_letter, channel, external_id, stage, payload, exc, attempts, reply
            )
        except Exception:  # noqa: BLE001 - the database is away: the sweep tries again
            log.exception("message %s: could not keep it as a dead letter", self.ref(channel, external_id))
            return
        self.stats.dead_letters += 1
        log.error(
            "%s message %s is a dead letter (%s, %d attempts): %s",
            channel,
            self.ref(channel, external_id),
            stage,
            attempts,
            type(exc).__name__,
        )
        if incoming is not None and rendered is not None and item_id:
            sent = await self.deliver(adapter, incoming.chat_id, [rendered], [item_id])
            await self._finish(channel, None, sent)

    def _language_of(self, incoming: Incoming) -> str:
        """The language to speak to the sender of a message (read-only)."""
        lang = None
        with self.dispatcher.uow_factory() as uow:
            conv = uow.conversations.get(incoming.channel, incoming.chat_id)
            lang = conv.language if conv is not None else None
            if not lang:
                user = uow.users.by_identity(incoming.channel, incoming.user_ref)
                lang = user.language if user is not None else None
            uow.rollback()
        hint = Lang.parse(incoming.lang_hint)
        return lang or (hint.value if hint else None) or self.dispatcher.default_language

    async def set_reachable(self, channel: str, user_ref: str, reachable: bool) -> None:
        """A user blocked the bot (or came back): marked so, for every channel's sending."""
        await self.db(self._set_unreachable, channel, user_ref, not reachable)

    def _set_unreachable(self, channel: str, user_ref: str, flag: bool) -> None:
        with self.dispatcher.uow_factory() as uow:
            user = uow.users.by_identity(channel, user_ref)
            if user is None or user.unreachable == flag:
                return
            user.unreachable = flag
            uow.users.save(user)
            uow.commit()
        log.info("%s user marked %s", channel, "unreachable" if flag else "reachable again")

    # -- sending ------------------------------------------------------------------------------
    async def deliver(
        self, adapter: Adapter, chat_id: str, replies: list[Rendered], outbox_ids: list[int]
    ) -> list[int]:
        """Send replies in order. Each sent reply but the last is marked sent at once (so that
        a crash sends at most one reply of a chat twice); the outbox ids of the last are
        returned, for the caller to mark with the payload's end. Stops at the first failure
        that is not the reply's own: the rest stays in the outbox for the sweep (or is given
        up when the user blocked the bot, or held when the channel must wait for the user)."""
        ids = list(outbox_ids) + [0] * (len(replies) - len(outbox_ids))
        batches = coalesce(replies, ids, adapter.fits)
        channel = adapter.name
        sent: list[int] = []
        for i, (reply, item_ids) in enumerate(batches):
            if sent:
                await self._finish(channel, None, sent)
                sent = []
            rest = [x for _, b in batches[i:] for x in b]
            try:
                if reply.job:  # slow work (an export), once the replies before it are sent
                    reply = await self.work(self.dispatcher.fulfil, reply)
                await adapter.send(chat_id, reply, item_ids)
            except Unreachable:
                log.warning("the user blocked the bot: replies given up")
                await self._quietly(self.set_reachable(channel, chat_id, False))
                await self._quietly(self.db(self.store.give_up, rest))
                self.stats.failed_sends += len(batches) - i
                break
            except Deferred:
                await self._quietly(self.db(self.store.hold, rest))
                break
            except Rejected as exc:
                log.warning("reply refused by the channel, given up: %s", exc)
                await self._quietly(self.db(self.store.give_up, item_ids))
                self.stats.failed_sends += 1
                continue
            except Exception as exc:  # noqa: BLE001 - kept in the outbox, resent by the sweep
                log.warning("reply not sent, kept in the outbox: %s", exc)
                self.stats.failed_sends += len(batches) - i
                break
            self.stats.sent += 1
            sent.extend(item_ids)
        return sent

    @staticmethod
    async def _quietly(work: Awaitable[Any]) -> None:
        try:
            await work
        except Exception:  # noqa: BLE001 - bookkeeping only: the sweep sorts it out
            log.exception("delivery bookkeeping failed")

    def _rendered(self, item: OutboxItem) -> Rendered:
        reply = Reply.model_validate(item.payload["reply"])
        return self.catalog.render(reply, item.payload.get("language") or self.dispatcher.default_language)

    async def release(self, channel: str, chat_id: str) -> None:
        """Send the replies held for a chat (`Deferred`), in order. Called by the adapter from
        `incoming`, which runs in the chat's turn."""
        items = await self.db(self.store.release, channel, chat_id)
        if items:
            sent = await self.deliver(
                self.adapters[channel],
                chat_id,
                [self._rendered(i) for i in items],
                [i.id or 0 for i in items],
            )
            await self._finish(channel, None, sent)

    # -- recovery -----------------------------------------------------------------------------
    async def sweep(self, min_age: float | None = None) -> None:
        """Process recorded payloads left behind and resend unsent replies older than `min_age`
        seconds (default: the grace period, so live work is never taken over)."""
        age = self.grace if min_age is None else min_age
        for channel in self.adapters:
            for external_id, chat, payload in await self.db(self.store.pending, channel, age):
                self._schedule(channel, external_id, chat, payload)
        await self.drain()
        for channel, adapter in self.adapters.items():
            # a chat's unsent replies go together, as they went the first time: joined into
            # the same messages (coalesce), not one message per outbox item
            chats: dict[str, list[OutboxItem]] = {}
            for item in await self.db(self.store.due, channel, age):
                chats.setdefault(item.chat_id, []).append(item)
            for chat_id, items in chats.items():
                if self._stopping:
                    break
                # claimed in the chat's turn: a reply being sent live is marked sent by then
                # (and no longer claimable), so the sweep never sends it a second time
                async with self._chat((channel, chat_id)):
                    claimed = [i for i in items if await self.db(self.store.claim, i)]
                    if not claimed:
                        continue
                    sent = await self.deliver(
                        adapter, chat_id, [self._rendered(i) for i in claimed], [i.id or 0 for i in claimed]
                    )
                await self._finish(channel, None, sent)

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
                    await self.db(self._prune)
                except Exception:  # noqa: BLE001 - tried again at the next interval
                    log.exception("database housekeeping failed")

    def _prune(self) -> None:
        from bot.maintenance import prune

        done = prune(self.dispatcher.uow_factory, self.athar.settings.polls.retention_months)
        log.info("database housekeeping: %s", done)
