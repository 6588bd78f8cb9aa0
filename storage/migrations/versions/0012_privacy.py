"""children's data (PIPL): a guardian's consent (pending, version, time) and deletion on the
person, the daily retention sweep's runs; substitutes (代班) for head teachers on leave

Revision ID: 0012_privacy
Revises: 0011_merge_routines
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0012_privacy"
down_revision = "0011_merge_routines"
branch_labels = None
depends_on = None


def _person(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Integer(), sa.ForeignKey("person.id"), nullable=nullable)


def _school() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("school_id", sa.Integer(), sa.ForeignKey("school.id"), nullable=False)


def upgrade() -> None:
    when = storage.models.UTCDateTime
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_pending", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("consent_version", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("consented_at", when(), nullable=True))
        batch_op.add_column(sa.Column("deleted_at", when(), nullable=True))

    op.create_table(
        "substitution",
        sa.Column("id", sa.Integer(), nullable=False),
        _school(),
        _person("person_id", nullable=False),
        _person("substitute_id", nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _person("requested_by"),
        _person("decided_by"),
        sa.Column("created_at", when(), nullable=False),
        sa.Column("decided_at", when(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_substitution")),
    )
    with op.batch_alter_table("substitution", schema=None) as batch_op:
        batch_op.create_index(
            "ix_substitution_school_last_day", ["school_id", "last_day"], unique=False
        )

    op.create_table(
        "retention_run",
        sa.Column("id", sa.Integer(), nullable=False),
        _school(),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("photos", sa.Integer(), nullable=False),
        sa.Column("pupils", sa.Integer(), nullable=False),
        sa.Column("created_at", when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_run")),
        sa.UniqueConstraint("school_id", "day", name=op.f("uq_retention_run_school_id_day")),
    )


def downgrade() -> None:
    op.drop_table("retention_run")
    with op.batch_alter_table("substitution", schema=None) as batch_op:
        batch_op.drop_index("ix_substitution_school_last_day")
    op.drop_table("substitution")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("consented_at")
        batch_op.drop_column("consent_version")
        batch_op.drop_column("consent_pending")
