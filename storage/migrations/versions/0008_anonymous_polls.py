"""Poll anonymity that survives a database dump.

- `outbox.private`: the replies of a beneficiary's poll conversation are deleted once sent (or
  given up) instead of being kept with their chat id and time; the outbox items already sent
  are deleted now (nothing reads them: they only waited to be pruned).
- The times of respondents (consent, completion), answers, stories and refusals keep their day
  only (domain.privacy.day_of): a finer time joined answers to the chat's messages.
- The per-respondent lock rows of the poll dialogue (`conversations` rows of channel
  `poll-lock`, keyed by the pseudonym, stamped with the time of the first answer) are deleted:
  the respondent's row is locked instead.
- Media received from someone not registered (a beneficiary before consent) was kept as a story
  with its chat id in the audit log: those stories and audit rows are deleted, and no audit row
  keeps a chat id.

Revision ID: 0008_anonymous_polls
Revises: 0007_lesson_progress
Create Date: 2026-12-03 15:00:00
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0008_anonymous_polls"
down_revision: Union[str, None] = "0007_lesson_progress"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_TIMES = (
    ("respondents", ("consent_at", "completed_at")),
    ("responses", ("answered_at",)),
    ("stories", ("created_at",)),
    ("poll_refusals", ("at",)),
)


def _day(value: datetime | None, sqlite: bool) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite keeps UTC without a zone
        value = value.replace(tzinfo=timezone.utc)
    utc = value.astimezone(timezone.utc)
    day = datetime(utc.year, utc.month, utc.day, tzinfo=timezone.utc)
    return day.replace(tzinfo=None) if sqlite else day


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("private", sa.Boolean(), nullable=False, server_default=sa.false()))
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    bind.execute(sa.text("DELETE FROM outbox WHERE sent_at IS NOT NULL"))
    bind.execute(sa.text("DELETE FROM conversations WHERE channel = 'poll-lock'"))
    for table, columns in _TIMES:
        t = sa.table(
            table, sa.column("id", sa.Integer), *(sa.column(c, sa.DateTime(timezone=True)) for c in columns)
        )
        for row in bind.execute(sa.select(t)).all():
            values = {c: _day(getattr(row, c), sqlite) for c in columns}
            if any(values[c] != getattr(row, c) for c in columns):
                bind.execute(sa.update(t).where(t.c.id == row.id).values(**values))
    audit = sa.table(
        "audit_log",
        sa.column("id", sa.Integer),
        sa.column("user_id", sa.Integer),
        sa.column("action", sa.String),
        sa.column("target", sa.Text),
        sa.column("detail", sa.JSON().with_variant(JSONB(), "postgresql")),
    )
    stories = sa.table("stories", sa.column("id", sa.Integer))
    for row in bind.execute(sa.select(audit).where(audit.c.action == "media.received")).all():
        if row.user_id is None:  # someone not registered: nothing of theirs is kept
            target = str(row.target or "")
            if target.startswith("story:") and target[6:].isdigit():
                bind.execute(sa.delete(stories).where(stories.c.id == int(target[6:])))
            bind.execute(sa.delete(audit).where(audit.c.id == row.id))
        elif isinstance(row.detail, dict) and "chat" in row.detail:
            detail = {k: v for k, v in row.detail.items() if k != "chat"}
            bind.execute(sa.update(audit).where(audit.c.id == row.id).values(detail=detail))


def downgrade() -> None:
    # the times and rows removed cannot come back; only the column goes
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("private")
