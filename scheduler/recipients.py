"""Who receives what: a unit's group or its responsible people, the duty leaders, the admins."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.routine import Context, Recipient
from storage import duty, people
from storage.models import Person, Unit

UNIT_RESPONSIBLE = {"class": ("head_teacher",), "department": ("staff",)}


async def privately(session: AsyncSession, ctx: Context, persons: list[Person]) -> list[Recipient]:
    recipients = []
    for person in persons:
        chat = await people.private_chat_of(session, person.id)
        if chat is not None and not chat.unreachable:
            recipients.append(
                Recipient(chat.tg_chat_id, person.id, person.language or ctx.school_language)
            )
    return recipients


async def responsible_people(session: AsyncSession, ctx: Context, unit: Unit) -> list[Person]:
    found: list[Person] = []
    for role in UNIT_RESPONSIBLE.get(unit.kind, ()):
        found += await people.people_with_role(session, ctx.school_id, role, unit.id)
    return found


async def unit_group_or_people(
    session: AsyncSession, ctx: Context, unit: Unit | None
) -> list[Recipient]:
    """The unit's bound group; without one, its responsible people in private."""
    if unit is None:
        return []
    group = await people.group_of_unit(session, unit.id)
    if group is not None and not group.unreachable:
        return [Recipient(group.tg_chat_id, None, ctx.school_language)]
    return await privately(session, ctx, await responsible_people(session, ctx, unit))


async def duty_leaders(
    session: AsyncSession, ctx: Context, day: dt.date, *, or_admins: bool = True
) -> list[Recipient]:
    """Who gets escalations: the day's rostered leader on duty (带班领导); without one (or
    unreachable), the duty leaders, and the admins when there is none (unless ``or_admins``
    is off: a caller that tells the admins anyway)."""
    rostered = await duty.reachable_holders(session, ctx.school_id, day, duty.LEADER_POST)
    if rostered:
        return _recipients(ctx, rostered)
    leaders = await with_role(session, ctx, "duty_leader")
    return leaders or (await admins(session, ctx) if or_admins else [])


async def admins(session: AsyncSession, ctx: Context) -> list[Recipient]:
    return await with_role(session, ctx, "admin")


async def with_role(session: AsyncSession, ctx: Context, role: str) -> list[Recipient]:
    """Everyone with the role whom the bot can reach in private, in one query."""
    return _recipients(ctx, await people.private_chats_with_role(session, ctx.school_id, role))


def _recipients(ctx: Context, rows: list[tuple[int, str | None, int]]) -> list[Recipient]:
    return [
        Recipient(tg_chat_id, person_id, language or ctx.school_language)
        for person_id, language, tg_chat_id in rows
    ]
