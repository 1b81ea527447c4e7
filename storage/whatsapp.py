"""SQL of the WhatsApp channel: its chats (the 24-hour window, replies waiting for the user to
write again, reachability) and the delivery statuses of the messages it sent.

Each method is one short transaction on the engine, taken through `gate` (a context manager:
on SQLite the channel's writers take turns; a no-op elsewhere). Several chats or statuses are
written in one statement where it matters (they come in batches under load).
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Engine, Table, case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from domain.records import utcnow
from storage.delivery import HELD
from storage.tables import OutboxRow, WhatsAppChatRow, WhatsAppMessageRow

STATUS_RANK = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3, "played": 4, "failed": 5}
DELIVERED = ("delivered", "read", "played")


class WhatsAppStore:
    def __init__(self, engine: Engine, gate: Any = None):
        self.engine = engine
        self.gate = gate if gate is not None else contextlib.nullcontext()
        self._dialect = postgresql if engine.dialect.name == "postgresql" else sqlite

    # -- chats --------------------------------------------------------------------------------
    def seen(self, chats: list[tuple[str, datetime]]) -> list[datetime | None]:
        """The users wrote at these times: the window runs from the latest; a user who writes
        is reachable again. For each, since when replies had been waiting for them (None:
        nothing waits)."""
        latest: dict[str, datetime] = {}
        for chat, at in chats:
            if chat not in latest or at > latest[chat]:
                latest[chat] = at
        if latest:
            t = cast(Table, WhatsAppChatRow.__table__)
            stmt = self._dialect.insert(t)
            stmt = stmt.on_conflict_do_update(
                index_elements=["chat_id"],
                set_={
                    "last_inbound_at": _greatest(t.c.last_inbound_at, stmt.excluded.last_inbound_at),
                    "unreachable": False,
                },
            )
            stmt = stmt.returning(t.c.chat_id, t.c.waiting_since)
            with self.gate, self.engine.begin() as conn:
                waiting = {
                    r.chat_id: r.waiting_since
                    for r in conn.execute(
                        stmt,
                        [
                            {"chat_id": c, "last_inbound_at": at, "waiting_since": None, "unreachable": False}
                            for c, at in latest.items()
                        ],
                    )
                }
        else:
            waiting = {}
        return [waiting.get(chat) for chat, _ in chats]

    def chat(self, chat_id: str) -> WhatsAppChatRow | None:
        with self.gate, self.engine.connect() as conn:
            row = conn.execute(
                select(WhatsAppChatRow.__table__).where(WhatsAppChatRow.chat_id == chat_id)
            ).first()
        return row  # type: ignore[return-value]

    def last_inbound(self, chat_id: str) -> datetime | None:
        row = self.chat(chat_id)
        return row.last_inbound_at if row is not None else None

    def set_waiting(self, chat_id: str, since: datetime | None) -> bool:
        """Mark (or clear) the chat as having replies that wait for the user to write again.
        Marking returns False when it was already marked (the template went out already)."""
        t = cast(Table, WhatsAppChatRow.__table__)
        with self.gate, self.engine.begin() as conn:
            if since is None:
                conn.execute(update(t).where(t.c.chat_id == chat_id).values(waiting_since=None))
                return True
            conn.execute(
                self._dialect.insert(t).on_conflict_do_nothing(index_elements=["chat_id"]),
                {"chat_id": chat_id, "last_inbound_at": None, "waiting_since": None, "unreachable": False},
            )
            done = conn.execute(
                update(t)
                .where(t.c.chat_id == chat_id, t.c.waiting_since.is_(None))
                .values(waiting_since=since)
            )
            return (done.rowcount or 0) == 1

    def set_unreachable(self, chat_id: str, flag: bool) -> None:
        t = cast(Table, WhatsAppChatRow.__table__)
        with self.gate, self.engine.begin() as conn:
            conn.execute(
                self._dialect.insert(t).on_conflict_do_update(
                    index_elements=["chat_id"], set_={"unreachable": flag}
                ),
                {"chat_id": chat_id, "last_inbound_at": None, "waiting_since": None, "unreachable": flag},
            )

    def close_window(self, chat_id: str, at: datetime) -> None:
        """WhatsApp refused a free-form message sent at `at` for the 24-hour window: no message
        of the user before then opens it (one after it, written meanwhile, still does)."""
        t = cast(Table, WhatsAppChatRow.__table__)
        with self.gate, self.engine.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.chat_id == chat_id, t.c.last_inbound_at <= at)
                .values(last_inbound_at=None)
            )

    # -- messages and their statuses ------------------------------------------------------------
    def sent(self, rows: list[tuple[str, str, int | None]]) -> list[None]:
        """Messages accepted by the Graph API: (wamid, chat id, outbox id of the reply). A
        status may have come first (another worker's webhook): it is kept, the outbox id added."""
        if rows:
            t = cast(Table, WhatsAppMessageRow.__table__)
            now = utcnow()
            stmt = self._dialect.insert(t)
            stmt = stmt.on_conflict_do_update(
                index_elements=["wamid"],
                set_={"outbox_id": func.coalesce(t.c.outbox_id, stmt.excluded.outbox_id)},
            )
            with self.gate, self.engine.begin() as conn:
                conn.execute(
                    stmt,
                    [
                        {
                            "wamid": w,
                            "chat_id": c,
                            "outbox_id": o,
                            "status": "accepted",
                            "error_code": None,
                            "updated_at": now,
                        }
                        for w, c, o in rows
                    ],
                )
        return [None] * len(rows)

    def statuses(self, items: list[tuple[str, str, str, int | None]]) -> list[tuple[int | None, bool]]:
        """Record delivery statuses (wamid, chat id, status, error code); a status never goes
        back (a late "delivered" after "read" is ignored). For each: (the outbox id of the
        message, whether this status is news)."""
        if not items:
            return []
        t = cast(Table, WhatsAppMessageRow.__table__)
        now = utcnow()
        out: list[tuple[int | None, bool]] = []
        with self.gate, self.engine.begin() as conn:
            for wamid, chat, status, code in items:
                row = conn.execute(select(t.c.status, t.c.outbox_id).where(t.c.wamid == wamid)).first()
                if row is None:
                    conn.execute(
                        self._dialect.insert(t).on_conflict_do_nothing(index_elements=["wamid"]),
                        {
                            "wamid": wamid,
                            "chat_id": chat,
                            "outbox_id": None,
                            "status": status,
                            "error_code": code,
                            "updated_at": now,
                        },
                    )
                    out.append((None, True))
                    continue
                news = STATUS_RANK.get(status, 0) > STATUS_RANK.get(row.status, 0)
                if news:
                    conn.execute(
                        update(t)
                        .where(t.c.wamid == wamid)
                        .values(status=status, error_code=code, updated_at=now)
                    )
                if status in DELIVERED and row.outbox_id is not None:
                    # a private reply (a beneficiary's poll) delivered: nothing more to keep
                    conn.execute(
                        delete(OutboxRow).where(
                            OutboxRow.id == row.outbox_id,
                            OutboxRow.private.is_(True),
                            OutboxRow.sent_at.is_not(None),
                        )
                    )
                out.append((row.outbox_id, news))
        return out

    def status(self, wamid: str) -> tuple[str, int | None] | None:
        with self.gate, self.engine.connect() as conn:
            row = conn.execute(
                select(WhatsAppMessageRow.status, WhatsAppMessageRow.error_code).where(
                    WhatsAppMessageRow.wamid == wamid
                )
            ).first()
        return (row.status, row.error_code) if row is not None else None

    def hold_again(self, chat_id: str, item_id: int) -> int:
        """A reply WhatsApp accepted, then refused for the window (a failed status): its outbox
        items (from `item_id`, the first, up to the next reply that has messages of its own) are
        unsent again and held for the user (storage.delivery.HELD). How many."""
        m = WhatsAppMessageRow.__table__
        with self.gate, self.engine.begin() as conn:
            following = conn.execute(
                select(func.min(m.c.outbox_id)).where(m.c.chat_id == chat_id, m.c.outbox_id > item_id)
            ).scalar()
            where = [
                OutboxRow.channel == "whatsapp",
                OutboxRow.chat_id == chat_id,
                OutboxRow.id >= item_id,
                OutboxRow.sent_at.is_not(None),
            ]
            if following is not None:
                where.append(OutboxRow.id < following)
            done = conn.execute(update(OutboxRow).where(*where).values(sent_at=None, attempts=HELD))
        return done.rowcount or 0


def _greatest(current: Any, new: Any) -> Any:
    """The later of two timestamps, a NULL counting as the earliest."""
    return case((current.is_(None), new), (new > current, new), else_=current)
