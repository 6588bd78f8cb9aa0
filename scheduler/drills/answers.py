"""What handlers/drills.py calls: each service opens its own transaction, takes the steps of
``steps``, ``notes``, ``moves`` and ``views`` in it and returns an outcome (``Result``) or
the text to show; the handler picks its reply from the outcome, after the transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from scheduler.drills import moves, notes, steps, views
from scheduler.drills.common import Outcome, Result
from scheduler.routine import Context
from scheduler.transactions import writing
from storage import people
from storage.db import SessionFactory
from storage.media import StoredFile
from storage.models import Person, Unit

next_drill = writing(views.next_drill)  # /drill: the plan; its row is made, for a number
move = writing(moves.move)  # /drill 12 改到 下周三 10:00
give_feedback = writing(steps.feedback)  # /drill 问题 … or /drill 措施 …
pressed = writing(steps.press)  # 开始演练 or 结束演练


async def add_photo(
    sessions: SessionFactory,
    ctx: Context,
    person: Person,
    photo: StoredFile,
    now: dt.datetime,
    settings: Settings,
) -> Result:
    """A photo with the caption /drill, kept with the latest drill held."""
    async with sessions.begin() as session:
        return await notes.add_note(session, ctx, person, "photo", "", now, settings, photo)


async def report_count(
    sessions: SessionFactory,
    ctx: Context,
    person: Person,
    class_name: str | None,
    expected: int,
    present: int,
    reason: str,
    now: dt.datetime,
    settings: Settings,
    *,
    tg_chat_id: int,
    private: bool,
) -> Result:
    """A class's headcount (``steps.report_count``): the class named, else the class group's,
    else the head teacher's only class (NO_CLASS: none of them)."""
    async with sessions.begin() as session:
        unit = await _unit(session, ctx, person, class_name, tg_chat_id, private)
        if unit is None:
            return Result(Outcome.NO_CLASS)
        return await steps.report_count(
            session, ctx, person, unit, expected, present, reason, now, settings
        )


async def _unit(
    session: AsyncSession,
    ctx: Context,
    person: Person,
    class_name: str | None,
    tg_chat_id: int,
    private: bool,
) -> Unit | None:
    if class_name:
        return await people.find_unit(session, ctx.school_id, class_name)
    if not private:
        chat = await people.chat_by_tg(session, ctx.school_id, tg_chat_id)
        if chat is not None and chat.unit_id is not None:
            return await session.get(Unit, chat.unit_id)
    mine = sorted({r.unit_id for r in person.roles if r.role == "head_teacher" and r.unit_id})
    return await session.get(Unit, mine[0]) if len(mine) == 1 else None
