"""The plans as they stand: config.toml's [[drills.plans]], with a drill an admin moved
(/drill 12 改到 下周三 10:00) on its new day and time. A moved drill's row keeps the plan it
came from (``plan_day``); the plan's old day has no drill any more."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import DrillSettingsEntry, Settings
from scheduler.drills.common import plan_on, theme_of
from storage import drills as store


def _moved(plan: DrillSettingsEntry, drill: store.Drill) -> DrillSettingsEntry:
    if drill.day == plan.date and not drill.at:
        return plan
    time = dt.time.fromisoformat(drill.at) if drill.at else plan.time
    return plan.model_copy(update={"date": drill.day, "time": time})


async def _rows(session: AsyncSession, school_id: int) -> list[store.Drill]:
    rows = await session.scalars(select(store.Drill).where(store.Drill.school_id == school_id))
    return list(rows.all())


async def plan_for(
    session: AsyncSession, school_id: int, settings: Settings, day: dt.date
) -> DrillSettingsEntry | None:
    """The plan of the drill held on ``day``, moved or not."""
    if not settings.drills.plans:
        return None
    rows = await _rows(session, school_id)
    for drill in rows:  # a drill held on the day, moved there or not
        plan = plan_on(settings, drill.plan_day or drill.day)
        if plan is not None and drill.day == day:
            return _moved(plan, drill)
    if any((d.plan_day or d.day) == day for d in rows):
        return None  # its drill moved away from this day
    return plan_on(settings, day)


async def plans(
    session: AsyncSession, school_id: int, settings: Settings
) -> list[DrillSettingsEntry]:
    """Every plan on its day as it stands, in order."""
    by_plan = {d.plan_day or d.day: d for d in await _rows(session, school_id)}
    found = []
    for plan in settings.drills.plans:
        drill = by_plan.get(plan.date)
        found.append(_moved(plan, drill) if drill is not None else plan)
    return sorted(found, key=lambda p: (p.date, p.time))


async def next_plan_for(
    session: AsyncSession, school_id: int, settings: Settings, today: dt.date
) -> DrillSettingsEntry | None:
    coming = [p for p in await plans(session, school_id, settings) if p.date >= today]
    return coming[0] if coming else None


async def ensure(
    session: AsyncSession, school_id: int, settings: Settings, plan: DrillSettingsEntry
) -> store.Drill:
    """The drill of ``plan`` (as it stands), made once."""
    return await store.ensure(session, school_id, plan.date, theme_of(settings, plan))
