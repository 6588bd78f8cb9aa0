"""What handlers/drills.py calls: each service opens its own transaction, takes the steps of
``steps``, ``notes``, ``moves`` and ``views`` in it and returns an outcome (``Result``) or
the text to show; the handler picks its reply from the outcome, after the transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from scheduler.drills import moves, notes, steps, views
from scheduler.drills.buttons import Action, Press
from scheduler.drills.common import Outcome, Result
from scheduler.routine import Context
from storage import people
from storage.db import SessionFactory
from storage.media import StoredFile
from storage.models import Person, Unit

# A commander's 问题 / 措施 (problems, measures); from a floor marshal, a note of this kind.
NOTE_KIND = {"problems": "problem", "measures": "suggestion"}


async def next_drill(
    sessions: SessionFactory, ctx: Context, settings: Settings, today: dt.date, lang: str
) -> str:
    """/drill: the next drill's plan; its row is made (in this transaction) so that it has a
    number."""
    async with sessions.begin() as session:
        return await views.next_drill(session, ctx, settings, today, lang)


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


@dataclass(frozen=True)
class Feedback:
    """/drill 问题 … or /drill 措施 …: the commander's feedback (``note`` empty), or else,
    from a floor marshal, a note of kind ``note`` (problem, suggestion)."""

    outcome: Outcome
    closed: bool = False  # the commander's feedback is complete: the drill is closed
    note: str = ""
    day: str = ""  # a note's drill day


async def give_feedback(
    sessions: SessionFactory,
    ctx: Context,
    person: Person,
    field: str,
    text: str,
    now: dt.datetime,
    settings: Settings,
) -> Feedback:
    """``field``: problems or measures. Someone not the commander is a floor marshal whose
    问题 / 建议 is kept with the drill (NOT_ALLOWED: neither)."""
    async with sessions.begin() as session:
        result = await steps.feedback(session, ctx, person, field, text, now, settings)
        if result.outcome is not Outcome.NOT_ALLOWED:
            return Feedback(result.outcome, result.closed)
        kind = NOTE_KIND[field]
        note = await notes.add_note(session, ctx, person, kind, text, now, settings)
    return Feedback(note.outcome, note=kind, day=note.unit_name)


async def move(
    sessions: SessionFactory,
    ctx: Context,
    drill_id: int,
    person: Person,
    at: dt.datetime,
    now: dt.datetime,
    settings: Settings,
    *,
    school_day: bool,
) -> Result:
    """/drill 12 改到 下周三 10:00 (``moves.move``)."""
    async with sessions.begin() as session:
        return await moves.move(
            session, ctx, drill_id, person, at, now, settings, school_day=school_day
        )


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


async def pressed(
    sessions: SessionFactory,
    ctx: Context,
    press: Press,
    person: Person,
    now: dt.datetime,
    settings: Settings,
) -> Result:
    """The commander's 开始演练 or 结束演练 (``seconds``: the evacuation time, once ended)."""
    step = steps.start if press.action is Action.START else steps.end
    async with sessions.begin() as session:
        return await step(session, ctx, press.drill_id, person, now, settings)
