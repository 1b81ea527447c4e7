"""The dashboard: sign-in links and sessions (only their hashes), each user's page language,
download jobs.

Revision ID: 0010_dashboard
Revises: 0009_masked_stories
Create Date: 2026-12-03 14:40:00
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010_dashboard"
down_revision: Union[str, None] = "0009_masked_stories"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "web_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_web_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_tokens_token_hash")),
    )
    op.create_index(op.f("ix_web_tokens_user_id"), "web_tokens", ["user_id"])
    op.create_index(op.f("ix_web_tokens_expires_at"), "web_tokens", ["expires_at"])
    op.create_table(
        "web_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_web_preferences_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_web_preferences")),
    )
    op.create_table(
        "web_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("error", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_web_jobs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_jobs")),
        sa.UniqueConstraint("public_id", name=op.f("uq_web_jobs_public_id")),
    )
    op.create_index(op.f("ix_web_jobs_user_id"), "web_jobs", ["user_id"])
    op.create_index(op.f("ix_web_jobs_finished_at"), "web_jobs", ["finished_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_web_jobs_finished_at"), table_name="web_jobs")
    op.drop_index(op.f("ix_web_jobs_user_id"), table_name="web_jobs")
    op.drop_table("web_jobs")
    op.drop_table("web_preferences")
    op.drop_index(op.f("ix_web_tokens_expires_at"), table_name="web_tokens")
    op.drop_index(op.f("ix_web_tokens_user_id"), table_name="web_tokens")
    op.drop_table("web_tokens")
