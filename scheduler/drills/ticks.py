"""The tick's part, for each planned drill: the plan to all staff the school day before at
[drills].notice_at, the head teachers' reminder to teach the route on the morning of the
day at remind_at, the commander's 开始演练 button at the drill's time, and, report_minutes
after the start, the classes that have not reported named to the commander once. Every
message is keyed by the drill, so ticks and restarts send each once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.settings import DrillSettingsEntry
from scheduler.drills import buttons, notify, plans
from scheduler.drills.common import key_of, plan_text, theme_of
from scheduler.hazards.notify import tell
from scheduler.routine import TickContext
from storage import drills as store
from storage import people
from storage.models import Task


async def run_drills(tick: TickContext) -> int:
    policy = tick.settings.drills
    if not policy.enabled or not policy.plans:
        return 0
    local = tick.now.astimezone(tick.ctx.tz).replace(tzinfo=None)
    sent = 0
    following = tick.calendar.next_school_day(tick.today)
    plan = await _plan(tick, following) if following else None
    if plan is not None and local.time() >= policy.notice_at:
        sent += await _tell_staff(tick, plan.date)
    today = await _plan(tick, tick.today)
    if today is None:
        return sent
    if local.time() >= policy.remind_at:
        sent += await _remind_head_teachers(tick)
    if local.time() >= today.time:
        sent += await _offer_start(tick)
    sent += await _name_silent(tick)
    return sent


async def _plan(tick: TickContext, day: dt.date) -> DrillSettingsEntry | None:
    """The drill planned on ``day``, a moved one on its new day and time."""
    return await plans.plan_for(tick.session, tick.ctx.school_id, tick.settings, day)


async def _drill(tick: TickContext, day: dt.date) -> store.Drill:
    plan = await _plan(tick, day)
    assert plan is not None
    return await store.ensure(tick.session, tick.ctx.school_id, day, theme_of(tick.settings, plan))


async def _tell_staff(tick: TickContext, day: dt.date) -> int:
    drill = await _drill(tick, day)
    plan = await _plan(tick, day)
    assert plan is not None

    def text(lang: str) -> str:
        return t(lang, "drill.plan_notice") + "\n" + plan_text(tick.settings, plan, lang)

    found = await notify.staff(tick.session, tick.ctx)
    return await tell(tick.session, tick.ctx, f"{key_of(drill)}:plan", found, text, tick.now)


async def _remind_head_teachers(tick: TickContext) -> int:
    drill = await _drill(tick, tick.today)
    plan = await _plan(tick, tick.today)
    assert plan is not None

    def text(lang: str) -> str:
        return t(
            lang,
            "drill.morning_reminder",
            time=plan.time.strftime("%H:%M"),
            theme=drill.theme,
            assembly=plan.assembly or "—",
        )

    found = await notify.head_teachers(tick.session, tick.ctx, tick.today)
    return await tell(tick.session, tick.ctx, f"{key_of(drill)}:remind", found, text, tick.now)


async def _offer_start(tick: TickContext) -> int:
    drill = await _drill(tick, tick.today)
    if drill.status != "planned":
        return 0
    plan = await _plan(tick, tick.today)

    def text(lang: str) -> str:
        return t(lang, "drill.start_offered", theme=drill.theme)

    found = await notify.commander(tick.session, tick.ctx, plan)
    return await tell(
        tick.session,
        tick.ctx,
        f"{key_of(drill)}:start",
        found,
        text,
        tick.now,
        buttons=lambda lang: buttons.start_rows(drill.id, lang),
        urgent=True,
    )


async def _name_silent(tick: TickContext) -> int:
    """The classes with no headcount report_minutes after the start, named once."""
    drill = await store.on_day(tick.session, tick.ctx.school_id, tick.today, for_update=True)
    if drill is None or drill.started_at is None or drill.silent_named_at is not None:
        return 0
    if tick.now < drill.started_at + dt.timedelta(minutes=tick.settings.drills.report_minutes):
        return 0
    drill.silent_named_at = tick.now
    counted = {c.unit_id for c in await store.counts_of(tick.session, drill.id)}
    classes = await people.units(tick.session, tick.ctx.school_id, "class")
    silent = [u.name for u in classes if u.active and u.id not in counted]
    if not silent:
        return 0

    def text(lang: str) -> str:
        return t(
            lang,
            "drill.silent_classes",
            minutes=tick.settings.drills.report_minutes,
            count=len(silent),
            classes="、".join(silent),
        )

    plan = await _plan(tick, tick.today)
    found = await notify.commander(tick.session, tick.ctx, plan)
    return await tell(
        tick.session, tick.ctx, f"dr:{drill.id}:silent", found, text, tick.now, urgent=True
    )


async def name_drill_in_prompts(tick: TickContext) -> int:
    """On a drill day, each class's 1530 prompt names the drill (its theme and time): the
    day's education tasks not yet sent carry it in their payload (run before the prompts)."""
    if not tick.settings.drills.enabled or not tick.settings.drills.plans:
        return 0
    plan = await _plan(tick, tick.today)
    if plan is None:
        return 0
    drill = {"theme": theme_of(tick.settings, plan), "time": plan.time.strftime("%H:%M")}
    return await tag_prompts(tick.session, tick.ctx.school_id, tick.today, drill)


async def tag_prompts(
    session: AsyncSession, school_id: int, day: dt.date, drill: dict[str, str] | None
) -> int:
    """The day's 1530 tasks not yet sent name ``drill`` (None: no drill any more)."""
    tasks = await session.scalars(
        select(Task).where(
            Task.school_id == school_id,
            Task.day == day,
            Task.routine == "education",
            Task.status == "planned",
        )
    )
    changed = 0
    for task in tasks:
        if task.payload.get("drill") != drill:
            task.payload = {**task.payload, "drill": drill}  # a new dict: the column sees it
            changed += 1
    return changed
