"""Who receives what: a unit's group or its responsible people, the duty leaders, the admins.

A head teacher on leave (代班, storage/substitutes.py) is replaced by their substitute on the
days of the leave: every routine that addresses a class's head teacher asks ``in_their_place``
(through ``responsible_people``, ``head_teachers`` or ``recipients_in_their_place``), never the
roles directly."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.routine import Context, Recipient
from storage import duty, people, substitutes
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


async def responsible_people(
    session: AsyncSession, ctx: Context, unit: Unit, day: dt.date | None = None
) -> list[Person]:
    """A class's head teachers (on ``day``: a substitute in place of one on leave), a
    department's staff."""
    found: list[Person] = []
    for role in UNIT_RESPONSIBLE.get(unit.kind, ()):
        found += await people.people_with_role(session, ctx.school_id, role, unit.id)
    if day is not None and unit.kind == "class":
        return await in_their_place(session, ctx, found, day)
    return found


async def head_teachers(
    session: AsyncSession, ctx: Context, unit_id: int, day: dt.date
) -> list[Person]:
    """The class's head teachers on ``day``, a substitute in place of one on leave."""
    found = await people.people_with_role(session, ctx.school_id, "head_teacher", unit_id)
    return await in_their_place(session, ctx, found, day)


async def in_their_place(
    session: AsyncSession, ctx: Context, persons: list[Person], day: dt.date
) -> list[Person]:
    """``persons`` with each one on leave on ``day`` replaced by their substitute, once each."""
    if not persons:
        return persons
    cover = await substitutes.standing_in(session, ctx.school_id, day)
    if not cover:
        return persons
    found: dict[int, Person] = {}
    for person in persons:
        stand_in = await session.get(Person, cover[person.id]) if person.id in cover else person
        if stand_in is not None:
            found.setdefault(stand_in.id, stand_in)
    return list(found.values())


async def recipients_in_their_place(
    session: AsyncSession, ctx: Context, found: list[Recipient], day: dt.date
) -> list[Recipient]:
    """Private recipients (``with_role``'s) with each one on leave replaced by their
    substitute, once each."""
    cover = await substitutes.standing_in(session, ctx.school_id, day)
    if not cover:
        return found
    result: dict[int, Recipient] = {}
    for recipient in found:
        if recipient.person_id in cover:
            person = await session.get(Person, cover[recipient.person_id])
            for stand_in in await privately(session, ctx, [person] if person else []):
                result.setdefault(stand_in.tg_chat_id, stand_in)
        else:
            result.setdefault(recipient.tg_chat_id, recipient)
    return list(result.values())


async def unit_group_or_people(
    session: AsyncSession, ctx: Context, unit: Unit | None, day: dt.date | None = None
) -> list[Recipient]:
    """The unit's bound group; without one, its responsible people in private (on ``day``,
    a substitute in place of a head teacher on leave)."""
    if unit is None:
        return []
    group = await people.group_of_unit(session, unit.id)
    if group is not None and not group.unreachable:
        return [Recipient(group.tg_chat_id, None, ctx.school_language)]
    return await privately(session, ctx, await responsible_people(session, ctx, unit, day))


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
