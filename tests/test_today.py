"""/today's service on SQLite and PostgreSQL: what the rules plan for a day (as /plan shows
it), each item with its state once the engine's tick has made its task."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.app import App
from bot.core.clock import FakeClock
from scheduler import overview, tasks
from storage.models import Task
from tests.conftest import add_person, local, unit_by_slug

D = dt.date


async def today_text(app: App, day: dt.date, lang: str = "zh") -> str:
    assert app.ticker is not None
    calendar = await app.ticker.calendar()
    async with app.sessions() as session:
        return await overview.day_overview(
            session, app.ticker.ctx, app.settings, calendar, day, app.today(), lang
        )


def line_of(text: str, start: str) -> str:
    return next(line for line in text.splitlines() if line.strip().startswith(start))


async def test_before_the_days_tasks_are_made_today_shows_what_is_planned(
    app: App, clock: FakeClock
) -> None:
    clock.set(local("2026-11-25 07:30"))  # a Wednesday; no tick has made today's tasks yet
    text = await today_text(app, app.today())
    assert "没有安排" not in text
    assert line_of(text, "1530安全教育").startswith(
        "1530安全教育：完成 0，迟交 0，未完成 0，等待中 24"
    )
    assert "计划：15:20–16:20 每日1分钟 ×24 · 主题：消防安全" in text
    assert "等待中: 一(1)班、一(2)班" in text
    assert "计划：14:30 班级日报告 ×24 · 部门日报告 ×3" in text  # the daily report too
    english = await today_text(app, app.today(), "en")
    assert "plan: 15:20–16:20 1-min daily ×24" in english


async def test_once_the_tasks_exist_each_planned_item_shows_its_state(
    app: App, clock: FakeClock
) -> None:
    unit = await unit_by_slug(app, "3-2")
    teacher = await add_person(app, "王老师", "head_teacher", unit, 7_100_001)
    clock.set(local("2026-11-25 16:10"))
    await app.tick()
    async with app.sessions.begin() as session:
        task = await session.scalar(select(Task).where(Task.key == "edu:daily:2026-11-25:3-2"))
        assert task is not None
        await tasks.complete(session, task, teacher, app.now(), app.today())
    text = await today_text(app, app.today())
    assert line_of(text, "1530安全教育").startswith("1530安全教育：完成 1，迟交 0")
    assert "完成: 三(2)班" in text
    assert "日报告：已报告 0/27" in text and "计划：14:30 班级日报告" not in text


async def test_another_day_typed_shows_its_plan(app: App, clock: FakeClock) -> None:
    clock.set(local("2026-11-25 07:30"))
    monday = await today_text(app, D(2026, 11, 30))
    assert monday.splitlines()[0].startswith("📋 2026-11-30 概况")
    assert line_of(monday, "1530安全教育") == "1530安全教育：计划 48 项"
    assert "15:20–16:20 每日1分钟 ×24 · 每周主题班会10分钟 ×24 · 主题：消防安全" in monday
    assert "等待中" not in monday and "未完成" not in monday
    assert "计划：14:30 班级日报告 ×24 · 部门日报告 ×3" in monday
    saturday = await today_text(app, D(2026, 11, 28))
    assert "1530安全教育：当天没有安排。" in saturday and "班级日报告" not in saturday
    # A past school day whose tasks were never made: nothing was asked, nothing came in.
    tuesday = await today_text(app, D(2026, 11, 24))
    assert line_of(tuesday, "1530安全教育").startswith("1530安全教育：完成 0，迟交 0，未完成 24")
