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
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Awaitable, Callable, Iterable, Protocol

from domain.messages import Incoming, Rendered, Reply

from bot.channels.batch import GroupCommit
from storage.delivery import DeliveryStore

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


class Receipt(str, Enum):
    NEW = "new"              # recorded: it will be handled
    DUPLICATE = "duplicate"  # that id was recorded before: dropped
    REFUSED = "refused"      # can never be stored or read: dead-lettered (a webhook answers 400)


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
        that can never be read."""

    def fits(self, text: str) -> bool:
        """Whether a text fits one message (consecutive plain replies are joined when they do)."""

    async def send(self, chat_id: str, reply: Rendered) -> None:
        """Deliver one reply (split, keyboards, files), each API call through `Runtime.call`.
        Raise `Transient`, `Unreachable` or `Rejected`."""

    async def open(self) -> None:
        """Open the channel's connections (before anything is received or sent)."""

    async def close(self) -> None:
        """Close them (after the runtime has drained)."""


# ---------------------------------------------------------------------------------------------
# Replies

def coalesce(replies: list[Rendered], ids: list[int], fits: Callable[[str], bool]
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
            if not prev.buttons and not prev.attachment and not reply.attachment \
                    and not prev.job and not reply.job \
                    and prev.text.strip() and reply.text.strip() \
                    and prev.language == reply.language and fits(text):
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
    # payload received → last reply sent, in seconds (the most recent ones)
    latencies: collections.deque = field(default_factory=lambda: collections.deque(maxlen=10_000))


class Runtime:
    """Receives payloads for its adapters, runs them through the dispatcher, sends the replies.
    One per process, whatever the number of channels."""

    def __init__(self, athar: Any, adapters: Iterable[Adapter], *, grace: float = 30.0,
                 sweep_interval: float = 10.0, threads: int = 4, db_threads: int = 4,
                 nlu_threads: int = 4, retry_backoff: float = 0.25, max_retries: int = 3,
                 prune_interval: float = 6 * 3600.0):
        self.athar = athar
        self.dispatcher = athar.dispatcher
        self.catalog = athar.services.catalog
        self.store = DeliveryStore(athar.db_engine)
        # SQLite: this process's transactions take turns (see storage.delivery.Gate)
        self.dispatcher.uow_factory = self.store.gate.wrap(self.dispatcher.uow_factory)
        self.grace = grace
        self.sweep_interval = sweep_interval
        self.retry_backoff = retry_backoff
        self.max_retries = max_retries
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
        self._dbx = ThreadPoolExecutor(max_workers=1 if self.store.gate.enabled else db_threads,
                                       thread_name_prefix="athar-db")
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
        # housekeeping (bot.maintenance) every few hours, the first soon after the start
        self.prune_interval = prune_interval
        self._pruned_at = time.monotonic() - prune_interval + min(prune_interval, 60.0)
        for adapter in adapters:
            self.add(adapter)

    def add(self, adapter: Adapter) -> None:
        self.adapters[adapter.name] = adapter
        adapter.bind(self)

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

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        await self.drain()
        for adapter in self.adapters.values():
            await adapter.close()
        self._pool.shutdown(wait=True)
        self._nlu.shutdown(wait=True)
        self._dbx.shutdown(wait=True)
        self._ingest.shutdown(wait=True)

    async def drain(self) -> None:
        """Wait for every payload being processed."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def db(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run database work in its executor."""
        return await asyncio.get_running_loop().run_in_executor(self._dbx, fn, *args)

    async def work(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run slow blocking work (exports, charts, the NLU's warm-up) in the jobs' pool."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def call(self, fn: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        """One API call of an adapter; `Transient` failures are retried with a growing pause
        (at least the `retry_after` the channel asked for)."""
        attempt = 0
        while True:
            try:
                return await fn(*args, **kwargs)
            except Transient as exc:
                if attempt >= self.max_retries:
                    raise
                pause = self.retry_backoff * (2 ** attempt)
                if exc.retry_after is not None:
                    pause = max(pause, exc.retry_after + 0.1)
                log.info("transient failure, retrying in %.2f s: %s", pause, exc)
                await asyncio.sleep(pause)
            attempt += 1

    # -- receiving ----------------------------------------------------------------------------
    async def receive(self, channel: str, payloads: list[dict[str, Any]],
                      on_new: Callable[[dict[str, Any]], None] | None = None) -> list[Receipt]:
        """Record payloads of `channel` (one transaction for all that arrive meanwhile), then
        schedule the new ones. Only after this returns may they be acknowledged. `on_new` is
        called for each new payload before it is scheduled (the webhook notes what it answers
        in its HTTP answer)."""
        adapter = self.adapters[channel]
        items = []
        for p in payloads:
            external_id, chat = adapter.identify(p)
            items.append((external_id, chat, p))
        now = time.perf_counter()
        fresh = await self._recorder.submit((channel, items))
        receipts = []
        for (external_id, chat, p), new in zip(items, fresh):
            if new:
                self._received[(channel, external_id)] = now
                if on_new is not None:
                    on_new(p)
                self._schedule(channel, external_id, chat, p)
                receipts.append(Receipt.NEW)
            else:
                self.stats.duplicates += 1
                log.info("duplicate %s payload not recorded again", channel)
                receipts.append(Receipt.DUPLICATE)
        return receipts

    def _record_many(self, batches: list[tuple[str, list[tuple[str, str | None, dict[str, Any]]]]]
                     ) -> list[list[bool]]:
        by_channel: dict[str, list[tuple[str, str | None, dict[str, Any]]]] = {}
        for channel, items in batches:
            by_channel.setdefault(channel, []).extend(items)
        flags = {channel: iter(self.store.record(channel, items))
                 for channel, items in by_channel.items()}
        return [[next(flags[channel]) for _ in items] for channel, items in batches]

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

    def _schedule(self, channel: str, external_id: str, chat: str | None,
                  payload: dict[str, Any]) -> None:
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

    async def _process(self, channel: str, external_id: str, chat: str | None,
                       payload: dict[str, Any]) -> None:
        key = (channel, external_id)
        try:
            # messages of one chat are handled in the order received
            async with self._chat((channel, chat or external_id)):
                await self._on_payload(self.adapters[channel], external_id, payload)
        finally:
            self._inflight.discard(key)
            self._received.pop(key, None)

    async def _on_payload(self, adapter: Adapter, external_id: str,
                          payload: dict[str, Any]) -> None:
        channel = adapter.name
        try:
            try:
                incoming = await adapter.incoming(payload)
            except Malformed:  # counted, dropped after a few attempts
                log.exception("%s payload cannot be read", channel)
                await self.db(self.store.failed, channel, external_id)
                return
            if incoming is None:
                await self._finished.submit((channel, external_id, []))
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
                outcome = await self.db(self.dispatcher.handle, incoming, understanding)
        except Exception:
            left = await self.db(self.store.failed, channel, external_id)
            log.exception("%s payload failed (%s)", channel,
                          f"attempt {left}, kept for a retry" if left else "dropped")
            return
        # The dispatcher committed (its inbox holds the message id): from here a crash only
        # means the recorded payload is processed again and dropped as a duplicate, and the
        # replies are resent from the outbox.
        if outcome.duplicate:
            self.stats.duplicates += 1
            await self._finished.submit((channel, external_id, []))
            return
        self.stats.handled += 1
        sent = await self.deliver(adapter, incoming.chat_id, outcome.replies, outcome.outbox_ids)
        # the recorded payload goes and the sent replies are marked, with other messages' (one
        # transaction for all that finish meanwhile)
        await self._finished.submit((channel, external_id, sent))
        started = self._received.get((channel, external_id))
        if started is not None:
            self.stats.latencies.append(time.perf_counter() - started)

    async def set_reachable(self, channel: str, user_ref: str, reachable: bool) -> None:
        """A user blocked the bot (or came back): marked so, for every channel's sending."""
        await self.db(self._set_unreachable, channel, user_ref, not reachable)

    def _set_unreachable(self, channel: str, user_ref: str, flag: bool) -> None:
        with self.athar.uow_factory() as uow:
            user = uow.users.by_identity(channel, user_ref)
            if user is None or user.unreachable == flag:
                return
            user.unreachable = flag
            uow.users.save(user)
            uow.commit()
        log.info("%s user marked %s", channel, "unreachable" if flag else "reachable again")

    # -- sending ------------------------------------------------------------------------------
    async def deliver(self, adapter: Adapter, chat_id: str, replies: list[Rendered],
                      outbox_ids: list[int]) -> list[int]:
        """Send replies in order; return the outbox ids sent (for the caller to mark). Stops at
        the first failure: the rest stays in the outbox for the sweep (or is given up when the
        user blocked the bot)."""
        ids = list(outbox_ids) + [0] * (len(replies) - len(outbox_ids))
        batches = coalesce(replies, ids, adapter.fits)
        sent: list[int] = []
        for i, (reply, item_ids) in enumerate(batches):
            try:
                if reply.job:  # slow work (an export), once the replies before it are sent
                    reply = await self.work(self.dispatcher.fulfil, reply)
                await adapter.send(chat_id, reply)
            except Unreachable:
                log.warning("the user blocked the bot: replies given up")
                await self.set_reachable(adapter.name, chat_id, False)
                await self.db(self.store.give_up, [x for _, b in batches[i:] for x in b])
                self.stats.failed_sends += len(batches) - i
                break
            except Exception as exc:  # noqa: BLE001 - kept in the outbox, resent by the sweep
                log.warning("reply not sent, kept in the outbox: %s", exc)
                self.stats.failed_sends += len(batches) - i
                break
            self.stats.sent += 1
            sent.extend(item_ids)
        return sent

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
            for item in await self.db(self.store.due, channel, age):
                if not await self.db(self.store.claim, item):
                    continue
                reply = Reply.model_validate(item.payload["reply"])
                rendered = self.catalog.render(reply, item.payload.get("language") or "fr")
                async with self._chat((channel, item.chat_id)):
                    sent = await self.deliver(adapter, item.chat_id, [rendered], [item.id or 0])
                await self._finished.submit((channel, None, sent))

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
        done = prune(self.athar.uow_factory, self.athar.settings.polls.retention_months)
        log.info("database housekeeping: %s", done)
