"""Merge the routine branches (zero report, FSM state, duty, notices) into one head.

The routines were built in parallel, each branching from 0001; from here on the history is
linear again and `db upgrade` has a single head to reach.

Revision ID: 0005_merge_routines
Revises: 0002_zero_report, 0002b_fsm_state, 0003_duty, 0004_notices
"""

from __future__ import annotations

revision = "0005_merge_routines"
down_revision = ("0002_zero_report", "0002b_fsm_state", "0003_duty", "0004_notices")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
