"""/today: one screen for the principal — every routine's state on a day, and whether pushes run.

What a day holds comes from the rules (``plan_day``, the source of /plan), not from the task
rows: those only exist once the engine's tick has made them, and never for a day to come. A
planned item shows its task's state once the task exists.

Routine modules may add a section with ``OVERVIEWS``: ``async (session, ctx, day, lang) -> str``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.settings import Settings
from scheduler import registry
from scheduler.calendar import Lang, SchoolCalendar, describe_day
from scheduler.planning import PlannedEvent, plan_day, plan_summary
from scheduler.routine import Context
from storage.models import School, Task, Unit

EDUCATION = "education"


async def day_overview(
    session: AsyncSession,
    ctx: Context,
    settings: Settings,
    calendar: SchoolCalendar,
    day: dt.date,
    today: dt.date,
    lang: str,
) -> str:
    """The /today text for ``day``: today's, an earlier day's or one to come."""
    events = plan_day(settings, calendar, day)
    label = describe_day(calendar.day_info(day), _plan_lang(lang))
    title = "today.title" if day == today else "today.title_day"
    parts = [t(lang, title, day=day.isoformat(), label=label)]
    school = await session.get(School, ctx.school_id)
    if school is not None and school.paused:
        parts.append(t(lang, "common.paused", reason=school.paused_reason or "—"))
    education = [e for e in events if e.routine == EDUCATION]
    parts.append(await education_section(session, ctx, education, day, today, lang))
    parts += await _plans_not_made(session, ctx, events, day, lang)
    for section in registry.overviews():
        text = await section(session, ctx, day, lang)
        if text:
            parts.append(text)
    return "\n\n".join(parts)


async def education_section(
    session: AsyncSession,
    ctx: Context,
    planned: Sequence[PlannedEvent],
    day: dt.date,
    today: dt.date,
    lang: str,
) -> str:
    rows = (
        await session.execute(
            select(Task, Unit)
            .join(Unit, Unit.id == Task.unit_id)
            .where(Task.school_id == ctx.school_id, Task.day == day, Task.routine == EDUCATION)
            .order_by(Unit.grade, Unit.slug, Task.kind)
        )
    ).all()
    made = {task.key: (task, unit) for task, unit in rows}
    items = [
        (_item_name(e.target_name, e.kind, lang), _state_of(made.get(e.key), day, today))
        for e in planned
    ]
    # Tasks made before the calendar changed are still the day's record.
    keys = {e.key for e in planned}
    items += [
        (_item_name(unit.name, task.kind, lang), _state(task))
        for key, (task, unit) in made.items()
        if key not in keys
    ]
    if not items:
        return t(lang, "today.edu.none" if day == today else "today.edu.none_day")
    summary = plan_summary(planned, _plan_lang(lang))
    if all(state == "planned" for _, state in items):  # a day to come: the plan is the news
        return f"{t(lang, 'today.edu.planned_head', total=len(items))}\n  {summary}"
    plan = ["  " + t(lang, "today.planned", summary=summary)] if planned else []
    counts = Counter(state for _, state in items)
    by_state: dict[str, list[str]] = defaultdict(list)
    for name, state in items:
        by_state[state].append(name)
    lines = [
        t(
            lang,
            "today.edu.head",
            done=counts["done"],
            late=counts["late"],
            missing=counts["missing"],
            waiting=counts["waiting"],
            total=len(items),
        ),
        *plan,
    ]
    # Every class under its state, the ones needing attention first.
    for state in ("missing", "late", "waiting", "done"):
        if by_state[state]:
            lines.append(f"  {t(lang, 'today.state.' + state)}: " + "、".join(by_state[state]))
    return "\n".join(lines)


def _plan_lang(lang: str) -> Lang:
    return "en" if lang == "en" else "zh"


def _item_name(unit_name: str, kind: str, lang: str) -> str:
    return unit_name + ("·" + t(lang, "today.weekly") if kind == "weekly" else "")


def _state_of(made: tuple[Task, Unit] | None, day: dt.date, today: dt.date) -> str:
    if made is not None:
        return _state(made[0])
    # Not made yet: asked later today, planned for a day to come, never asked on a past day.
    if day == today:
        return "waiting"
    return "planned" if day > today else "missing"


def _state(task: Task) -> str:
    if task.status == "done":
        return "done"
    if task.status == "late":
        return "late"
    if task.status in ("escalated", "missed") or task.reminded_at is not None:
        return "missing"
    return "waiting"


async def _plans_not_made(
    session: AsyncSession,
    ctx: Context,
    events: Sequence[PlannedEvent],
    day: dt.date,
    lang: str,
) -> list[str]:
    """Each other routine's plan for the day while it has no task yet: its own section
    reports on the tasks once they exist."""
    by_routine: dict[str, list[PlannedEvent]] = defaultdict(list)
    for event in events:
        if event.routine != EDUCATION:
            by_routine[event.routine].append(event)
    if not by_routine:
        return []
    made = set(
        (
            await session.scalars(
                select(Task.routine)
                .where(Task.school_id == ctx.school_id, Task.day == day)
                .distinct()
            )
        ).all()
    )
    return [
        t(lang, "today.planned", summary=plan_summary(group, _plan_lang(lang)))
        for routine, group in by_routine.items()
        if routine not in made
    ]
