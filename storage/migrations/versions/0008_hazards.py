"""hazards (隐患) and their history of steps

Revision ID: 0008_hazards
Revises: 0007_language_chosen
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0008_hazards"
down_revision = "0007_language_chosen"
branch_labels = None
depends_on = None


def _person(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Integer(), sa.ForeignKey("person.id"), nullable=nullable)


def upgrade() -> None:
    when = storage.models.UTCDateTime
    op.create_table(
        "hazard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), sa.ForeignKey("school.id"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("place", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("item", sa.String(length=60), nullable=False),
        _person("raised_by", nullable=False),
        sa.Column("submission_id", sa.Integer(), sa.ForeignKey("submission.id"), nullable=False),
        sa.Column("created_at", when(), nullable=False),
        sa.Column("raised_at", when(), nullable=True),
        sa.Column("measure", sa.Text(), nullable=False),
        _person("owner_id"),
        sa.Column("deadline", sa.Date(), nullable=True),
        _person("assigned_by"),
        sa.Column("assigned_at", when(), nullable=True),
        _person("listed_by"),
        sa.Column("listed_at", when(), nullable=True),
        sa.Column("fix_submission_id", sa.Integer(), sa.ForeignKey("submission.id"), nullable=True),
        sa.Column("fix_note", sa.Text(), nullable=False),
        sa.Column("fixed_at", when(), nullable=True),
        _person("verified_by"),
        sa.Column("verified_at", when(), nullable=True),
        _person("signed_by"),
        sa.Column("signed_at", when(), nullable=True),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("reminded_round", sa.Integer(), nullable=False),
        sa.Column("escalated_round", sa.Integer(), nullable=False),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard")),
    )
    with op.batch_alter_table("hazard", schema=None) as batch_op:
        batch_op.create_index("ix_hazard_school_status", ["school_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_hazard_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "hazard_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hazard_id", sa.Integer(), sa.ForeignKey("hazard.id"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        _person("person_id"),
        sa.Column("at", when(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("submission_id", sa.Integer(), sa.ForeignKey("submission.id"), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard_event")),
    )
    with op.batch_alter_table("hazard_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hazard_event_hazard_id"), ["hazard_id"], unique=False)


def downgrade() -> None:
    op.drop_table("hazard_event")
    op.drop_table("hazard")
