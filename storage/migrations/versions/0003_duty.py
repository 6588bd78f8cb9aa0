"""duty: the roster, the handover log and shift swaps

Revision ID: 0003_duty
Revises: 0001
Create Date: 2026-11-24 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0003_duty"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "duty_roster",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("post", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["person.id"], name=op.f("fk_duty_roster_created_by_person")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_duty_roster_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_duty_roster_school_id_school")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_roster")),
        sa.UniqueConstraint(
            "school_id",
            "day",
            "post",
            "person_id",
            name=op.f("uq_duty_roster_school_id_day_post_person_id"),
        ),
    )
    with op.batch_alter_table("duty_roster", schema=None) as batch_op:
        batch_op.create_index("ix_duty_roster_school_day", ["school_id", "day"], unique=False)
        batch_op.create_index(batch_op.f("ix_duty_roster_person_id"), ["person_id"], unique=False)

    op.create_table(
        "duty_handover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("post", sa.String(length=32), nullable=False),
        sa.Column("to_post", sa.String(length=32), nullable=False),
        sa.Column("outgoing_id", sa.Integer(), nullable=False),
        sa.Column("incoming_id", sa.Integer(), nullable=True),
        sa.Column("ends_at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("submitted_at", storage.models.UTCDateTime(), nullable=True),
        sa.Column("confirmed_at", storage.models.UTCDateTime(), nullable=True),
        sa.Column("handover_alerted_at", storage.models.UTCDateTime(), nullable=True),
        sa.Column("confirm_alerted_at", storage.models.UTCDateTime(), nullable=True),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incoming_id"], ["person.id"], name=op.f("fk_duty_handover_incoming_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["outgoing_id"], ["person.id"], name=op.f("fk_duty_handover_outgoing_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_duty_handover_school_id_school")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_duty_handover_task_id_task")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_handover")),
        sa.UniqueConstraint("school_id", "key", name=op.f("uq_duty_handover_school_id_key")),
    )
    with op.batch_alter_table("duty_handover", schema=None) as batch_op:
        batch_op.create_index("ix_duty_handover_status", ["school_id", "status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_duty_handover_incoming_id"), ["incoming_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_duty_handover_outgoing_id"), ["outgoing_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_duty_handover_task_id"), ["task_id"], unique=False)

    op.create_table(
        "duty_swap",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("post", sa.String(length=32), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("partner_day", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("decided_at", storage.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["person.id"], name=op.f("fk_duty_swap_partner_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["person.id"], name=op.f("fk_duty_swap_requester_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_duty_swap_school_id_school")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_swap")),
    )
    with op.batch_alter_table("duty_swap", schema=None) as batch_op:
        batch_op.create_index("ix_duty_swap_school_status", ["school_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("duty_swap", schema=None) as batch_op:
        batch_op.drop_index("ix_duty_swap_school_status")
    op.drop_table("duty_swap")
    with op.batch_alter_table("duty_handover", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duty_handover_task_id"))
        batch_op.drop_index(batch_op.f("ix_duty_handover_outgoing_id"))
        batch_op.drop_index(batch_op.f("ix_duty_handover_incoming_id"))
        batch_op.drop_index("ix_duty_handover_status")
    op.drop_table("duty_handover")
    with op.batch_alter_table("duty_roster", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duty_roster_person_id"))
        batch_op.drop_index("ix_duty_roster_school_day")
    op.drop_table("duty_roster")
