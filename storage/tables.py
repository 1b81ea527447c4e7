"""SQLAlchemy 2 tables for the first-cut data of DESIGN §5.

The ORM classes here are persistence rows only: repositories (storage/repositories.py) turn them
into the pydantic records of domain/records.py and back. Children of a project carry a `position`
so that the order of the lists in the aggregate survives a round trip.

Portable types only: JSON (JSONB on PostgreSQL), timestamps stored in UTC and read back aware.
Any change here needs an Alembic revision in storage/migrations/versions/ (a test compares the
migrated schema with this metadata on SQLite and PostgreSQL).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Deterministic constraint names, so migrations can refer to them on every dialect.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every dialect.

    PostgreSQL stores `timestamp with time zone`; SQLite has no time zones, so the value is
    converted to UTC before it is written and marked UTC when read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Athar stores timezone-aware UTC only")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


Json = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UtcDateTime(),
        date: Date(),
        dict[str, Any]: Json,
        list[Any]: Json,
    }


def _cascade(target: str) -> Any:
    return ForeignKey(target, ondelete="CASCADE")


def _set_null(target: str) -> Any:
    return ForeignKey(target, ondelete="SET NULL")


# ---------------------------------------------------------------------------------------------
# Users, identities, invites


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    display_name: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str | None] = mapped_column(String(20))
    commune_id: Mapped[str | None] = mapped_column(String(64), index=True)
    language: Mapped[str | None] = mapped_column(String(16))
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class IdentityRow(Base):
    """A channel identity of a user: one (channel, external_id) belongs to one user."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int] = mapped_column(_cascade("users.id"), index=True)


class InviteRow(Base):
    __tablename__ = "invites"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    commune_id: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(_set_null("users.id"))


# ---------------------------------------------------------------------------------------------
# Conversations, inbox (processed message ids), outbox


class ConversationRow(Base):
    __tablename__ = "conversations"
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(_set_null("users.id"), index=True)
    language: Mapped[str | None] = mapped_column(String(16))
    state: Mapped[dict[str, Any]]
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]


class InboxRow(Base):
    """External message ids already processed (a second delivery is dropped). Pruned by age."""

    __tablename__ = "inbox"
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # a reply of an anonymous conversation (a beneficiary's poll): deleted, not marked, once
    # sent or given up, so that no row joins the chat to the moment of its answers
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class InboundRow(Base):
    """A channel update recorded before it is acknowledged (webhook 200, getUpdates offset) and
    deleted once the dispatcher has committed it: a crash in between never loses it."""

    __tablename__ = "inbound_updates"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(200))
    chat_key: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class WhatsAppChatRow(Base):
    """A WhatsApp chat's delivery facts: when the user last wrote (the 24-hour window), since
    when replies wait for them to write again (a template was sent), whether they can be
    reached at all (beneficiaries are not users, so this cannot live on `users`)."""

    __tablename__ = "whatsapp_chats"
    chat_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_inbound_at: Mapped[datetime | None]
    waiting_since: Mapped[datetime | None]
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)


class WhatsAppMessageRow(Base):
    """A message sent on WhatsApp (its wamid) and the last delivery status WhatsApp reported:
    sent, delivered, read, or failed with its error code. Pruned by age."""

    __tablename__ = "whatsapp_messages"
    wamid: Mapped[str] = mapped_column(String(200), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(200))
    outbox_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    error_code: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(index=True)


class DeadLetterRow(Base):
    """An inbound payload that could never be stored or handled, kept for the operators with the
    error (ASCII text: whatever the payload held, every database can keep it). Pruned by age."""

    __tablename__ = "dead_letters"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str | None] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(20))  # record, read or handle
    payload: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(index=True)


# ---------------------------------------------------------------------------------------------
# The project aggregate


class ProjectRow(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(Text)
    problem: Mapped[str | None] = mapped_column(Text)
    activities: Mapped[list[Any]]
    phase: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    period_text: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(_set_null("users.id"))
    created_at: Mapped[datetime]


class TargetPublicRow(Base):
    __tablename__ = "target_publics"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(_cascade("projects.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    expected_number: Mapped[int | None] = mapped_column(Integer)


class StakeholderRow(Base):
    __tablename__ = "stakeholders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(_cascade("projects.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    group: Mapped[str] = mapped_column("party_group", Text)
    kind: Mapped[str | None] = mapped_column(String(64))
    how_affected: Mapped[str | None] = mapped_column(Text)
    polarity: Mapped[str | None] = mapped_column(String(16))


class EffectRow(Base):
    __tablename__ = "effects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(_cascade("projects.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    statement: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(16))
    expected: Mapped[bool] = mapped_column(Boolean)
    polarity: Mapped[str] = mapped_column(String(16))
    domain: Mapped[str | None] = mapped_column(String(100))
    public: Mapped[str | None] = mapped_column(Text)
    party: Mapped[str | None] = mapped_column(Text)
    horizon: Mapped[str | None] = mapped_column(Text)
    baseline_text: Mapped[str | None] = mapped_column(Text)


class IndicatorRow(Base):
    __tablename__ = "indicators"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    effect_id: Mapped[int] = mapped_column(_cascade("effects.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(Text)
    definition: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(Text)
    calculation: Mapped[str | None] = mapped_column(Text)
    baseline_value: Mapped[float | None] = mapped_column(Float)
    baseline_date: Mapped[date | None]
    baseline_source: Mapped[str | None] = mapped_column(Text)
    baseline_plan: Mapped[str | None] = mapped_column(Text)
    target_value: Mapped[float | None] = mapped_column(Float)
    target_date: Mapped[date | None]
    source: Mapped[str | None] = mapped_column(Text)
    frequency: Mapped[str | None] = mapped_column(Text)
    collector: Mapped[str | None] = mapped_column(Text)
    disaggregation: Mapped[list[Any]]
    library_id: Mapped[str | None] = mapped_column(String(100))
    poll_question: Mapped[str | None] = mapped_column(String(100))


class MeasurementRow(Base):
    __tablename__ = "measurements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(_cascade("indicators.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(100))
    value: Mapped[float] = mapped_column(Float)
    disaggregated: Mapped[dict[str, Any]]
    source: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime]
    baseline: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


# ---------------------------------------------------------------------------------------------
# Polls, respondents, responses, refusals, stories


class PollRow(Base):
    __tablename__ = "polls"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(_cascade("projects.id"), index=True)
    wave: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(Text)
    questions: Mapped[list[Any]]
    token: Mapped[str] = mapped_column(String(64), unique=True)
    is_open: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    languages: Mapped[list[Any] | None]  # None or []: the four variants


class RespondentRow(Base):
    __tablename__ = "respondents"
    __table_args__ = (UniqueConstraint("poll_id", "pseudonym"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(_cascade("polls.id"))
    pseudonym: Mapped[str] = mapped_column(String(128))
    consent: Mapped[bool] = mapped_column(Boolean)
    consent_at: Mapped[datetime]
    language: Mapped[str | None] = mapped_column(String(16))
    profile: Mapped[dict[str, Any]]
    completed_at: Mapped[datetime | None]


class ResponseRow(Base):
    __tablename__ = "responses"
    __table_args__ = (UniqueConstraint("respondent_id", "question"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    respondent_id: Mapped[int] = mapped_column(_cascade("respondents.id"))
    question: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(Json, nullable=True)
    answered_at: Mapped[datetime]


class PollRefusalRow(Base):
    """A refusal of consent: counted, nothing else is kept (no identity, no pseudonym)."""

    __tablename__ = "poll_refusals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(_cascade("polls.id"), index=True)
    at: Mapped[datetime]


class StoryRow(Base):
    __tablename__ = "stories"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int | None] = mapped_column(_cascade("projects.id"), index=True)
    respondent_id: Mapped[int | None] = mapped_column(_cascade("respondents.id"), index=True)
    text: Mapped[str | None] = mapped_column(Text)
    media_ref: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[Any]]
    polarity: Mapped[str | None] = mapped_column(String(16))
    significant: Mapped[bool] = mapped_column(Boolean)
    significance_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


# ---------------------------------------------------------------------------------------------
# Lessons, audit


class LessonProgressRow(Base):
    __tablename__ = "lesson_progress"
    user_id: Mapped[int] = mapped_column(_cascade("users.id"), primary_key=True)
    lesson_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    step: Mapped[int] = mapped_column(Integer)
    completed: Mapped[bool] = mapped_column(Boolean)
    project_id: Mapped[int | None] = mapped_column(_set_null("projects.id"))
    signals: Mapped[int] = mapped_column(Integer, server_default="0")
    offered_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    tries: Mapped[int] = mapped_column(Integer, server_default="0")
    first_try: Mapped[bool | None] = mapped_column(Boolean)


class AuditRow(Base):
    """Who did what. Kept when the user is deleted (user_id becomes NULL)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(_set_null("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]]


# ---------------------------------------------------------------------------------------------
# The dashboard: sign-in links and sessions (hashed), language choice, download jobs


class WebTokenRow(Base):
    __tablename__ = "web_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(_cascade("users.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


class WebPreferenceRow(Base):
    __tablename__ = "web_preferences"
    user_id: Mapped[int] = mapped_column(_cascade("users.id"), primary_key=True)
    language: Mapped[str] = mapped_column(String(16))


class WebJobRow(Base):
    __tablename__ = "web_jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(_cascade("users.id"), index=True)
    params: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16))
    path: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None] = mapped_column(index=True)


metadata = Base.metadata
