"""/today: one screen for the principal — every routine's state today, and whether pushes run.

Routine modules may add a section with ``OVERVIEWS``: ``async (session, ctx, day, lang) -> str``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import t
from scheduler.routine import Context
from storage.models import School, Task, Unit

DONE = ("done", "late")


async def education_section(session: AsyncSession, ctx: Context, day: dt.date, lang: str) -> str:
    rows = (
        await session.execute(
            select(Task, Unit)
            .join(Unit, Unit.id == Task.unit_id)
            .where(Task.school_id == ctx.school_id, Task.day == day, Task.routine == "education")
            .order_by(Unit.grade, Unit.slug, Task.kind)
        )
    ).all()
    if not rows:
        return t(lang, "today.edu.none")
    counts = Counter(_state(task) for task, _ in rows)
    by_state: dict[str, list[str]] = defaultdict(list)
    for task, unit in rows:
        weekly = "·" + t(lang, "today.weekly") if task.kind == "weekly" else ""
        by_state[_state(task)].append(unit.name + weekly)
    lines = [
        t(
            lang,
            "today.edu.head",
            done=counts["done"],
            late=counts["late"],
            missing=counts["missing"],
            waiting=counts["waiting"],
            total=len(rows),
        )
    ]
    # Every class under its state, the ones needing attention first.
    for state in ("missing", "late", "waiting", "done"):
        if by_state[state]:
            lines.append(f"  {t(lang, 'today.state.' + state)}: " + "、".join(by_state[state]))
    return "\n".join(lines)


def _state(task: Task) -> str:
    if task.status == "done":
        return "done"
    if task.status == "late":
        return "late"
    if task.status in ("escalated", "missed") or task.reminded_at is not None:
        return "missing"
    return "waiting"


async def today_text(
    session: AsyncSession, ctx: Context, day: dt.date, lang: str, school_day_label: str
) -> str:
    from scheduler import registry

    school = await session.get(School, ctx.school_id)
    parts = [t(lang, "today.title", day=day.isoformat(), label=school_day_label)]
    if school is not None and school.paused:
        parts.append(t(lang, "common.paused", reason=school.paused_reason or "—"))
    parts.append(await education_section(session, ctx, day, lang))
    for section in registry.overviews():
        text = await section(session, ctx, day, lang)
        if text:
            parts.append(text)
    return "\n\n".join(parts)
