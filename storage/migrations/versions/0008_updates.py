"""Every update is stored before it is handled: ``inbound.error`` says why one failed.

Before this, only updates whose handler crashed were stored (unhandled); they are marked
handled with that reason, so that the next start does not run them again.

Revision ID: 0008_updates
Revises: 0007_language_chosen
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_updates"
down_revision = "0007_language_chosen"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("inbound", sa.Column("error", sa.String(length=200), nullable=True))
    op.execute(
        "UPDATE inbound SET handled = true, error = 'failed before 0008_updates' "
        "WHERE handled = false"
    )


def downgrade() -> None:
    with op.batch_alter_table("inbound") as batch:
        batch.drop_column("error")
