"""Stories stored before masking at storage: phone numbers, e-mail addresses, id numbers and
@handles in their text (and in a media's caption kept as a story) become the mask, with the
one masking function (domain.privacy.mask_identifiers) the Story record applies from now on.

Revision ID: 0009_masked_stories
Revises: 0008_anonymous_polls
Create Date: 2026-12-03 16:00:00
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from domain.privacy import mask_identifiers

revision: str = "0009_masked_stories"
down_revision: Union[str, None] = "0008_anonymous_polls"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    bind = op.get_bind()
    stories = sa.table("stories", sa.column("id", sa.Integer), sa.column("text", sa.Text))
    for row in bind.execute(sa.select(stories).where(stories.c.text.is_not(None))).all():
        masked = mask_identifiers(row.text)
        if masked != row.text:
            bind.execute(sa.update(stories).where(stories.c.id == row.id).values(text=masked))


def downgrade() -> None:
    pass  # what was masked cannot come back
