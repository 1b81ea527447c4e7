"""Measurements: a measurement may be the indicator's starting value (baseline).

Revision ID: 0004_measurement_baseline
Revises: 0003_whatsapp
Create Date: 2026-12-03 12:00:00
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004_measurement_baseline"
down_revision: Union[str, None] = "0003_whatsapp"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("measurements") as batch:
        batch.add_column(sa.Column("baseline", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("measurements") as batch:
        batch.drop_column("baseline")
