"""The unit of work: one Session, one transaction per incoming message, committed once."""

from __future__ import annotations

from typing import Callable

from sqlalchemy.orm import Session

from storage.repositories import (
    SqlAuditRepo,
    SqlConversationRepo,
    SqlDeadLetterRepo,
    SqlInboxRepo,
    SqlInviteRepo,
    SqlLessonRepo,
    SqlOutboxRepo,
    SqlPollRepo,
    SqlProjectRepo,
    SqlRespondentRepo,
    SqlResponseRepo,
    SqlStoryRepo,
    SqlUserRepo,
    SqlWebRepo,
    SqlWhatsAppMessageRepo,
)


class SqlUnitOfWork:
    """Implements domain.ports.UnitOfWork.

    Use it as a context manager. `commit()` is the only place anything is committed; leaving the
    `with` block rolls back whatever was not committed and returns the connection to the pool
    (which also releases the conversation lock).
    """

    def __init__(self, session_factory: Callable[[], Session]):
        self._session_factory = session_factory
        self.session: Session | None = None

    def __enter__(self) -> "SqlUnitOfWork":
        if self.session is not None:
            raise RuntimeError("this unit of work is already open")
        session = self._session_factory()
        self.session = session
        self.users = SqlUserRepo(session)
        self.invites = SqlInviteRepo(session)
        self.conversations = SqlConversationRepo(session)
        self.inbox = SqlInboxRepo(session)
        self.outbox = SqlOutboxRepo(session)
        self.projects = SqlProjectRepo(session)
        self.polls = SqlPollRepo(session)
        self.respondents = SqlRespondentRepo(session)
        self.responses = SqlResponseRepo(session)
        self.stories = SqlStoryRepo(session)
        self.lessons = SqlLessonRepo(session)
        self.audit = SqlAuditRepo(session)
        self.dead_letters = SqlDeadLetterRepo(session)
        self.whatsapp_messages = SqlWhatsAppMessageRepo(session)
        self.web = SqlWebRepo(session)
        return self

    def __exit__(self, *exc: object) -> None:
        session, self.session = self.session, None
        if session is None:
            return
        try:
            session.rollback()
        finally:
            session.close()

    def _open(self) -> Session:
        if self.session is None:
            raise RuntimeError("use the unit of work in a `with` block")
        return self.session

    def commit(self) -> None:
        self._open().commit()

    def rollback(self) -> None:
        self._open().rollback()
