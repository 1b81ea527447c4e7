"""Ports: what the application needs from storage, as Protocols (implemented in storage/).

One UnitOfWork per incoming message: the dispatcher opens it, handlers use its repositories,
the dispatcher commits once. Repositories never commit.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence

from pydantic import BaseModel, Field

from domain.commune import Commune
from domain.knowledge import KnowledgeBase
from domain.messages import Msg
from domain.polls import PollResults, QuestionBank
from domain.records import (
    AuditEntry,
    Identity,
    Invite,
    LessonProgress,
    Poll,
    Project,
    Respondent,
    Response,
    Story,
    User,
    WebJob,
    WebToken,
    utcnow,
)

if TYPE_CHECKING:
    from domain.dialogue import Engine, Registry


class ConversationRecord(BaseModel):
    """The persisted conversation of one chat on one channel."""

    channel: str
    chat_id: str
    user_id: int | None = None
    language: str | None = None
    state: dict[str, Any] = Field(default_factory=dict)  # JSON, see domain.dialogue.DialogueState
    version: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class ProjectSummary(BaseModel):
    id: int
    commune_id: str
    title: str
    phase: str
    n_effects: int = 0
    n_indicators: int = 0


class OutboxItem(BaseModel):
    id: int | None = None
    channel: str
    chat_id: str
    payload: dict[str, Any]  # a rendered, channel-neutral message (see domain.messages.Rendered)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    attempts: int = 0
    # a reply of an anonymous conversation (a beneficiary's poll): deleted once sent or given
    # up, so that no row joins the chat to the moment of its answers
    private: bool = False


class UserRepo(Protocol):
    def get(self, user_id: int) -> User | None: ...
    def by_identity(self, channel: str, external_id: str) -> User | None: ...
    def add(self, user: User, identity: Identity | None = None) -> User: ...
    def save(self, user: User) -> User: ...
    def link_identity(self, identity: Identity) -> None: ...
    def identities(self, user_id: int) -> list[Identity]: ...
    def list(self, commune_id: str | None = None) -> list[User]: ...


class InviteRepo(Protocol):
    def add(self, invite: Invite) -> Invite: ...
    def by_code(self, code: str) -> Invite | None: ...
    def save(self, invite: Invite) -> Invite: ...


class ConversationRepo(Protocol):
    def lock(self, channel: str, chat_id: str) -> ConversationRecord:
        """Create the row if needed, lock it for this unit of work (SELECT … FOR UPDATE on
        PostgreSQL; a write transaction on SQLite) and return it as stored."""
        ...

    def save(self, record: ConversationRecord) -> None: ...
    def get(self, channel: str, chat_id: str) -> ConversationRecord | None: ...
    def idle_in(self, dialogue: str, before: datetime) -> list[ConversationRecord]:
        """The conversations waiting in `dialogue` (on one of its questions), untouched since
        `before`, oldest first (reminders)."""
        ...


class InboxRepo(Protocol):
    def record(self, channel: str, message_id: str) -> bool:
        """Record an external message id. True if new; False if it was already processed."""
        ...


class OutboxRepo(Protocol):
    def add(self, item: OutboxItem) -> OutboxItem: ...

    def add_many(self, items: list[OutboxItem]) -> list[OutboxItem]:
        """Add several items at once; returns them with their ids, in the same order."""
        ...

    def mark_sent(self, item_id: int) -> None: ...


class ProjectRepo(Protocol):
    def add(self, project: Project) -> Project: ...
    def get(self, project_id: int) -> Project | None:
        """The whole aggregate: publics, stakeholders, effects with indicators and measurements."""
        ...

    def save(self, project: Project) -> Project:
        """Replace the stored aggregate with this one (children added, changed, removed); ids set."""
        ...

    def delete(self, project_id: int) -> bool: ...
    def list(self, commune_id: str | None = None) -> list[ProjectSummary]: ...


class PollRepo(Protocol):
    def add(self, poll: Poll) -> Poll: ...
    def get(self, poll_id: int) -> Poll | None: ...
    def by_token(self, token: str) -> Poll | None: ...
    def save(self, poll: Poll) -> Poll: ...
    def list(self, project_id: int | None = None) -> list[Poll]: ...


class RespondentRepo(Protocol):
    def get(self, respondent_id: int) -> Respondent | None: ...
    def find(self, poll_id: int, pseudonym: str, lock: bool = False) -> Respondent | None:
        """`lock`: the row stays locked until the unit of work ends (SELECT … FOR UPDATE)."""

    def add(self, respondent: Respondent) -> Respondent: ...
    def save(self, respondent: Respondent) -> Respondent: ...
    def list(self, poll_id: int) -> list[Respondent]: ...
    def count_refusals(self, poll_id: int) -> int: ...
    def add_refusal(self, poll_id: int) -> None: ...


class ResponseRepo(Protocol):
    def upsert(self, response: Response) -> Response:
        """One answer per (respondent, question): answering again replaces it."""
        ...

    def for_respondent(self, respondent_id: int) -> list[Response]: ...
    def for_poll(self, poll_id: int) -> list[Response]: ...


class StoryRepo(Protocol):
    def add(self, story: Story) -> Story: ...
    def save(self, story: Story) -> Story: ...
    def list(self, project_id: int | None = None) -> list[Story]: ...


class LessonRepo(Protocol):
    def get(self, user_id: int, lesson_id: str) -> LessonProgress | None: ...
    def save(self, progress: LessonProgress) -> LessonProgress: ...
    def list(self, user_id: int) -> list[LessonProgress]: ...

    def by_commune(self, commune_id: str | None = None) -> builtins.list[tuple[str, LessonProgress]]:
        """Progress of the users of one commune (all communes when None), with each user's
        commune; users without a commune (coordinators) are left out."""
        ...


class AuditRepo(Protocol):
    def add(self, entry: AuditEntry) -> None: ...
    def list(self, limit: int = 100) -> list[AuditEntry]: ...


class WebRepo(Protocol):
    """The dashboard's sign-in links, sessions, language choices and download jobs."""

    def add_token(self, token: WebToken) -> WebToken: ...

    def token(self, kind: str, token_hash: str) -> WebToken | None: ...

    def use_link(self, token_hash: str, at: datetime) -> bool:
        """Mark a link used, if it is unused and not expired at `at`: True for the one caller
        that used it (atomic: two workers cannot both use it)."""
        ...

    def drop_token(self, kind: str, token_hash: str) -> None: ...
    def language(self, user_id: int) -> str | None: ...
    def set_language(self, user_id: int, language: str) -> None: ...
    def add_job(self, job: WebJob) -> WebJob: ...
    def job(self, public_id: str) -> WebJob | None: ...
    def save_job(self, job: WebJob) -> WebJob: ...

    def prune(self, before: datetime) -> int:
        """Forget tokens expired before `before` and jobs finished before it; returns how many."""
        ...


class UnitOfWork(Protocol):
    # read-only members: an implementation may hold its own repository classes
    @property
    def users(self) -> UserRepo: ...
    @property
    def invites(self) -> InviteRepo: ...
    @property
    def conversations(self) -> ConversationRepo: ...
    @property
    def inbox(self) -> InboxRepo: ...
    @property
    def outbox(self) -> OutboxRepo: ...
    @property
    def projects(self) -> ProjectRepo: ...
    @property
    def polls(self) -> PollRepo: ...
    @property
    def respondents(self) -> RespondentRepo: ...
    @property
    def responses(self) -> ResponseRepo: ...
    @property
    def stories(self) -> StoryRepo: ...
    @property
    def lessons(self) -> LessonRepo: ...
    @property
    def audit(self) -> AuditRepo: ...
    @property
    def web(self) -> WebRepo: ...

    def __enter__(self) -> "UnitOfWork": ...
    def __exit__(self, *exc: object) -> None:
        """Roll back anything not committed, release the connection."""
        ...

    def commit(self) -> None: ...
    def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


# -- what handlers may use besides the unit of work (ctx.services) -----------------------------
# The composition root (bot.dispatcher.Services) provides them; the members are read-only here so
# that an implementation may hold narrower types.


class TextCatalog(Protocol):
    def render_msg(self, m: Msg, lang: str) -> str: ...


class MenuChoice(Protocol):
    """A main-menu entry: its button data and the dialogue it starts."""

    @property
    def data(self) -> str: ...
    @property
    def dialogue(self) -> str: ...


class HandlerIndex(Protocol):
    """The registered dialogues and the main menu."""

    @property
    def registry(self) -> Registry: ...
    def menu_for(self, role: str | None) -> Sequence[MenuChoice]: ...


class ExporterPort(Protocol):
    """Makes the export files (bot.services.exports.Exporter)."""

    def formats(self, what: str, coordinator: bool = True) -> tuple[str, ...]: ...
    def semesters(self, uow: UnitOfWork, programme: bool, commune_id: str | None) -> list[str]: ...
    def run(self, uow: UnitOfWork, job: dict[str, Any], path: Path | None = None) -> Path: ...
    def refusal(self, uow: UnitOfWork, viewer: User | None, job: dict[str, Any]) -> str | None:
        """Why `viewer` may not have this export (a catalog key), or None."""
        ...


# (poll, link, commune name, title) -> the invitation's files (QR code PNG, poster PDF)
PollInvitationMaker = Callable[[Poll, str, str, str], Sequence[Path]]
# (poll, results, language, render) -> a chart (PNG)
PollChartMaker = Callable[[Poll, PollResults, str, Callable[[Msg], str]], Path]


class AppServices(Protocol):
    @property
    def engine(self) -> Engine: ...
    @property
    def handlers(self) -> HandlerIndex: ...
    @property
    def catalog(self) -> TextCatalog: ...
    @property
    def communes(self) -> Sequence[Commune]: ...
    @property
    def settings(self) -> object:
        """bot.settings.Settings, or None: handlers read it with defaults (getattr)."""
        ...

    @property
    def knowledge(self) -> KnowledgeBase | None: ...

    @property
    def exporter(self) -> ExporterPort | None: ...
    @property
    def poll_bank(self) -> QuestionBank | None: ...
    @property
    def pseudonym_key(self) -> bytes | None: ...
    @property
    def poll_invitation(self) -> PollInvitationMaker | None: ...
    @property
    def poll_chart(self) -> PollChartMaker | None: ...
    def commune_name(self, commune_id: str | None, lang: str) -> str: ...


@dataclass(frozen=True)
class BareServices:
    """The services of a context made without them (an engine test): nothing is loaded, and
    asking for the engine, the handlers or the catalog is a bug."""

    communes: tuple[Commune, ...] = ()
    settings: object = None
    knowledge: KnowledgeBase | None = None
    exporter: ExporterPort | None = None
    poll_bank: QuestionBank | None = None
    pseudonym_key: bytes | None = None
    poll_invitation: PollInvitationMaker | None = None
    poll_chart: PollChartMaker | None = None

    @property
    def engine(self) -> Engine:
        raise LookupError("this context has no dialogue engine")

    @property
    def handlers(self) -> HandlerIndex:
        raise LookupError("this context has no handlers")

    @property
    def catalog(self) -> TextCatalog:
        raise LookupError("this context has no catalog")

    def commune_name(self, commune_id: str | None, lang: str) -> str:
        return commune_id or ""
