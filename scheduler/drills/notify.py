"""Who hears of a drill: all staff (the plan), the head teachers (the reminder, the call to
count), the commander (the start button, the silent classes, a mismatch)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import DrillSettingsEntry
from scheduler import recipients
from scheduler.drills.common import STAFF
from scheduler.hazards.notify import once
from scheduler.routine import Context, Recipient
from storage.duty import staff_named


async def staff(session: AsyncSession, ctx: Context) -> list[Recipient]:
    found: list[Recipient] = []
    for role in STAFF:
        found += await recipients.with_role(session, ctx, role)
    return once(found)


async def head_teachers(session: AsyncSession, ctx: Context, day: dt.date) -> list[Recipient]:
    """Every head teacher in private; on ``day`` a substitute in place of one on leave."""
    found = await recipients.with_role(session, ctx, "head_teacher")
    return once(await recipients.recipients_in_their_place(session, ctx, found, day))


async def commander(
    session: AsyncSession, ctx: Context, plan: DrillSettingsEntry | None
) -> list[Recipient]:
    """The plan's 总指挥 in private; without one the bot can reach, the admins."""
    named = await staff_named(session, ctx.school_id, plan.commander) if plan else []
    found = await recipients.privately(session, ctx, named)
    return found or await recipients.admins(session, ctx)
