"""An index on role (role, person_id): recipients by role are looked up from it.

Revision ID: 0006_role_index
Revises: 0005_merge_routines
"""

from __future__ import annotations

from alembic import op

revision = "0006_role_index"
down_revision = "0005_merge_routines"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_role_role_person", "role", ["role", "person_id"])


def downgrade() -> None:
    op.drop_index("ix_role_role_person", table_name="role")
