"""The outbox remembers when each row reached its final state (sent, uncertain, unreachable,
expired, failed), so the day's lost messages and newly unreachable people can be told once.

Revision ID: 0008_outbox_states
Revises: 0007_language_chosen
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0008_outbox_states"
down_revision = "0007_language_chosen"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("settled_at", storage.models.UTCDateTime(), nullable=True))
        batch_op.create_index("ix_outbox_settled", ["status", "settled_at"], unique=False)
    # Rows sent before this revision were settled when they were sent.
    op.execute("UPDATE outbox SET settled_at = sent_at WHERE sent_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_settled")
        batch_op.drop_column("settled_at")
