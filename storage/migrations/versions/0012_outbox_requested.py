"""The outbox remembers when a row's request left for Telegram, so that a row a killed process
left 'sending' after its request left is held as uncertain (it may have arrived) instead of
being sent to a parent a second time.

Revision ID: 0012_outbox_requested
Revises: 0011_merge_routines
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0012_outbox_requested"
down_revision = "0011_merge_routines"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requested_at", storage.models.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("requested_at")
