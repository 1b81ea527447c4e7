"""Domain records (DESIGN §5): what Athar remembers. Pure pydantic, no persistence concerns.

Ids are integers assigned by storage (None until saved). Timestamps are timezone-aware UTC.
Enumerations are plain string literals so they serialise to JSON and to the database as-is.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.privacy import day_of, mask_identifiers

Role = Literal["official", "staff", "coordinator", "admin"]
ROLES: tuple[str, ...] = ("official", "staff", "coordinator", "admin")
Channel = Literal["console", "telegram", "whatsapp"]
PublicCategory = Literal["youth", "women", "disability", "migrants", "children", "elderly", "other"]
EffectLevel = Literal["output", "outcome", "impact"]
Polarity = Literal["positive", "negative"]
Wave = Literal["baseline", "follow-up"]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Record(BaseModel):
    model_config = ConfigDict(validate_assignment=True, extra="forbid")


class User(Record):
    id: int | None = None
    display_name: str | None = None
    role: Role | None = None
    commune_id: str | None = None
    language: str | None = None
    unreachable: bool = False
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def registered(self) -> bool:
        return self.role is not None

    def can_see_commune(self, commune_id: str | None) -> bool:
        if self.role in ("coordinator", "admin"):
            return True
        return self.role in ("official", "staff") and commune_id is not None and commune_id == self.commune_id


class Identity(Record):
    """A channel identity (Telegram user id, WhatsApp phone, console user name) of a User."""

    channel: Channel
    external_id: str
    user_id: int


class Invite(Record):
    id: int | None = None
    code: str
    commune_id: str | None
    role: Role
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    used_at: datetime | None = None
    used_by: int | None = None


class TargetPublic(Record):
    id: int | None = None
    category: PublicCategory
    detail: str | None = None
    expected_number: int | None = Field(default=None, ge=0)


class Stakeholder(Record):
    id: int | None = None
    group: str  # party id from the knowledge base (families, non_selected_peers, ...) or free text
    kind: str | None = None  # direct / indirect / intermediary / institution / could_lose
    how_affected: str | None = None
    polarity: Polarity | None = None


class Measurement(Record):
    id: int | None = None
    period: str  # "2026-S1", "2026-11", a date...
    value: float
    disaggregated: dict[str, Any] = Field(default_factory=dict)
    source: str | None = None
    recorded_at: datetime = Field(default_factory=utcnow)
    baseline: bool = False  # the starting value (before the project), not a follow-up


class Indicator(Record):
    id: int | None = None
    label: str
    definition: str | None = None
    unit: str | None = None
    calculation: str | None = None
    baseline_value: float | None = None
    baseline_date: date | None = None
    baseline_source: str | None = None
    baseline_plan: str | None = None
    target_value: float | None = None
    target_date: date | None = None
    source: str | None = None
    frequency: str | None = None
    collector: str | None = None
    disaggregation: list[str] = Field(default_factory=list)
    library_id: str | None = None
    poll_question: str | None = None
    measurements: list[Measurement] = Field(default_factory=list)


class Effect(Record):
    id: int | None = None
    statement: str
    level: EffectLevel = "outcome"
    expected: bool = True
    polarity: Polarity = "positive"
    domain: str | None = None
    public: str | None = None
    party: str | None = None  # stakeholder group it concerns (unexpected effects)
    horizon: str | None = None
    baseline_text: str | None = None
    indicators: list[Indicator] = Field(default_factory=list)


class Project(Record):
    id: int | None = None
    commune_id: str
    title: str
    problem: str | None = None
    activities: list[str] = Field(default_factory=list)
    phase: str = "design"
    period_start: date | None = None
    period_end: date | None = None
    period_text: str | None = None
    created_by: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    publics: list[TargetPublic] = Field(default_factory=list)
    stakeholders: list[Stakeholder] = Field(default_factory=list)
    effects: list[Effect] = Field(default_factory=list)


class Poll(Record):
    id: int | None = None
    project_id: int
    wave: Wave = "baseline"
    title: str | None = None
    questions: list[dict[str, Any]] = Field(default_factory=list)
    token: str
    is_open: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    languages: list[str] = Field(default_factory=list)  # the languages it is offered in; all
    #                                                      four when empty

    @field_validator("languages", mode="before")
    @classmethod
    def _no_languages(cls, v: Any) -> Any:
        return [] if v is None else v


class Respondent(Record):
    id: int | None = None
    poll_id: int
    pseudonym: str  # keyed hash of channel identity + project: never a name or a phone number
    consent: bool
    consent_at: datetime = Field(default_factory=utcnow, validate_default=True)
    language: str | None = None
    profile: dict[str, Any] = Field(default_factory=dict)  # sex, age band, disability, public
    completed_at: datetime | None = None

    @field_validator("consent_at", "completed_at")
    @classmethod
    def _day(cls, v: datetime | None) -> datetime | None:
        """Only the day: a finer time would join the respondent to the chat's messages."""
        return None if v is None else day_of(v)


class Response(Record):
    id: int | None = None
    respondent_id: int
    question: str
    value: Any = None
    answered_at: datetime = Field(default_factory=utcnow, validate_default=True)

    @field_validator("answered_at")
    @classmethod
    def _day(cls, v: datetime) -> datetime:
        """Only the day (see Respondent)."""
        return day_of(v)


class Story(Record):
    id: int | None = None
    project_id: int | None = None
    respondent_id: int | None = None
    text: str | None = None
    media_ref: str | None = None
    tags: list[str] = Field(default_factory=list)
    polarity: Polarity | None = None
    significant: bool = False
    significance_reason: str | None = None
    created_at: datetime = Field(default_factory=utcnow, validate_default=True)

    @field_validator("text")
    @classmethod
    def _masked(cls, v: str | None) -> str | None:
        """Phone numbers, e-mail addresses, id numbers and @handles never stored (the consent
        text promises it; names cannot be recognised, so the respondent is asked not to write
        any)."""
        return mask_identifiers(v)

    @field_validator("created_at")
    @classmethod
    def _day(cls, v: datetime) -> datetime:
        """Only the day (see Respondent)."""
        return day_of(v)


class LessonProgress(Record):
    """Where one user stands in one learning module (knowledge/lessons.yml)."""

    user_id: int
    lesson_id: str
    step: int = 0  # where to resume: a card's index, then the practice, then the document
    completed: bool = False
    project_id: int | None = None  # the project the module was run on
    signals: int = Field(default=0, ge=0)  # times the need was seen (e.g. activities as effects)
    offered_at: datetime | None = None  # offered at the moment of need (once)
    started_at: datetime | None = None
    completed_at: datetime | None = None  # the first completion
    tries: int = Field(default=0, ge=0)  # practice answers given, all runs together
    first_try: bool | None = None  # the very first practice answer was right (None: none yet)

    @property
    def started(self) -> bool:
        return self.started_at is not None or self.completed


class AuditEntry(Record):
    id: int | None = None
    at: datetime = Field(default_factory=utcnow)
    user_id: int | None = None
    action: str
    target: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class WebToken(Record):
    """A dashboard sign-in link (sent by the bot on /dashboard: short-lived, used once) or a
    dashboard session (the browser's cookie). Only the SHA-256 of its secret is stored."""

    id: int | None = None
    kind: Literal["link", "session"]
    token_hash: str = Field(min_length=64, max_length=64)
    user_id: int
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None  # a link: when it was used


class WebJob(Record):
    """A download asked for on the dashboard: an export made in the background, its file kept
    until fetched (or pruned). `public_id` names it in URLs; only its owner may see it."""

    id: int | None = None
    public_id: str = Field(min_length=16, max_length=64)
    user_id: int
    params: dict[str, Any] = Field(default_factory=dict)  # bot.services.exports.ExportJob fields
    status: Literal["queued", "running", "done", "failed"] = "queued"
    path: str | None = None  # the file, once done
    error: str | None = None  # a catalog key (export.no_poll, export.too_few...), once failed
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
