from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from bot.core.settings import Settings
from scheduler.calendar import SchoolCalendar
from scheduler.planning import (
    PlannedEvent,
    default_planners,
    events_as_json,
    format_plan_text,
    plan_day,
    plan_range,
)
from scheduler.rules.education import plan_education

# These tests are about the planner and the 1530 rules; other routines have their own tests.
EDUCATION = [plan_education]

D = date
NATIONAL_DAY_WEEK = (D(2025, 9, 28), D(2025, 10, 4))


def zero_report(settings: Settings, calendar: SchoolCalendar, day: date) -> list[PlannedEvent]:
    """A stand-in for another routine's planner."""
    if not calendar.is_school_day(day):
        return []
    at = datetime.combine(day, settings.zero_report.prompt, tzinfo=calendar.tz)
    return [
        PlannedEvent(
            key=f"zero:{day.isoformat()}:{unit.slug}",
            routine="zero_report",
            kind="daily",
            day=day,
            at=at,
            deadline=at + timedelta(hours=1),
            second_deadline=None,
            target=unit.slug,
            target_name=unit.name,
        )
        for unit in settings.departments
    ]


def test_education_is_registered() -> None:
    assert plan_education in default_planners()


def test_plan_day_merges_routines_in_time_order(
    shipped: Settings, calendar: SchoolCalendar
) -> None:
    events = plan_day(shipped, calendar, D(2026, 3, 4), [plan_education, zero_report])
    assert [e.routine for e in events[:3]] == ["zero_report"] * 3  # 14:30 comes before 15:20
    assert len(events) == 3 + 24
    assert events == plan_day(shipped, calendar, D(2026, 3, 4), [zero_report, plan_education])
    assert plan_day(shipped, calendar, D(2026, 3, 4), []) == []


def test_plan_range_is_plan_day_for_each_date(shipped: Settings, calendar: SchoolCalendar) -> None:
    start, end = NATIONAL_DAY_WEEK
    events = plan_range(shipped, calendar, start, end, EDUCATION)
    by_day = [
        e for n in range(7) for e in plan_day(shipped, calendar, start + timedelta(n), EDUCATION)
    ]
    assert events == by_day
    assert len(events) == 24 * 4  # Sun: daily + weekly, Mon: daily, Tue: holiday
    assert plan_range(shipped, calendar, start, end, EDUCATION) == events


def test_events_as_json_shape(shipped: Settings, calendar: SchoolCalendar) -> None:
    rows = events_as_json(plan_day(shipped, calendar, D(2025, 9, 28), EDUCATION))
    assert len(rows) == 48
    assert all(
        set(row) == {"date", "time", "routine", "kind", "theme", "target", "key"} for row in rows
    )
    assert rows[0] == {
        "date": "2025-09-28",
        "time": "15:20",
        "routine": "education",
        "kind": "daily",
        "theme": "交通安全",
        "target": "一(1)班",
        "key": "edu:daily:2025-09-28:1-1",
    }
    assert rows[-1]["time"] == "16:20" and rows[-1]["target"] == "六(4)班"
    assert json.loads(json.dumps(rows, ensure_ascii=False)) == rows


def test_plan_text_for_the_national_day_week(shipped: Settings, calendar: SchoolCalendar) -> None:
    start, end = NATIONAL_DAY_WEEK
    text = format_plan_text(
        plan_range(shipped, calendar, start, end, EDUCATION), calendar, start, end
    )
    lines = text.splitlines()
    assert len(lines) == 1 + 7
    assert lines[0] == "吕墅小学（演示） 安全工作计划 2025-09-28～2025-10-04（共 96 项）"
    assert lines[1] == (
        "2025-09-28 周日  调休上课（国庆节） · "
        "15:20–16:20 每日1分钟 ×24 · 每周主题班会10分钟 ×24 · 主题：交通安全"
    )
    assert lines[2] == "2025-09-29 周一  15:20–16:20 每日1分钟 ×24 · 主题：交通安全"
    assert lines[3] == "2025-09-30 周二  15:20–16:20 假前30分钟 ×24 · 主题：交通安全"
    assert lines[4] == "2025-10-01 周三  国庆节"
    assert len(text) < 4000


def test_plan_text_in_english(shipped: Settings, calendar: SchoolCalendar) -> None:
    start, end = D(2026, 4, 20), D(2026, 4, 26)
    events = plan_range(shipped, calendar, start, end, EDUCATION)
    text = format_plan_text(events, calendar, start, end, lang="en")
    assert "safety plan 2026-04-20 – 2026-04-26 (120 tasks)" in text
    assert "2026-04-23 Thu  15:20–16:20 5-min before the weekend ×24 · theme: 防溺水" in text
    assert "2026-04-24 Fri  school day off: 春季运动会" in text
    assert "2026-04-25 Sat  weekend" in text


def test_plan_text_with_several_routines_keeps_each_span(
    shipped: Settings, calendar: SchoolCalendar
) -> None:
    day = D(2026, 3, 4)
    events = plan_day(shipped, calendar, day, [plan_education, zero_report])
    line = format_plan_text(events, calendar, day, day).splitlines()[1]
    assert line == (
        "2026-03-04 周三  14:30 zero_report:daily ×3 · 15:20–16:20 每日1分钟 ×24 · 主题：校园安全"
    )


def test_plan_text_for_a_busy_week_fits_one_message(
    shipped: Settings, calendar: SchoolCalendar
) -> None:
    start, end = D(2026, 11, 8), D(2026, 11, 14)
    events = plan_range(shipped, calendar, start, end, [plan_education, zero_report])
    assert len(format_plan_text(events, calendar, start, end)) < 1500
    empty = format_plan_text([], calendar, start, end)
    assert "2026-11-09 周一  无计划任务" in empty
