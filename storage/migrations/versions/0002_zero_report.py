"""zero report: the incident table

Revision ID: 0002_zero_report
Revises: 0001
Create Date: 2026-11-24 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0002_zero_report"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reported_by", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("place", sa.String(length=100), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("reported_at", storage.models.UTCDateTime(), nullable=True),
        sa.Column("handled_by", sa.Integer(), nullable=True),
        sa.Column("handled_at", storage.models.UTCDateTime(), nullable=True),
        sa.Column("handled_note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["handled_by"], ["person.id"], name=op.f("fk_incident_handled_by_person")
        ),
        sa.ForeignKeyConstraint(
            ["reported_by"], ["person.id"], name=op.f("fk_incident_reported_by_person")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_incident_school_id_school")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submission.id"], name=op.f("fk_incident_submission_id_submission")
        ),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], name=op.f("fk_incident_task_id_task")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_incident_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index("ix_incident_school_day", ["school_id", "day"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_task_id"), ["task_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_unit_id"))
        batch_op.drop_index(batch_op.f("ix_incident_task_id"))
        batch_op.drop_index("ix_incident_school_day")
    op.drop_table("incident")
