"""Inbound updates: channel updates recorded before they are acknowledged.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 11:10:00
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "inbound_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("chat_key", sa.String(length=200), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_updates")),
        sa.UniqueConstraint("channel", "external_id", name=op.f("uq_inbound_updates_channel_external_id")),
    )
    op.create_index(op.f("ix_inbound_updates_received_at"), "inbound_updates", ["received_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_inbound_updates_received_at"), table_name="inbound_updates")
    op.drop_table("inbound_updates")
