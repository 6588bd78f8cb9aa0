"""school-bus trips and absences (校车), emergency drills and their headcounts (应急演练)

Revision ID: 0010_drills_bus
Revises: 0007_language_chosen
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0010_drills_bus"
down_revision = "0007_language_chosen"
branch_labels = None
depends_on = None


def _person(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Integer(), sa.ForeignKey("person.id"), nullable=nullable)


def _school() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("school_id", sa.Integer(), sa.ForeignKey("school.id"), nullable=False)


def upgrade() -> None:
    when = storage.models.UTCDateTime
    op.create_table(
        "bus_trip",
        sa.Column("id", sa.Integer(), nullable=False),
        _school(),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("bus", sa.Integer(), nullable=False),
        sa.Column("leg", sa.String(length=2), nullable=False),
        sa.Column("riders", sa.JSON(), nullable=False),
        sa.Column("absent", sa.JSON(), nullable=False),
        sa.Column("ticked", sa.JSON(), nullable=False),
        sa.Column("boarded", sa.Integer(), nullable=True),
        sa.Column("board_missing", sa.JSON(), nullable=False),
        sa.Column("boarded_at", when(), nullable=True),
        _person("boarded_by"),
        sa.Column("arrived", sa.Integer(), nullable=True),
        sa.Column("arrive_missing", sa.JSON(), nullable=False),
        sa.Column("arrived_at", when(), nullable=True),
        _person("arrived_by"),
        sa.Column("checked_at", when(), nullable=True),
        _person("checked_by"),
        sa.Column("alerted_at", when(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bus_trip")),
        sa.UniqueConstraint(
            "school_id", "day", "bus", "leg", name=op.f("uq_bus_trip_school_id_day_bus_leg")
        ),
    )
    with op.batch_alter_table("bus_trip", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bus_trip_day"), ["day"], unique=False)

    op.create_table(
        "bus_absence",
        sa.Column("id", sa.Integer(), nullable=False),
        _school(),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        _person("marked_by", nullable=False),
        sa.Column("marked_at", when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bus_absence")),
        sa.UniqueConstraint(
            "school_id", "day", "unit", "name", name=op.f("uq_bus_absence_school_id_day_unit_name")
        ),
    )

    op.create_table(
        "drill",
        sa.Column("id", sa.Integer(), nullable=False),
        _school(),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("theme", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", when(), nullable=True),
        _person("started_by"),
        sa.Column("ended_at", when(), nullable=True),
        _person("ended_by"),
        sa.Column("silent_named_at", when(), nullable=True),
        sa.Column("problems", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        _person("feedback_by"),
        sa.Column("feedback_at", when(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill")),
        sa.UniqueConstraint("school_id", "day", name=op.f("uq_drill_school_id_day")),
    )

    op.create_table(
        "drill_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drill_id", sa.Integer(), sa.ForeignKey("drill.id"), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("present", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        _person("person_id", nullable=False),
        sa.Column("at", when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_count")),
        sa.UniqueConstraint("drill_id", "unit_id", name=op.f("uq_drill_count_drill_id_unit_id")),
    )
    with op.batch_alter_table("drill_count", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drill_count_drill_id"), ["drill_id"], unique=False)


def downgrade() -> None:
    op.drop_table("drill_count")
    op.drop_table("drill")
    op.drop_table("bus_absence")
    op.drop_table("bus_trip")
