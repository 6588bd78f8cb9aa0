"""school-bus riders imported from a file (校车乘车名单, a parent linked to their child), a drill
moved to another day or time, and the floor marshals' feedback and photos of a drill

Revision ID: 0012_bus_drills
Revises: 0011_merge_routines
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0012_bus_drills"
down_revision = "0011_merge_routines"
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = storage.models.UTCDateTime
    op.create_table(
        "bus_rider",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), sa.ForeignKey("school.id"), nullable=False),
        sa.Column("bus", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("stop", sa.String(length=40), nullable=False),
        sa.Column("guardian_phone", sa.String(length=20), nullable=False),
        sa.Column("guardian_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("imported_at", when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bus_rider")),
        sa.UniqueConstraint(
            "school_id", "unit", "name", name=op.f("uq_bus_rider_school_id_unit_name")
        ),
    )
    with op.batch_alter_table("bus_rider", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bus_rider_guardian_id"), ["guardian_id"])

    with op.batch_alter_table("drill", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan_day", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("at", sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column("moves", sa.Integer(), server_default="0", nullable=False))
    op.execute("UPDATE drill SET plan_day = day")

    op.create_table(
        "drill_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drill_id", sa.Integer(), sa.ForeignKey("drill.id"), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("at", when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_note")),
    )
    with op.batch_alter_table("drill_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drill_note_drill_id"), ["drill_id"])


def downgrade() -> None:
    op.drop_table("drill_note")
    with op.batch_alter_table("drill", schema=None) as batch_op:
        batch_op.drop_column("moves")
        batch_op.drop_column("at")
        batch_op.drop_column("plan_day")
    op.drop_table("bus_rider")
