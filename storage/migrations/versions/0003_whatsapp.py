"""WhatsApp: chats (the 24-hour window, replies waiting, reachability) and sent messages with
their delivery status.

Revision ID: 0003_whatsapp
Revises: 0002
Create Date: 2026-12-03 10:30:00
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003_whatsapp"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_chats",
        sa.Column("chat_id", sa.String(length=200), nullable=False),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unreachable", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_whatsapp_chats")),
    )
    op.create_table(
        "whatsapp_messages",
        sa.Column("wamid", sa.String(length=200), nullable=False),
        sa.Column("chat_id", sa.String(length=200), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("wamid", name=op.f("pk_whatsapp_messages")),
    )
    op.create_index(op.f("ix_whatsapp_messages_updated_at"), "whatsapp_messages", ["updated_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_whatsapp_messages_updated_at"), table_name="whatsapp_messages")
    op.drop_table("whatsapp_messages")
    op.drop_table("whatsapp_chats")
