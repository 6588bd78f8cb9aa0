"""pupils and guardians; a notice's receipt (choice, short text, signature) per child

Revision ID: 0012_pupils
Revises: 0011_merge_routines
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0012_pupils"
down_revision = "0011_merge_routines"
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = storage.models.UTCDateTime
    op.create_table(
        "pupil",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", when(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_pupil_school_id_school")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_pupil_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pupil")),
    )
    with op.batch_alter_table("pupil", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pupil_school_id"), ["school_id"], unique=False)
        batch_op.create_index("ix_pupil_unit_name", ["unit_id", "name"], unique=False)
    op.create_table(
        "guardian",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("created_at", when(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_guardian_school_id_school")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_guardian_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupil.id"], name=op.f("fk_guardian_pupil_id_pupil"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guardian")),
        sa.UniqueConstraint("person_id", "pupil_id", name=op.f("uq_guardian_person_id_pupil_id")),
    )
    with op.batch_alter_table("guardian", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_guardian_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_guardian_pupil_id"), ["pupil_id"], unique=False)
    op.create_table(
        "invite_pupil",
        sa.Column("invite_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invite_id"],
            ["invite.id"],
            name=op.f("fk_invite_pupil_invite_id_invite"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"],
            ["pupil.id"],
            name=op.f("fk_invite_pupil_pupil_id_pupil"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("invite_id", name=op.f("pk_invite_pupil")),
    )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("receipt", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.alter_column("receipt", server_default=None)
    with op.batch_alter_table("notice_recipient", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pupil_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("choice", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("choice_at", when(), nullable=True))
        batch_op.add_column(sa.Column("reply_text", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("signed_name", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("signed_relation", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("signed_at", when(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_notice_recipient_pupil_id_pupil"),
            "pupil",
            ["pupil_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.drop_constraint("uq_notice_recipient_notice_id_person_id", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_notice_recipient_notice_id_person_id_pupil_id"),
            ["notice_id", "person_id", "pupil_id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("notice_recipient", schema=None) as batch_op:
        batch_op.drop_constraint("uq_notice_recipient_notice_id_person_id_pupil_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_notice_recipient_notice_id_person_id", ["notice_id", "person_id"]
        )
        batch_op.drop_constraint("fk_notice_recipient_pupil_id_pupil", type_="foreignkey")
        for column in (
            "signed_at",
            "signed_relation",
            "signed_name",
            "reply_text",
            "choice_at",
            "choice",
            "pupil_id",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_column("receipt")
    op.drop_table("invite_pupil")
    with op.batch_alter_table("guardian", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guardian_pupil_id"))
        batch_op.drop_index(batch_op.f("ix_guardian_school_id"))
    op.drop_table("guardian")
    with op.batch_alter_table("pupil", schema=None) as batch_op:
        batch_op.drop_index("ix_pupil_unit_name")
        batch_op.drop_index(batch_op.f("ix_pupil_school_id"))
    op.drop_table("pupil")
