"""Lesson progress: the project a module ran on, the offer at the moment of need, when it was
started and completed, the practice answers (tries, right at the first try).

Revision ID: 0007_lesson_progress
Revises: 0006_poll_languages
Create Date: 2026-12-03 16:00:00
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007_lesson_progress"
down_revision: Union[str, None] = "0006_poll_languages"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("lesson_progress") as batch:
        batch.add_column(sa.Column("project_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("signals", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("offered_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("tries", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("first_try", sa.Boolean(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_lesson_progress_project_id_projects"),
            "projects",
            ["project_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("lesson_progress") as batch:
        batch.drop_constraint(op.f("fk_lesson_progress_project_id_projects"), type_="foreignkey")
        for column in (
            "first_try",
            "tries",
            "completed_at",
            "started_at",
            "offered_at",
            "signals",
            "project_id",
        ):
            batch.drop_column(column)
