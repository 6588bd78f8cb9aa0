from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.settings import Settings
from scheduler.calendar import SchoolCalendar
from scheduler.planning import PlannedEvent, event_order
from scheduler.rules.education import plan_education
from tests.scheduler.factories import small_settings

D = date
SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHOOL_YEAR = (D(2025, 8, 25), D(2026, 7, 31))


def kinds(events: list[PlannedEvent]) -> Counter[str]:
    return Counter(event.kind for event in events)


def of_class(events: list[PlannedEvent], slug: str) -> dict[str, PlannedEvent]:
    return {event.kind: event for event in events if event.target == slug}


@pytest.fixture(scope="module")
def school_year(shipped: Settings, calendar: SchoolCalendar) -> list[PlannedEvent]:
    start, end = SCHOOL_YEAR
    days = (start + timedelta(days=n) for n in range((end - start).days + 1))
    return [event for day in days for event in plan_education(shipped, calendar, day)]


# -- times ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "dismissal"),
    [("1-1", time(15, 30)), ("2-4", time(15, 30)), ("3-2", time(16, 0)), ("6-4", time(16, 30))],
)
def test_prompt_time_is_dismissal_minus_ten_minutes(
    shipped: Settings, calendar: SchoolCalendar, slug: str, dismissal: time
) -> None:
    day = D(2026, 3, 4)
    event = of_class(plan_education(shipped, calendar, day), slug)["daily"]
    end_of_school = datetime.combine(day, dismissal, tzinfo=SHANGHAI)
    assert event.at == end_of_school - timedelta(minutes=10)
    assert event.deadline == end_of_school + timedelta(minutes=30)
    assert event.second_deadline == end_of_school + timedelta(minutes=60)
    assert event.at.utcoffset() == timedelta(hours=8)


def test_a_plain_school_day(shipped: Settings, calendar: SchoolCalendar) -> None:
    events = plan_education(shipped, calendar, D(2026, 3, 4))
    assert kinds(events) == {"daily": 24}
    event = of_class(events, "3-2")["daily"]
    assert event.key == "edu:daily:2026-03-04:3-2"
    assert (event.routine, event.minutes, event.target_name) == ("education", 1, "三(2)班")
    assert event.theme == "校园安全"
    assert event.points == ("课间不追逐打闹", "上下楼梯靠右行")


def test_events_are_ordered_by_time_class_and_kind(
    shipped: Settings, calendar: SchoolCalendar
) -> None:
    events = plan_education(shipped, calendar, D(2026, 3, 2))
    assert events == sorted(events, key=event_order)
    assert [e.target for e in events[:4]] == ["1-1", "1-1", "1-2", "1-2"]
    assert [e.kind for e in events[:2]] == ["daily", "weekly"]


# -- National Day 2025 ------------------------------------------------------------------------


def test_national_day_2025(shipped: Settings, calendar: SchoolCalendar) -> None:
    def plan(day: int, month: int = 10) -> Counter[str]:
        return kinds(plan_education(shipped, calendar, D(2025, month, day)))

    assert plan(26, 9) == {"weekend": 24}  # Friday before Saturday 27 Sept
    assert plan(28, 9) == {"daily": 24, "weekly": 24}  # make-up Sunday opens the week
    assert plan(29, 9) == {"daily": 24}
    assert plan(30, 9) == {"holiday": 24}
    for day in range(1, 9):
        assert plan(day) == {}
    assert plan(9) == {"daily": 24, "weekly": 24}  # the week of 6 Oct meets on Thursday
    assert plan(10) == {"daily": 24}
    assert plan(11) == {"weekend": 24}  # make-up Saturday, then Sunday off
    assert plan(13) == {"daily": 24, "weekly": 24}


def test_the_holiday_prompt_before_national_day(
    shipped: Settings, calendar: SchoolCalendar
) -> None:
    event = of_class(plan_education(shipped, calendar, D(2025, 9, 30)), "3-2")["holiday"]
    assert event.key == "edu:holiday:2025-09-30:3-2"
    assert event.minutes == 30
    assert event.at == datetime(2025, 9, 30, 15, 50, tzinfo=SHANGHAI)
    weekly = of_class(plan_education(shipped, calendar, D(2025, 9, 28)), "3-2")["weekly"]
    assert weekly.key == "edu:weekly:2025-09-28:3-2"
    assert (weekly.minutes, weekly.at) == (10, datetime(2025, 9, 28, 15, 50, tzinfo=SHANGHAI))


# -- Spring Festival 2026 (a hand-built term covering February) -------------------------------


def test_spring_festival_2026() -> None:
    settings = small_settings(terms=[(D(2026, 2, 2), D(2026, 7, 3))])
    cal = SchoolCalendar(settings)

    def plan(month: int, day: int) -> Counter[str]:
        return kinds(plan_education(settings, cal, D(2026, month, day)))

    assert plan(2, 9) == {"daily": 3, "weekly": 3}
    assert plan(2, 13) == {"daily": 3}  # Friday, and Saturday 14 is a make-up day
    assert plan(2, 14) == {"holiday": 3}  # make-up Saturday before the festival
    assert plan(2, 17) == {}
    assert plan(2, 24) == {"daily": 3, "weekly": 3}
    assert plan(2, 27) == {"daily": 3}
    assert plan(2, 28) == {"weekend": 3}  # make-up Saturday, then Sunday
    assert plan(3, 2) == {"daily": 3, "weekly": 3}


# -- Labour Day 2026 and the sports day -------------------------------------------------------


def test_labour_day_2026(shipped: Settings, calendar: SchoolCalendar) -> None:
    def plan(month: int, day: int) -> Counter[str]:
        return kinds(plan_education(shipped, calendar, D(2026, month, day)))

    assert plan(4, 23) == {"weekend": 24}  # Friday 24 April is the sports day: one day off
    assert plan(4, 24) == {}
    assert plan(4, 27) == {"daily": 24, "weekly": 24}
    assert plan(4, 30) == {"holiday": 24}
    for day in range(1, 6):
        assert plan(5, day) == {}
    assert plan(5, 6) == {"daily": 24, "weekly": 24}
    assert plan(5, 8) == {"daily": 24}
    assert plan(5, 9) == {"weekend": 24}


# -- ordinary weeks, term ends, days off ------------------------------------------------------


def test_an_ordinary_friday_gets_the_weekend_prompt(
    shipped: Settings, calendar: SchoolCalendar
) -> None:
    events = plan_education(shipped, calendar, D(2026, 3, 6))
    assert kinds(events) == {"weekend": 24}
    assert {e.minutes for e in events} == {5}
    assert of_class(events, "1-1")["weekend"].key == "edu:weekend:2026-03-06:1-1"


@pytest.mark.parametrize("last_day", [D(2026, 1, 23), D(2026, 7, 3), D(2027, 1, 22)])
def test_the_last_day_of_a_term_gets_the_holiday_prompt(
    shipped: Settings, calendar: SchoolCalendar, last_day: date
) -> None:
    events = plan_education(shipped, calendar, last_day)
    assert kinds(events) == {"holiday": 24}
    assert {e.minutes for e in events} == {30}


def test_days_off_of_the_school() -> None:
    settings = small_settings(
        days_off=[
            (D(2026, 3, 11), "单日"),
            (D(2026, 3, 18), "两日"),
            (D(2026, 3, 19), "两日"),
            (D(2026, 3, 27), "周五"),
        ]
    )
    cal = SchoolCalendar(settings)

    def plan(month: int, day: int) -> Counter[str]:
        return kinds(plan_education(settings, cal, D(2026, month, day)))

    assert plan(3, 10) == {"weekend": 3}  # one school day off: the short prompt
    assert plan(3, 17) == {"holiday": 3}  # two or more school days off: the long one
    assert plan(3, 16) == {"daily": 3, "weekly": 3}
    assert plan(3, 26) == {"weekend": 3}  # a long weekend is still a weekend


def test_overrides_change_the_plan(shipped: Settings) -> None:
    cal = SchoolCalendar(
        shipped,
        overrides={D(2026, 3, 13): (False, "暴雨停课"), D(2026, 3, 14): (True, "补课")},
    )
    assert kinds(plan_education(shipped, cal, D(2026, 3, 11))) == {"daily": 24}
    # Friday off, Saturday a school day: Thursday's run of days off is one day long.
    assert kinds(plan_education(shipped, cal, D(2026, 3, 12))) == {"weekend": 24}
    assert kinds(plan_education(shipped, cal, D(2026, 3, 13))) == {}
    assert kinds(plan_education(shipped, cal, D(2026, 3, 14))) == {"weekend": 24}


def test_an_unknown_year_plans_weekends_only(shipped: Settings, calendar: SchoolCalendar) -> None:
    assert kinds(plan_education(shipped, calendar, D(2027, 1, 1))) == {"weekend": 24}
    assert kinds(plan_education(shipped, calendar, D(2027, 1, 2))) == {}
    assert kinds(plan_education(shipped, calendar, D(2027, 1, 4))) == {"daily": 24, "weekly": 24}


# -- themes in events -------------------------------------------------------------------------


def test_themes_on_safety_days(shipped: Settings, calendar: SchoolCalendar) -> None:
    fire = of_class(plan_education(shipped, calendar, D(2026, 11, 9)), "1-1")  # a Monday
    assert fire["daily"].theme == fire["weekly"].theme == "119消防日"
    monday = of_class(plan_education(shipped, calendar, D(2026, 3, 30)), "1-1")
    assert monday["daily"].theme == monday["weekly"].theme == "全国中小学生安全教育日"
    # 9 Nov 2025 is a Sunday: the next Monday's meeting carries it, the daily prompt does not.
    week = of_class(plan_education(shipped, calendar, D(2025, 11, 10)), "1-1")
    assert (week["weekly"].theme, week["daily"].theme) == ("119消防日", "消防安全")


# -- settings switches ------------------------------------------------------------------------


def test_education_disabled_plans_nothing() -> None:
    settings = small_settings(education={"enabled": False})
    assert plan_education(settings, SchoolCalendar(settings), D(2026, 3, 2)) == []


def test_no_weekly_meeting_when_switched_off() -> None:
    settings = small_settings(education={"weekly_meeting": False})
    assert kinds(plan_education(settings, SchoolCalendar(settings), D(2026, 3, 2))) == {"daily": 3}


def test_minutes_and_deadlines_come_from_config() -> None:
    settings = small_settings(
        education={
            "minutes_before_dismissal": 5,
            "deadline_minutes_after_dismissal": 15,
            "second_deadline_minutes_after_dismissal": 45,
        }
    )
    event = of_class(plan_education(settings, SchoolCalendar(settings), D(2026, 3, 4)), "5-1")
    daily = event["daily"]
    assert daily.at == datetime(2026, 3, 4, 16, 25, tzinfo=SHANGHAI)
    assert daily.deadline == datetime(2026, 3, 4, 16, 45, tzinfo=SHANGHAI)
    assert daily.second_deadline == datetime(2026, 3, 4, 17, 15, tzinfo=SHANGHAI)


# -- a whole school year ----------------------------------------------------------------------


def test_keys_are_unique_and_well_formed_over_a_school_year(
    school_year: list[PlannedEvent],
) -> None:
    keys = [event.key for event in school_year]
    assert len(keys) == len(set(keys))
    pattern = re.compile(r"^edu:(daily|weekly|weekend|holiday):\d{4}-\d{2}-\d{2}:[a-z0-9-]+$")
    assert all(pattern.match(key) for key in keys)


def test_one_prompt_per_class_per_school_day(
    calendar: SchoolCalendar, school_year: list[PlannedEvent]
) -> None:
    prompts = Counter((e.day, e.target) for e in school_year if e.kind != "weekly")
    assert set(prompts.values()) == {1}
    school_days = calendar.school_days(*SCHOOL_YEAR)
    assert {day for day, _ in prompts} == set(school_days)
    assert len(prompts) == 24 * len(school_days)


def test_one_weekly_meeting_per_class_per_school_week(
    calendar: SchoolCalendar, school_year: list[PlannedEvent]
) -> None:
    meetings = [e for e in school_year if e.kind == "weekly"]
    weeks = {calendar.school_week_start(day) for day in calendar.school_days(*SCHOOL_YEAR)}
    assert {e.day for e in meetings} == weeks
    assert Counter(e.target for e in meetings) == {slug: len(weeks) for slug in _slugs(meetings)}
    assert all(e.minutes == 10 for e in meetings)


def test_the_school_year_at_a_glance(school_year: list[PlannedEvent]) -> None:
    holiday_days = sorted({e.day for e in school_year if e.kind == "holiday"})
    assert holiday_days == [
        D(2025, 9, 30),  # National Day
        D(2025, 12, 31),  # New Year
        D(2026, 1, 23),  # winter vacation
        D(2026, 4, 3),  # Tomb-sweeping Day (4–6 April)
        D(2026, 4, 30),  # Labour Day
        D(2026, 6, 18),  # Dragon Boat Festival (19–21 June)
        D(2026, 7, 3),  # summer vacation
    ]


def _slugs(events: list[PlannedEvent]) -> set[str]:
    return {event.target for event in events}
