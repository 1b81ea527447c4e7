"""Repositories: the ports of domain/ports.py on one SQLAlchemy Session.

Repositories never commit (the unit of work does). They flush when they need database-assigned
ids, and return new record copies (the records passed in are never mutated).
Writes that may race between workers use INSERT … ON CONFLICT on both dialects.
"""

from __future__ import annotations

import builtins
from datetime import datetime, timedelta
from typing import Any, Iterable, TypeVar, cast

from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from sqlalchemy import CursorResult, Result, Table, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from domain.ports import ConversationRecord, OutboxItem, ProjectSummary
from domain.privacy import day_of
from domain.records import (
    AuditEntry,
    Effect,
    Identity,
    Indicator,
    Invite,
    LessonProgress,
    Measurement,
    Poll,
    Project,
    Respondent,
    Response,
    Stakeholder,
    Story,
    TargetPublic,
    User,
    WebJob,
    WebToken,
    utcnow,
)
from storage.tables import (
    AuditRow,
    Base,
    ConversationRow,
    DeadLetterRow,
    EffectRow,
    IdentityRow,
    InboxRow,
    IndicatorRow,
    InviteRow,
    LessonProgressRow,
    MeasurementRow,
    OutboxRow,
    PollRefusalRow,
    PollRow,
    ProjectRow,
    RespondentRow,
    ResponseRow,
    StakeholderRow,
    StoryRow,
    TargetPublicRow,
    UserRow,
    WebJobRow,
    WebPreferenceRow,
    WebTokenRow,
    WhatsAppMessageRow,
)

R = TypeVar("R", bound=BaseModel)
Row = TypeVar("Row", bound=Base)


# ---------------------------------------------------------------------------------------------
# Helpers


def _jsonable(value: Any) -> Any:
    """Plain JSON types (dates become ISO strings), ready for a JSON column."""
    return to_jsonable_python(value)


def _values(
    record: BaseModel, row_cls: type[Base], *, exclude: Iterable[str] = (), json: Iterable[str] = ()
) -> dict[str, Any]:
    """Column values for `row_cls` taken from the record's fields of the same name."""
    skip = set(exclude)
    json_fields = set(json)
    columns = set(row_cls.__mapper__.columns.keys())
    out: dict[str, Any] = {}
    for name in type(record).model_fields:
        if name in skip or name not in columns:
            continue
        value = getattr(record, name)
        out[name] = _jsonable(value) if name in json_fields else value
    return out


def _rowcount(result: Result[Any]) -> int:
    """Rows a DML statement matched (Session.execute types its result as a plain Result)."""
    return cast(CursorResult[Any], result).rowcount or 0


def _record(model: type[R], row: Any, **extra: Any) -> R:
    data = {
        name: getattr(row, name) for name in model.model_fields if name not in extra and hasattr(row, name)
    }
    data.update(extra)
    return model.model_validate(data)


def _apply(row: Any, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)


def _insert(session: Session, table: type[Base]) -> Any:
    """A dialect-specific INSERT that supports ON CONFLICT."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"ON CONFLICT is not implemented for {dialect}")


class _Repo:
    def __init__(self, session: Session):
        self.session = session


# ---------------------------------------------------------------------------------------------
# Users, identities, invites


class SqlUserRepo(_Repo):
    def get(self, user_id: int) -> User | None:
        row = self.session.get(UserRow, user_id)
        return _record(User, row) if row else None

    def by_identity(self, channel: str, external_id: str) -> User | None:
        # read on every message: a prebuilt statement on the session's connection
        row = (
            self.session.connection()
            .execute(_USER_BY_IDENTITY, {"k_channel": channel, "k_external_id": external_id})
            .first()
        )
        return User.model_validate(dict(row._mapping)) if row else None

    def add(self, user: User, identity: Identity | None = None) -> User:
        """Insert the user (its id is assigned); link `identity` to it (identity.user_id is
        replaced by the new id)."""
        row = UserRow(**_values(user, UserRow, exclude={"id"}))
        self.session.add(row)
        self.session.flush()
        if identity is not None:
            self.link_identity(identity.model_copy(update={"user_id": row.id}))
        return _record(User, row)

    def save(self, user: User) -> User:
        if user.id is None:
            return self.add(user)
        row = self.session.get(UserRow, user.id, populate_existing=True)
        if row is None:
            raise LookupError(f"user {user.id} does not exist")
        _apply(row, _values(user, UserRow, exclude={"id"}))
        self.session.flush()
        return _record(User, row)

    def link_identity(self, identity: Identity) -> None:
        """Attach a channel identity to a user; an identity linked to another user moves."""
        stmt = _insert(self.session, IdentityRow).values(
            channel=identity.channel, external_id=identity.external_id, user_id=identity.user_id
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["channel", "external_id"], set_={"user_id": stmt.excluded.user_id}
        )
        self.session.execute(stmt)

    def identities(self, user_id: int) -> list[Identity]:
        rows = self.session.scalars(
            select(IdentityRow).where(IdentityRow.user_id == user_id).order_by(IdentityRow.id)
        )
        return [_record(Identity, r) for r in rows]

    def list(self, commune_id: str | None = None) -> list[User]:
        stmt = select(UserRow).order_by(UserRow.id)
        if commune_id is not None:
            stmt = stmt.where(UserRow.commune_id == commune_id)
        return [_record(User, r) for r in self.session.scalars(stmt)]

    def delete(self, user_id: int) -> bool:
        """Not in the port: remove a user with identities and lesson progress (CLI, erasure)."""
        result = self.session.execute(delete(UserRow).where(UserRow.id == user_id))
        self.session.expire_all()
        return bool(_rowcount(result))


class SqlInviteRepo(_Repo):
    def add(self, invite: Invite) -> Invite:
        row = InviteRow(**_values(invite, InviteRow, exclude={"id"}))
        self.session.add(row)
        self.session.flush()
        return _record(Invite, row)

    def by_code(self, code: str) -> Invite | None:
        row = self.session.scalars(select(InviteRow).where(InviteRow.code == code)).first()
        return _record(Invite, row) if row else None

    def save(self, invite: Invite) -> Invite:
        if invite.id is None:
            return self.add(invite)
        row = self.session.get(InviteRow, invite.id, populate_existing=True)
        if row is None:
            raise LookupError(f"invite {invite.id} does not exist")
        _apply(row, _values(invite, InviteRow, exclude={"id"}))
        self.session.flush()
        return _record(Invite, row)


# ---------------------------------------------------------------------------------------------
# Conversations, inbox, outbox

# The per-message statements (lock, inbox, save, outbox) are built once, with bound parameters,
# and run on the session's connection: building a statement and its cache key on every call cost
# more than running it (bench/bench_storage.py, the Telegram benchmark).
_CONV = cast(Table, ConversationRow.__table__)
_INBOX = cast(Table, InboxRow.__table__)
_OUTBOX = cast(Table, OutboxRow.__table__)
_CONV_KEY = (_CONV.c.channel == bindparam("k_channel"), _CONV.c.chat_id == bindparam("k_chat_id"))
_CONV_LOCK = select(_CONV).where(*_CONV_KEY).with_for_update()
_CONV_GET = select(_CONV).where(*_CONV_KEY)
_CONV_SAVE = update(_CONV).where(*_CONV_KEY)  # SET: the columns given as parameters
_OUTBOX_ADD = insert(_OUTBOX).returning(_OUTBOX.c.id, sort_by_parameter_order=True)
_BY_DIALECT: dict[tuple[str, str], Any] = {}
# An outbox item tried this many times is never sent again (the channels' resend sweep).
OUTBOX_MAX_ATTEMPTS = 6
_USERS, _IDENTITIES = cast(Table, UserRow.__table__), cast(Table, IdentityRow.__table__)
_USER_BY_IDENTITY = (
    select(_USERS)
    .join(_IDENTITIES, _IDENTITIES.c.user_id == _USERS.c.id)
    .where(
        _IDENTITIES.c.channel == bindparam("k_channel"),
        _IDENTITIES.c.external_id == bindparam("k_external_id"),
    )
    .limit(1)
)


def _statement(session: Session, name: str) -> Any:
    """The dialect's INSERT … ON CONFLICT statements, built once per dialect (the values come
    from the parameters)."""
    dialect = session.get_bind().dialect.name
    stmt = _BY_DIALECT.get((dialect, name))
    if stmt is None:
        if name == "conv_create":
            stmt = _insert(session, ConversationRow).on_conflict_do_nothing(
                index_elements=["channel", "chat_id"]
            )
        elif name == "conv_upsert":
            ins = _insert(session, ConversationRow)
            stmt = ins.on_conflict_do_update(
                index_elements=["channel", "chat_id"],
                set_={
                    k: getattr(ins.excluded, k)
                    for k in ("user_id", "language", "state", "version", "updated_at")
                },
            )
        elif name == "inbox":
            stmt = (
                _insert(session, InboxRow)
                .on_conflict_do_nothing(index_elements=["channel", "message_id"])
                .returning(InboxRow.channel)
            )
        else:  # pragma: no cover - programming error
            raise KeyError(name)
        _BY_DIALECT[(dialect, name)] = stmt
    return stmt


def _conversation(row: Any) -> ConversationRecord:
    return ConversationRecord.model_validate(dict(row._mapping))


class SqlConversationRepo(_Repo):
    def lock(self, channel: str, chat_id: str) -> ConversationRecord:
        """Create the row if missing (race-safe), lock it until the unit of work ends and return
        it as stored. PostgreSQL: SELECT … FOR UPDATE; SQLite: the unit of work already holds the
        database write lock (BEGIN IMMEDIATE)."""
        conn = self.session.connection()
        key = {"k_channel": channel, "k_chat_id": chat_id}
        row = conn.execute(_CONV_LOCK, key).first()
        if row is None:
            conn.execute(
                _statement(self.session, "conv_create"),
                {"channel": channel, "chat_id": chat_id, "state": {}, "version": 0, "updated_at": utcnow()},
            )
            row = conn.execute(_CONV_LOCK, key).one()
        return _conversation(row)

    def save(self, record: ConversationRecord) -> None:
        """Store the record as given (state, user, language, version); updated_at is now."""
        values = {
            "user_id": record.user_id,
            "language": record.language,
            "state": record.state,
            "version": record.version,  # JSON by the engine
            "updated_at": utcnow(),
        }
        conn = self.session.connection()
        if not conn.execute(
            _CONV_SAVE, {"k_channel": record.channel, "k_chat_id": record.chat_id, **values}
        ).rowcount:
            conn.execute(
                _statement(self.session, "conv_upsert"),
                {"channel": record.channel, "chat_id": record.chat_id, **values},
            )
        self.session.expire_all()

    def get(self, channel: str, chat_id: str) -> ConversationRecord | None:
        row = (
            self.session.connection().execute(_CONV_GET, {"k_channel": channel, "k_chat_id": chat_id}).first()
        )
        return _conversation(row) if row else None

    def prune(self, channel: str, before: datetime) -> int:
        """Not in the port: delete the conversations of `channel` untouched since `before`."""
        result = self.session.execute(
            delete(ConversationRow).where(
                ConversationRow.channel == channel, ConversationRow.updated_at < before
            )
        )
        return _rowcount(result)

    def idle_in(self, dialogue: str, before: datetime) -> list[ConversationRecord]:
        """The conversations waiting in `dialogue` (on one of its questions), untouched since
        `before`, oldest first (reminders)."""
        rows = self.session.scalars(
            select(ConversationRow)
            .where(
                ConversationRow.state["dialogue"].as_string() == dialogue, ConversationRow.updated_at < before
            )
            .order_by(ConversationRow.updated_at)
        )
        return [_record(ConversationRecord, r) for r in rows]

    def prune_nobodys(self, before: datetime) -> int:
        """Not in the port: delete the conversations of no user (a beneficiary's poll, an
        onboarding never finished) untouched since `before`; returns how many."""
        result = self.session.execute(
            delete(ConversationRow).where(
                ConversationRow.user_id.is_(None), ConversationRow.updated_at < before
            )
        )
        return _rowcount(result)


class SqlInboxRepo(_Repo):
    def record(self, channel: str, message_id: str) -> bool:
        """True if the id is new; False if it was already recorded (by this or another worker).
        On PostgreSQL a concurrent insert of the same id waits for the other transaction: False
        if it commits, True if it rolls back."""
        row = (
            self.session.connection()
            .execute(
                _statement(self.session, "inbox"),
                {"channel": channel, "message_id": str(message_id), "received_at": utcnow()},
            )
            .first()
        )
        return row is not None

    def prune(self, before: datetime) -> int:
        """Not in the port: forget ids received before `before`; returns how many."""
        result = self.session.execute(delete(InboxRow).where(InboxRow.received_at < before))
        return _rowcount(result)


class SqlOutboxRepo(_Repo):
    def add(self, item: OutboxItem) -> OutboxItem:
        return self.add_many([item])[0]

    def add_many(self, items: list[OutboxItem]) -> list[OutboxItem]:
        """Insert several items with one statement; returns them with their ids, in order."""
        if not items:
            return []
        # the payload goes to the JSON column as it is (the engine's serializer makes any
        # value JSON); no ORM row keeps it
        rows = [
            {
                "channel": i.channel,
                "chat_id": i.chat_id,
                "payload": i.payload,
                "created_at": i.created_at,
                "sent_at": i.sent_at,
                "attempts": i.attempts,
                "private": i.private,
            }
            for i in items
        ]
        result = self.session.connection().execute(_OUTBOX_ADD, rows)
        ids = [r[0] for r in result.all()]
        return [i.model_copy(update={"id": n}) for i, n in zip(items, ids)]

    def prune(self, before: datetime, private_before: datetime | None = None) -> int:
        """Not in the port: delete items created before `before` that were sent, or that will
        never be sent (their attempts are used up); and private items that will never be sent
        whatever their age, or that were sent before `private_before` (default: a day ago;
        WhatsApp's wait for their delivery status, see storage.delivery.AWAIT_STATUS). Returns
        how many."""
        if private_before is None:
            private_before = utcnow() - timedelta(days=1)
        unsendable = OutboxRow.attempts >= OUTBOX_MAX_ATTEMPTS
        done = or_(OutboxRow.sent_at.is_not(None), unsendable)
        private_done = and_(
            OutboxRow.private.is_(True),
            or_(unsendable, and_(OutboxRow.sent_at.is_not(None), OutboxRow.created_at < private_before)),
        )
        result = self.session.execute(
            delete(OutboxRow).where(or_(and_(OutboxRow.created_at < before, done), private_done))
        )
        return _rowcount(result)

    def mark_sent(self, item_id: int) -> None:
        """Marked sent; a private item (OutboxItem.private) is deleted instead."""
        self.session.execute(delete(OutboxRow).where(OutboxRow.id == item_id, OutboxRow.private.is_(True)))
        self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == item_id)
            .values(sent_at=utcnow(), attempts=OutboxRow.attempts + 1)
        )


# ---------------------------------------------------------------------------------------------
# Projects (the aggregate)


def _sync_children(
    session: Session,
    row_cls: type[Row],
    stored: dict[int, Row],
    records: list[Any],
    parent: dict[str, Any],
    exclude: set[str],
    json: Iterable[str] = (),
) -> list[Row]:
    """Update rows whose id is in `stored` (popping them), insert the others; keep order in
    `position`. Rows left in `stored` are the caller's to delete."""
    rows: list[Row] = []
    for position, rec in enumerate(records):
        values = _values(rec, row_cls, exclude=exclude | {"id"}, json=json)
        values.update(parent, position=position)
        row = stored.pop(rec.id, None) if rec.id is not None else None
        if row is None:
            row = row_cls(**values)
            session.add(row)
        else:
            _apply(row, values)
        rows.append(row)
    return rows


class SqlProjectRepo(_Repo):
    def add(self, project: Project) -> Project:
        """Insert the whole aggregate; ids in the given records are ignored and reassigned."""
        return self._write(None, project)

    def get(self, project_id: int) -> Project | None:
        row = self.session.get(ProjectRow, project_id, populate_existing=True)
        if row is None:
            return None
        publics = self.session.scalars(
            select(TargetPublicRow)
            .where(TargetPublicRow.project_id == project_id)
            .order_by(TargetPublicRow.position)
        ).all()
        stakeholders = self.session.scalars(
            select(StakeholderRow)
            .where(StakeholderRow.project_id == project_id)
            .order_by(StakeholderRow.position)
        ).all()
        effects = self.session.scalars(
            select(EffectRow).where(EffectRow.project_id == project_id).order_by(EffectRow.position)
        ).all()
        indicators = self.session.scalars(
            select(IndicatorRow)
            .join(EffectRow, IndicatorRow.effect_id == EffectRow.id)
            .where(EffectRow.project_id == project_id)
            .order_by(IndicatorRow.position)
        ).all()
        measurements = self.session.scalars(
            select(MeasurementRow)
            .join(IndicatorRow, MeasurementRow.indicator_id == IndicatorRow.id)
            .join(EffectRow, IndicatorRow.effect_id == EffectRow.id)
            .where(EffectRow.project_id == project_id)
            .order_by(MeasurementRow.position)
        ).all()
        return self._build(row, publics, stakeholders, effects, indicators, measurements)

    def save(self, project: Project) -> Project:
        """Replace the stored aggregate with `project`: children with a known id are updated,
        children without an id (or with an id this project does not hold) are inserted, stored
        children absent from `project` are deleted. An indicator may move to another effect of
        the project, a measurement to another indicator, keeping its id. Concurrent saves of one
        project are serialised; the last one wins."""
        if project.id is None:
            return self.add(project)
        # Lock the project row: two saves of one project (two officials of a commune, in two
        # chats) run one after the other instead of interleaving their child updates.
        row = self.session.scalars(
            select(ProjectRow)
            .where(ProjectRow.id == project.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if row is None:
            raise LookupError(f"project {project.id} does not exist")
        return self._write(row, project)

    def delete(self, project_id: int) -> bool:
        """Delete the project and (ON DELETE CASCADE) everything under it, polls included."""
        result = self.session.execute(
            delete(ProjectRow).where(ProjectRow.id == project_id).execution_options(synchronize_session=False)
        )
        self.session.expire_all()
        return bool(_rowcount(result))

    def list(self, commune_id: str | None = None) -> list[ProjectSummary]:
        n_effects = (
            select(func.count(EffectRow.id))
            .where(EffectRow.project_id == ProjectRow.id)
            .correlate(ProjectRow)
            .scalar_subquery()
        )
        n_indicators = (
            select(func.count(IndicatorRow.id))
            .join(EffectRow, IndicatorRow.effect_id == EffectRow.id)
            .where(EffectRow.project_id == ProjectRow.id)
            .correlate(ProjectRow)
            .scalar_subquery()
        )
        stmt = select(
            ProjectRow.id,
            ProjectRow.commune_id,
            ProjectRow.title,
            ProjectRow.phase,
            n_effects.label("n_effects"),
            n_indicators.label("n_indicators"),
        ).order_by(ProjectRow.id)
        if commune_id is not None:
            stmt = stmt.where(ProjectRow.commune_id == commune_id)
        return [ProjectSummary.model_validate(dict(r._mapping)) for r in self.session.execute(stmt)]

    # -- internals --------------------------------------------------------------------------

    _PROJECT_CHILDREN = {"publics", "stakeholders", "effects"}

    def _write(self, row: ProjectRow | None, project: Project) -> Project:
        session = self.session
        values = _values(project, ProjectRow, exclude={"id"} | self._PROJECT_CHILDREN, json={"activities"})
        if row is None:
            row = ProjectRow(**values)
            session.add(row)
            session.flush()
            old_publics: dict[int, Any] = {}
            old_stakeholders: dict[int, Any] = {}
            old_effects: dict[int, Any] = {}
            old_indicators: dict[int, Any] = {}
            old_measurements: dict[int, Any] = {}
        else:
            _apply(row, values)
            pid = row.id
            old_publics = {
                r.id: r
                for r in session.scalars(
                    select(TargetPublicRow)
                    .where(TargetPublicRow.project_id == pid)
                    .execution_options(populate_existing=True)
                )
            }
            old_stakeholders = {
                r.id: r
                for r in session.scalars(
                    select(StakeholderRow)
                    .where(StakeholderRow.project_id == pid)
                    .execution_options(populate_existing=True)
                )
            }
            old_effects = {
                r.id: r
                for r in session.scalars(
                    select(EffectRow)
                    .where(EffectRow.project_id == pid)
                    .execution_options(populate_existing=True)
                )
            }
            old_indicators = {
                r.id: r
                for r in session.scalars(
                    select(IndicatorRow)
                    .join(EffectRow, IndicatorRow.effect_id == EffectRow.id)
                    .where(EffectRow.project_id == pid)
                    .execution_options(populate_existing=True)
                )
            }
            old_measurements = {
                r.id: r
                for r in session.scalars(
                    select(MeasurementRow)
                    .join(IndicatorRow, MeasurementRow.indicator_id == IndicatorRow.id)
                    .join(EffectRow, IndicatorRow.effect_id == EffectRow.id)
                    .where(EffectRow.project_id == pid)
                    .execution_options(populate_existing=True)
                )
            }
        parent = {"project_id": row.id}
        publics = _sync_children(session, TargetPublicRow, old_publics, project.publics, parent, set())
        stakeholders = _sync_children(
            session, StakeholderRow, old_stakeholders, project.stakeholders, parent, set()
        )
        effects = _sync_children(session, EffectRow, old_effects, project.effects, parent, {"indicators"})
        session.flush()  # effect ids
        indicators: list[IndicatorRow] = []
        for effect, effect_row in zip(project.effects, effects):
            indicators += _sync_children(
                session,
                IndicatorRow,
                old_indicators,
                effect.indicators,
                {"effect_id": effect_row.id},
                {"measurements"},
                json={"disaggregation"},
            )
        session.flush()  # indicator ids (and moved indicators re-parented before deletes)
        measurements: list[MeasurementRow] = []
        flat_indicators = [ind for effect in project.effects for ind in effect.indicators]
        for indicator, indicator_row in zip(flat_indicators, indicators):
            measurements += _sync_children(
                session,
                MeasurementRow,
                old_measurements,
                indicator.measurements,
                {"indicator_id": indicator_row.id},
                set(),
                json={"disaggregated"},
            )
        session.flush()
        # Deletes, leaves first (what stayed in the pools was not in the new aggregate).
        for pool in (old_measurements, old_indicators, old_effects, old_publics, old_stakeholders):
            for leftover in pool.values():
                session.delete(leftover)
            session.flush()
        return self._build(row, publics, stakeholders, effects, indicators, measurements)

    @staticmethod
    def _build(
        row: ProjectRow,
        publics: Iterable[TargetPublicRow],
        stakeholders: Iterable[StakeholderRow],
        effects: Iterable[EffectRow],
        indicators: Iterable[IndicatorRow],
        measurements: Iterable[MeasurementRow],
    ) -> Project:
        by_indicator: dict[int, list[Measurement]] = {}
        for m in sorted(measurements, key=lambda m: m.position):
            by_indicator.setdefault(m.indicator_id, []).append(_record(Measurement, m))
        by_effect: dict[int, list[Indicator]] = {}
        for i in sorted(indicators, key=lambda i: i.position):
            by_effect.setdefault(i.effect_id, []).append(
                _record(Indicator, i, measurements=by_indicator.get(i.id, []))
            )
        return _record(
            Project,
            row,
            publics=[_record(TargetPublic, p) for p in sorted(publics, key=lambda p: p.position)],
            stakeholders=[_record(Stakeholder, s) for s in sorted(stakeholders, key=lambda s: s.position)],
            effects=[
                _record(Effect, e, indicators=by_effect.get(e.id, []))
                for e in sorted(effects, key=lambda e: e.position)
            ],
        )


# ---------------------------------------------------------------------------------------------
# Polls, respondents, responses, stories, lessons, audit


class SqlPollRepo(_Repo):
    def add(self, poll: Poll) -> Poll:
        row = PollRow(**_values(poll, PollRow, exclude={"id"}, json={"questions", "languages"}))
        self.session.add(row)
        self.session.flush()
        return _record(Poll, row)

    def get(self, poll_id: int) -> Poll | None:
        row = self.session.get(PollRow, poll_id, populate_existing=True)
        return _record(Poll, row) if row else None

    def by_token(self, token: str) -> Poll | None:
        row = self.session.scalars(select(PollRow).where(PollRow.token == token)).first()
        return _record(Poll, row) if row else None

    def save(self, poll: Poll) -> Poll:
        if poll.id is None:
            return self.add(poll)
        row = self.session.get(PollRow, poll.id, populate_existing=True)
        if row is None:
            raise LookupError(f"poll {poll.id} does not exist")
        _apply(row, _values(poll, PollRow, exclude={"id"}, json={"questions", "languages"}))
        self.session.flush()
        return _record(Poll, row)

    def list(self, project_id: int | None = None) -> list[Poll]:
        stmt = select(PollRow).order_by(PollRow.id)
        if project_id is not None:
            stmt = stmt.where(PollRow.project_id == project_id)
        return [_record(Poll, r) for r in self.session.scalars(stmt)]


class SqlRespondentRepo(_Repo):
    def get(self, respondent_id: int) -> Respondent | None:
        row = self.session.get(RespondentRow, respondent_id, populate_existing=True)
        return _record(Respondent, row) if row else None

    def find(self, poll_id: int, pseudonym: str, lock: bool = False) -> Respondent | None:
        """`lock`: SELECT … FOR UPDATE on PostgreSQL; on SQLite the unit of work already holds
        the database write lock (BEGIN IMMEDIATE)."""
        stmt = select(RespondentRow).where(
            RespondentRow.poll_id == poll_id, RespondentRow.pseudonym == pseudonym
        )
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        row = self.session.scalars(stmt).first()
        return _record(Respondent, row) if row else None

    def add(self, respondent: Respondent) -> Respondent:
        """Insert; if (poll, pseudonym) is already there (a concurrent start), the stored
        respondent is returned unchanged: the first one wins."""
        values = _values(respondent, RespondentRow, exclude={"id"}, json={"profile"})
        stmt = (
            _insert(self.session, RespondentRow)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["poll_id", "pseudonym"])
            .returning(RespondentRow.id)
        )
        new_id = self.session.execute(stmt).scalar()
        if new_id is None:
            found = self.find(respondent.poll_id, respondent.pseudonym)
            assert found is not None
            return found
        return respondent.model_copy(update={"id": new_id})

    def save(self, respondent: Respondent) -> Respondent:
        if respondent.id is None:
            return self.add(respondent)
        row = self.session.get(RespondentRow, respondent.id, populate_existing=True)
        if row is None:
            raise LookupError(f"respondent {respondent.id} does not exist")
        _apply(row, _values(respondent, RespondentRow, exclude={"id"}, json={"profile"}))
        self.session.flush()
        return _record(Respondent, row)

    def list(self, poll_id: int) -> list[Respondent]:
        rows = self.session.scalars(
            select(RespondentRow).where(RespondentRow.poll_id == poll_id).order_by(RespondentRow.id)
        )
        return [_record(Respondent, r) for r in rows]

    def count_refusals(self, poll_id: int) -> int:
        return int(
            self.session.scalar(
                select(func.count(PollRefusalRow.id)).where(PollRefusalRow.poll_id == poll_id)
            )
            or 0
        )

    def purge(self, consented_before: datetime) -> int:
        """Not in the port: erase respondents who consented before the date, with their
        responses and stories (ON DELETE CASCADE): the retention promised at consent.
        Refusal counts hold no personal data and stay. Returns how many were erased."""
        result = self.session.execute(
            delete(RespondentRow)
            .where(RespondentRow.consent_at < consented_before)
            .execution_options(synchronize_session=False)
        )
        self.session.expire_all()
        return _rowcount(result)

    def add_refusal(self, poll_id: int) -> None:
        """Count a refusal of consent: only the poll and the day are kept."""
        self.session.add(PollRefusalRow(poll_id=poll_id, at=day_of(utcnow())))
        self.session.flush()


class SqlResponseRepo(_Repo):
    def upsert(self, response: Response) -> Response:
        """One answer per (respondent, question): INSERT … ON CONFLICT DO UPDATE, so two
        concurrent answers never fail; the last one to commit wins."""
        stmt = _insert(self.session, ResponseRow).values(
            respondent_id=response.respondent_id,
            question=response.question,
            value=_jsonable(response.value),
            answered_at=response.answered_at,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["respondent_id", "question"],
            set_={"value": stmt.excluded.value, "answered_at": stmt.excluded.answered_at},
        ).returning(ResponseRow.id)
        new_id = self.session.execute(stmt).scalar_one()
        return response.model_copy(update={"id": new_id})

    def for_respondent(self, respondent_id: int) -> list[Response]:
        rows = self.session.scalars(
            select(ResponseRow)
            .where(ResponseRow.respondent_id == respondent_id)
            .order_by(ResponseRow.id)
            .execution_options(populate_existing=True)
        )
        return [_record(Response, r) for r in rows]

    def for_poll(self, poll_id: int) -> list[Response]:
        rows = self.session.scalars(
            select(ResponseRow)
            .join(RespondentRow, ResponseRow.respondent_id == RespondentRow.id)
            .where(RespondentRow.poll_id == poll_id)
            .order_by(ResponseRow.id)
            .execution_options(populate_existing=True)
        )
        return [_record(Response, r) for r in rows]


class SqlStoryRepo(_Repo):
    def add(self, story: Story) -> Story:
        row = StoryRow(**_values(story, StoryRow, exclude={"id"}, json={"tags"}))
        self.session.add(row)
        self.session.flush()
        return _record(Story, row)

    def save(self, story: Story) -> Story:
        if story.id is None:
            return self.add(story)
        row = self.session.get(StoryRow, story.id, populate_existing=True)
        if row is None:
            raise LookupError(f"story {story.id} does not exist")
        _apply(row, _values(story, StoryRow, exclude={"id"}, json={"tags"}))
        self.session.flush()
        return _record(Story, row)

    def list(self, project_id: int | None = None) -> list[Story]:
        stmt = select(StoryRow).order_by(StoryRow.id)
        if project_id is not None:
            stmt = stmt.where(StoryRow.project_id == project_id)
        return [_record(Story, r) for r in self.session.scalars(stmt)]


class SqlLessonRepo(_Repo):
    def get(self, user_id: int, lesson_id: str) -> LessonProgress | None:
        row = self.session.get(LessonProgressRow, (user_id, lesson_id), populate_existing=True)
        return _record(LessonProgress, row) if row else None

    def save(self, progress: LessonProgress) -> LessonProgress:
        values = _values(progress, LessonProgressRow)
        stmt = _insert(self.session, LessonProgressRow).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_id", "lesson_id"],
            set_={k: getattr(stmt.excluded, k) for k in values if k not in ("user_id", "lesson_id")},
        )
        self.session.execute(stmt)
        return progress.model_copy()

    def list(self, user_id: int) -> list[LessonProgress]:
        """All lesson progress of a user."""
        rows = self.session.scalars(
            select(LessonProgressRow)
            .where(LessonProgressRow.user_id == user_id)
            .order_by(LessonProgressRow.lesson_id)
            .execution_options(populate_existing=True)
        )
        return [_record(LessonProgress, r) for r in rows]

    def by_commune(self, commune_id: str | None = None) -> builtins.list[tuple[str, LessonProgress]]:
        stmt = (
            select(UserRow.commune_id, LessonProgressRow)
            .join(UserRow, UserRow.id == LessonProgressRow.user_id)
            .where(UserRow.commune_id.is_not(None))
            .order_by(UserRow.commune_id, LessonProgressRow.user_id, LessonProgressRow.lesson_id)
            .execution_options(populate_existing=True)
        )
        if commune_id is not None:
            stmt = stmt.where(UserRow.commune_id == commune_id)
        return [(cid or "", _record(LessonProgress, row)) for cid, row in self.session.execute(stmt)]


class SqlAuditRepo(_Repo):
    def add(self, entry: AuditEntry) -> None:
        self.session.add(AuditRow(**_values(entry, AuditRow, exclude={"id"}, json={"detail"})))
        self.session.flush()

    def list(self, limit: int = 100) -> list[AuditEntry]:
        """Newest first."""
        rows = self.session.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit))
        return [_record(AuditEntry, r) for r in rows]


class SqlWebRepo(_Repo):
    """The dashboard's links, sessions, language choices and download jobs."""

    def add_token(self, token: WebToken) -> WebToken:
        row = WebTokenRow(**_values(token, WebTokenRow, exclude={"id"}))
        self.session.add(row)
        self.session.flush()
        return _record(WebToken, row)

    def token(self, kind: str, token_hash: str) -> WebToken | None:
        row = self.session.scalars(
            select(WebTokenRow)
            .where(WebTokenRow.token_hash == token_hash, WebTokenRow.kind == kind)
            .execution_options(populate_existing=True)
        ).first()
        return _record(WebToken, row) if row else None

    def use_link(self, token_hash: str, at: datetime) -> bool:
        result = self.session.execute(
            update(WebTokenRow)
            .where(
                WebTokenRow.token_hash == token_hash,
                WebTokenRow.kind == "link",
                WebTokenRow.used_at.is_(None),
                WebTokenRow.expires_at > at,
            )
            .values(used_at=at)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    def drop_token(self, kind: str, token_hash: str) -> None:
        self.session.execute(
            delete(WebTokenRow).where(WebTokenRow.token_hash == token_hash, WebTokenRow.kind == kind)
        )

    def language(self, user_id: int) -> str | None:
        row = self.session.get(WebPreferenceRow, user_id, populate_existing=True)
        return row.language if row else None

    def set_language(self, user_id: int, language: str) -> None:
        stmt = _insert(self.session, WebPreferenceRow).values(user_id=user_id, language=language)
        self.session.execute(
            stmt.on_conflict_do_update(index_elements=["user_id"], set_={"language": stmt.excluded.language})
        )

    def add_job(self, job: WebJob) -> WebJob:
        row = WebJobRow(**_values(job, WebJobRow, exclude={"id"}, json={"params"}))
        self.session.add(row)
        self.session.flush()
        return _record(WebJob, row)

    def job(self, public_id: str) -> WebJob | None:
        row = self.session.scalars(
            select(WebJobRow)
            .where(WebJobRow.public_id == public_id)
            .execution_options(populate_existing=True)
        ).first()
        return _record(WebJob, row) if row else None

    def save_job(self, job: WebJob) -> WebJob:
        if job.id is None:
            return self.add_job(job)
        row = self.session.get(WebJobRow, job.id, populate_existing=True)
        if row is None:
            raise LookupError(f"web job {job.id} does not exist")
        _apply(row, _values(job, WebJobRow, exclude={"id"}, json={"params"}))
        self.session.flush()
        return _record(WebJob, row)

    def prune(self, before: datetime) -> int:
        tokens = self.session.execute(delete(WebTokenRow).where(WebTokenRow.expires_at < before))
        jobs = self.session.execute(delete(WebJobRow).where(WebJobRow.finished_at < before))
        return _rowcount(tokens) + _rowcount(jobs)


class SqlDeadLetterRepo(_Repo):
    """Not in the ports: the delivery runtime writes dead letters (storage.delivery); this only
    forgets them."""

    def prune(self, before: datetime) -> int:
        """Delete dead letters kept since before `before`; returns how many."""
        result = self.session.execute(delete(DeadLetterRow).where(DeadLetterRow.created_at < before))
        return _rowcount(result)


class SqlWhatsAppMessageRepo(_Repo):
    """Not in the ports: the WhatsApp channel writes its messages' delivery statuses
    (storage.whatsapp); this only forgets them."""

    def prune(self, before: datetime) -> int:
        """Delete the statuses of messages last updated before `before`; returns how many."""
        result = self.session.execute(
            delete(WhatsAppMessageRow).where(WhatsAppMessageRow.updated_at < before)
        )
        return _rowcount(result)
