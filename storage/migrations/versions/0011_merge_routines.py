"""Merge the branches built side by side (hazards, the outbox's delivery states, updates kept
once, drills and the school bus) into one head.

Each branched from 0007; from here on the history is linear again and `db upgrade` has a
single head to reach.

Revision ID: 0011_merge_routines
Revises: 0008_hazards, 0008_outbox_states, 0008_updates, 0010_drills_bus
"""

from __future__ import annotations

revision = "0011_merge_routines"
down_revision = ("0008_hazards", "0008_outbox_states", "0008_updates", "0010_drills_bus")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
