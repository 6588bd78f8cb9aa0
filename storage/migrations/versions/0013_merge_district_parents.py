"""Merge the branches built side by side (bus riders and moved drills, the outbox's
requested_at, children's data and substitutes, pupils and receipts, tenancy) into one head.

Revision ID: 0013_merge_district_parents
Revises: 0012_bus_drills, 0012_outbox_requested, 0012_privacy, 0012_pupils, 0012_tenancy
"""

from __future__ import annotations

revision = "0013_merge_district_parents"
down_revision = (
    "0012_bus_drills",
    "0012_outbox_requested",
    "0012_privacy",
    "0012_pupils",
    "0012_tenancy",
)
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
