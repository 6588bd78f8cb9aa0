"""Several schools on one database: a chat is unique per school (a parent with a child in two
schools has the same private chat id with each school's bot), each school's sender finds its
own ready rows by index, and an outbox claim names the process holding its lease.

Revision ID: 0012_tenancy
Revises: 0011_merge_routines
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_tenancy"
down_revision = "0011_merge_routines"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chat", schema=None) as batch_op:
        batch_op.drop_constraint("uq_chat_tg_chat_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_chat_school_id_tg_chat_id", ["school_id", "tg_chat_id"]
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.drop_index("ix_outbox_ready")
        batch_op.create_index("ix_outbox_ready", ["school_id", "status", "send_after"])


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_ready")
        batch_op.create_index("ix_outbox_ready", ["status", "send_after"])
        batch_op.drop_column("claimed_by")
    with op.batch_alter_table("chat", schema=None) as batch_op:
        batch_op.drop_constraint("uq_chat_school_id_tg_chat_id", type_="unique")
        batch_op.create_unique_constraint("uq_chat_tg_chat_id", ["tg_chat_id"])
