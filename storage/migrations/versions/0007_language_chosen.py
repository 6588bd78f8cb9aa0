"""A person's language is only what they chose with /lang: the phone's language stored at join
is forgotten, so they read the school's language.

Revision ID: 0007_language_chosen
Revises: 0006_role_index
"""

from __future__ import annotations

from alembic import op

revision = "0007_language_chosen"
down_revision = "0006_role_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # /lang leaves an audit row; anyone without one never chose.
    op.execute(
        "UPDATE person SET language = NULL WHERE language IS NOT NULL AND id NOT IN "
        "(SELECT person_id FROM audit_log WHERE action = 'lang.set' AND person_id IS NOT NULL)"
    )


def downgrade() -> None:
    pass  # the phone's language is not known any more; the school's is a fine default
