"""The delivery runtime's SQL (bot/channels/runtime.py), on the engine, outside the dispatcher's
units of work.

- Inbound updates: a channel update is recorded here *before* it is acknowledged (the webhook's
  200, the getUpdates offset) and deleted once it has been processed (the dispatcher committed
  it and its replies were sent, or it needed no processing), so a crash in between never loses
  it; a restart processes what is left, and the dispatcher's inbox drops what it had already
  handled. A second delivery of the same update id is recorded once.
- Outbox resending: replies are written to the outbox by the dispatcher in the same commit as
  the state; an item still unsent after a grace period (crash, network down) is claimed and sent
  again. An item is claimed by bumping its attempts counter with a compare-and-set, so two
  workers sweeping at the same time never both send it. An item given up (the user blocked
  the bot) or held (waiting for the user to write again) is marked by its attempts counter.
- Dead letters: a payload that could never be recorded, read or handled is kept apart with its
  error (`dead_letters`, as ASCII text), so that it never holds up anyone else.
"""

from __future__ import annotations

import contextlib
import threading
import time
import weakref
from datetime import timedelta
from typing import Any, Callable, Iterator

from sqlalchemy import Engine, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as SATimeoutError

from domain.ports import OutboxItem
from domain.records import utcnow
from storage.payloads import dead_text
from storage.repositories import OUTBOX_MAX_ATTEMPTS
from storage.tables import DeadLetterRow, InboundRow, OutboxRow

MAX_SEND_ATTEMPTS = OUTBOX_MAX_ATTEMPTS  # an item tried this many times is never resent
GAVE_UP = 1000  # attempts value of an outbox item that will never be sent (user blocked the bot)
HELD = 900  # attempts value of an outbox item waiting for its user (DeliveryStore.hold)
_INBOUND_DONE = delete(InboundRow).where(
    InboundRow.channel == bindparam("k_channel"),
    InboundRow.external_id.in_(bindparam("k_ids", expanding=True)),
)
_MARK_SENT = (
    update(OutboxRow)
    .where(OutboxRow.id.in_(bindparam("k_ids", expanding=True)))
    .values(sent_at=bindparam("now"), attempts=OutboxRow.attempts + 1)
)
# Private items (a beneficiary's poll) leave no row once sent or given up. On WhatsApp a message
# accepted may still fail later (a status outside the 24-hour window puts it back on hold), so
# a private item stays, marked sent, until its "delivered" or "read" status comes
# (storage.whatsapp.WhatsAppStore.statuses) or a day has passed (SqlOutboxRepo.prune).
AWAIT_STATUS = ("whatsapp",)
_DROP_PRIVATE = delete(OutboxRow).where(
    OutboxRow.id.in_(bindparam("k_ids", expanding=True)), OutboxRow.private.is_(True)
)
_DROP_PRIVATE_SENT = _DROP_PRIVATE.where(OutboxRow.channel.not_in(AWAIT_STATUS))


_GATES: "weakref.WeakKeyDictionary[Engine, Gate]" = weakref.WeakKeyDictionary()
_GATES_LOCK = threading.Lock()


class Gate:
    """On SQLite, one writer at a time: transactions of this process take turns on a lock
    instead of polling SQLite's busy handler (which sleeps up to 100 ms between tries and made
    webhook acknowledgements wait behind a crowd of dispatcher threads). Recording an update
    (what an acknowledgement waits for) goes first: it waits for the transaction in progress
    only. Re-entrant per thread. A no-op on PostgreSQL, whose row locks let transactions of
    different chats run side by side."""

    def __init__(self, engine: Engine):
        self.enabled = engine.dialect.name == "sqlite"
        self._lock = threading.Lock()
        # two queues on one lock: a release wakes one waiter, urgent ones first (waking every
        # waiter at each release made them all fight for the GIL and the lock)
        self._urgent_turn = threading.Condition(self._lock)
        self._turn = threading.Condition(self._lock)
        self._owner: int | None = None
        self._depth = 0
        self._urgent = 0
        self._waiting = 0

    @classmethod
    def of(cls, engine: Engine) -> "Gate":
        """The one gate of an engine (every channel of a process shares it)."""
        with _GATES_LOCK:
            gate = _GATES.get(engine)
            if gate is None:
                gate = _GATES[engine] = cls(engine)
            return gate

    def acquire(self, urgent: bool = False) -> None:
        if not self.enabled:
            return
        me = threading.get_ident()
        with self._lock:
            if self._owner == me:
                self._depth += 1
                return
            if urgent:
                self._urgent += 1
                try:
                    while self._owner is not None:
                        self._urgent_turn.wait()
                finally:
                    self._urgent -= 1
            else:
                self._waiting += 1
                try:
                    while self._owner is not None or self._urgent:
                        self._turn.wait()
                finally:
                    self._waiting -= 1
            self._owner, self._depth = me, 1

    def release(self) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                if self._urgent:
                    self._urgent_turn.notify()
                elif self._waiting:
                    self._turn.notify()

    def __enter__(self) -> None:
        self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    @contextlib.contextmanager
    def first(self) -> Iterator[None]:
        """Hold the gate ahead of the ordinary waiters."""
        self.acquire(urgent=True)
        try:
            yield
        finally:
            self.release()

    def wrap(self, uow_factory: Callable[[], Any]) -> Callable[[], Any]:
        """A unit-of-work factory whose units of work hold the gate while open."""
        if not self.enabled or getattr(uow_factory, "gate", None) is self:
            return uow_factory
        gate = self

        class _Gated:
            def __init__(self) -> None:
                self.uow = uow_factory()

            def __enter__(self) -> Any:
                gate.__enter__()
                try:
                    return self.uow.__enter__()
                except BaseException:
                    gate.__exit__()
                    raise

            def __exit__(self, *exc: object) -> None:
                try:
                    self.uow.__exit__(*exc)
                finally:
                    gate.__exit__()

        _Gated.gate = gate  # type: ignore[attr-defined]
        factory = _Gated
        factory.gate = gate  # type: ignore[attr-defined]
        return factory


class DeliveryStore:
    def __init__(self, engine: Engine, gate: Gate | None = None):
        self.engine = engine
        self.gate = gate or Gate.of(engine)
        self._postgres = engine.dialect.name == "postgresql"
        dialect = postgresql if self._postgres else sqlite
        self._record_stmt = (
            dialect.insert(InboundRow)
            .on_conflict_do_nothing(index_elements=["channel", "external_id"])
            .returning(InboundRow.external_id)
        )

    # -- inbound ------------------------------------------------------------------------------
    def record(self, channel: str, items: list[tuple[str, str | None, dict[str, Any]]]) -> list[bool | None]:
        """Record (external_id, chat_key, payload) items in one transaction and one statement;
        for each, True if it is new, False if that id was already recorded (a duplicate
        delivery, also within `items`), None if it could not be recorded and went to the dead
        letters instead.

        A batch that fails is recorded again item by item, so that one bad item never stops
        the others: an item that fails alone, for a reason other than the database being
        unavailable, is a dead letter. Raises only when the database is unavailable (nothing
        was acknowledged then: the caller tries again later)."""
        if not items:
            return []
        try:
            new = self._insert(channel, items)
        except Exception as exc:  # noqa: BLE001 - retried item by item below
            if len(items) == 1 and is_transient(exc):
                raise
            return self._record_each(channel, items)
        out: list[bool | None] = []
        for external_id, _, _ in items:
            out.append(str(external_id) in new)
            new.discard(str(external_id))  # a second copy in the same batch is a duplicate
        return out

    def _insert(self, channel: str, items: list[tuple[str, str | None, dict[str, Any]]]) -> set[str]:
        now = utcnow()
        rows, seen = [], set()
        for external_id, chat_key, payload in items:
            if str(external_id) not in seen:
                seen.add(str(external_id))
                rows.append(
                    {
                        "channel": channel,
                        "external_id": str(external_id),
                        "chat_key": chat_key,
                        "payload": payload,
                        "received_at": now,
                        "attempts": 0,
                    }
                )
        with self.gate.first(), self.engine.begin() as conn:
            return {r[0] for r in conn.execute(self._record_stmt, rows)}

    def _record_each(
        self, channel: str, items: list[tuple[str, str | None, dict[str, Any]]]
    ) -> list[bool | None]:
        out: list[bool | None] = []
        seen: set[str] = set()
        for external_id, chat_key, payload in items:
            if str(external_id) in seen:
                out.append(False)
                continue
            seen.add(str(external_id))
            for attempt in range(3):
                try:
                    out.append(bool(self._insert(channel, [(external_id, chat_key, payload)])))
                    break
                except Exception as exc:  # noqa: BLE001 - a dead letter unless the database is down
                    if is_transient(exc):
                        if attempt == 2:
                            raise
                        time.sleep(0.05 * (attempt + 1))
                        continue
                    self.dead_letter(channel, external_id, "record", payload, exc)
                    out.append(None)
                    break
        return out

    def finish(self, channel: str, updates: list[tuple[str | None, list[int]]]) -> list[None]:
        """For several processed updates at once (one transaction): their recorded rows go, and
        the outbox items sent for them are marked sent. An update id may be None (only items)."""
        ids = [str(u) for u, _ in updates if u is not None]
        sent = [i for _, items in updates for i in items]
        if ids or sent:
            with self.gate, self.engine.begin() as conn:
                if ids:
                    conn.execute(_INBOUND_DONE, {"k_channel": channel, "k_ids": ids})
                if sent:
                    conn.execute(_DROP_PRIVATE_SENT, {"k_ids": sent})
                    conn.execute(_MARK_SENT, {"k_ids": sent, "now": utcnow()})
        return [None] * len(updates)

    def failed(self, channel: str, external_id: str) -> int:
        """Count a failed processing; returns the failures so far (0 if the update is unknown)."""
        with self.gate, self.engine.begin() as conn:
            where = (InboundRow.channel == channel, InboundRow.external_id == str(external_id))
            conn.execute(update(InboundRow).where(*where).values(attempts=InboundRow.attempts + 1))
            return int(conn.execute(select(InboundRow.attempts).where(*where)).scalar() or 0)

    def dead_letter(
        self,
        channel: str,
        external_id: str | None,
        stage: str,
        payload: Any,
        error: BaseException | str,
        attempts: int = 0,
        reply: OutboxItem | None = None,
    ) -> int | None:
        """In one transaction: the payload kept as a dead letter with its error, its recorded row
        (if any) removed, and `reply` (the error message for its sender) put in the outbox.
        Returns the reply's outbox id."""
        text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        row = {
            "channel": channel,
            "external_id": None if external_id is None else str(external_id)[:200],
            "stage": stage,
            "payload": dead_text(payload),
            "error": dead_text(text)[:4000],
            "attempts": attempts,
            "created_at": utcnow(),
        }
        with self.gate.first(), self.engine.begin() as conn:
            conn.execute(insert(DeadLetterRow), [row])
            if external_id is not None:
                conn.execute(
                    delete(InboundRow).where(
                        InboundRow.channel == channel, InboundRow.external_id == str(external_id)
                    )
                )
            if reply is None:
                return None
            return conn.execute(
                insert(OutboxRow).returning(OutboxRow.id),
                {
                    "channel": reply.channel,
                    "chat_id": reply.chat_id,
                    "payload": reply.payload,
                    "created_at": reply.created_at,
                    "sent_at": None,
                    "attempts": 0,
                    "private": reply.private,
                },
            ).scalar_one()

    def dead_letters(self, channel: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The most recent dead letters (for the operators, and the tests)."""
        stmt = select(DeadLetterRow).order_by(DeadLetterRow.id.desc()).limit(limit)
        if channel is not None:
            stmt = stmt.where(DeadLetterRow.channel == channel)
        with self.gate, self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def pending(
        self, channel: str, min_age: float = 0.0, limit: int = 500
    ) -> list[tuple[str, str | None, dict[str, Any]]]:
        """Recorded, not yet processed updates older than `min_age` seconds, oldest first, as
        (external_id, chat_key, payload)."""
        before = utcnow() - timedelta(seconds=min_age)
        with self.gate, self.engine.connect() as conn:
            rows = conn.execute(
                select(InboundRow.external_id, InboundRow.chat_key, InboundRow.payload)
                .where(InboundRow.channel == channel, InboundRow.received_at <= before)
                .order_by(InboundRow.id)
                .limit(limit)
            ).all()
        return [(r.external_id, r.chat_key, dict(r.payload)) for r in rows]

    def count_pending(self, channel: str) -> int:
        with self.gate, self.engine.connect() as conn:
            return len(conn.execute(select(InboundRow.id).where(InboundRow.channel == channel)).all())

    # -- outbox -------------------------------------------------------------------------------
    def due(self, channel: str, min_age: float = 0.0, limit: int = 200) -> list[OutboxItem]:
        """Unsent items of `channel` created at least `min_age` seconds ago, oldest first
        (neither given up nor held)."""
        before = utcnow() - timedelta(seconds=min_age)
        with self.gate, self.engine.connect() as conn:
            rows = conn.execute(
                select(OutboxRow)
                .where(
                    OutboxRow.sent_at.is_(None),
                    OutboxRow.channel == channel,
                    OutboxRow.attempts < MAX_SEND_ATTEMPTS,
                    OutboxRow.created_at <= before,
                )
                .order_by(OutboxRow.id)
                .limit(limit)
            ).all()
        return [_item(r) for r in rows]

    def claim(self, item: OutboxItem) -> bool:
        """Take an item for sending: True for exactly one of several concurrent callers."""
        with self.gate, self.engine.begin() as conn:
            result = conn.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id == item.id, OutboxRow.attempts == item.attempts, OutboxRow.sent_at.is_(None)
                )
                .values(attempts=item.attempts + 1)
            )
            return (result.rowcount or 0) == 1

    def give_up(self, ids: list[int]) -> None:
        """Items that can never be delivered (the user blocked the bot, the channel refused
        them): never resent (private ones deleted)."""
        if ids:
            with self.gate, self.engine.begin() as conn:
                conn.execute(_DROP_PRIVATE, {"k_ids": ids})
        self._set_attempts(ids, GAVE_UP)

    def hold(self, ids: list[int]) -> None:
        """Items that must wait for the user (the channel's window is closed): the sweep skips
        them until `release`."""
        self._set_attempts(ids, HELD)

    def release(self, channel: str, chat_id: str) -> list[OutboxItem]:
        """The held items of a chat, oldest first, made ordinary unsent items again."""
        with self.gate, self.engine.begin() as conn:
            rows = conn.execute(
                select(OutboxRow)
                .where(
                    OutboxRow.channel == channel,
                    OutboxRow.chat_id == chat_id,
                    OutboxRow.sent_at.is_(None),
                    OutboxRow.attempts == HELD,
                )
                .order_by(OutboxRow.id)
            ).all()
            if rows:
                conn.execute(
                    update(OutboxRow).where(OutboxRow.id.in_([r.id for r in rows])).values(attempts=0)
                )
        return [_item(r).model_copy(update={"attempts": 0}) for r in rows]

    def _set_attempts(self, ids: list[int], value: int) -> None:
        if not ids:
            return
        with self.gate, self.engine.begin() as conn:
            conn.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(ids), OutboxRow.sent_at.is_(None))
                .values(attempts=value)
            )


def _item(r: Any) -> OutboxItem:
    return OutboxItem(
        id=r.id,
        channel=r.channel,
        chat_id=r.chat_id,
        payload=r.payload,
        created_at=r.created_at,
        sent_at=r.sent_at,
        attempts=r.attempts,
        private=r.private,
    )


def is_transient(exc: BaseException) -> bool:
    """Whether a database error says the database is (for now) unavailable rather than that the
    statement is wrong: a lost or refused connection, a pool timeout, SQLite busy or locked."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (OperationalError, InterfaceError, SATimeoutError, DisconnectionError))
