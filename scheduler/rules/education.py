"""The "1530" safety education rules: a school day → the education events of every class.

- 1 minute (daily): every school day, before dismissal.
- 10 minutes (weekly): a theme class meeting on the first school day of each school week
  (Sunday–Saturday, so a week opened by a make-up Sunday or a post-holiday Thursday has one).
- 5 minutes (weekend): on the last school day before days off that are neither a national
  holiday nor a vacation (a weekend, a single school day off).
- 30 minutes (holiday): on the last school day before a national holiday, a vacation (the last
  day of a term), or a run of two or more school-specific days off.

A class gets one of daily / weekend / holiday per day, the longest that applies; the weekly
meeting comes on top. Every event of a class on a day goes out at the same time: the grade's
dismissal minus ``minutes_before_dismissal``. The weekly meeting shares that time (rather than,
say, a morning slot) because the head teacher is already expecting the bot then and answers
both at once; its deadlines are the daily prompt's too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import NamedTuple

from bot.core.settings import ClassSettings, Settings
from scheduler.calendar import DayInfo, DayKind, SchoolCalendar
from scheduler.planned import Label, PlannedEvent, event_order
from scheduler.themes import Theme, day_theme, week_theme

ROUTINE = "education"
DAILY, WEEKLY, WEEKEND, HOLIDAY = "daily", "weekly", "weekend", "holiday"
MINUTES = {DAILY: 1, WEEKLY: 10, WEEKEND: 5, HOLIDAY: 30}

KIND_LABELS = {
    (ROUTINE, DAILY): Label("每日1分钟", "1-min daily"),
    (ROUTINE, WEEKLY): Label("每周主题班会10分钟", "10-min weekly meeting"),
    (ROUTINE, WEEKEND): Label("周末前5分钟", "5-min before the weekend"),
    (ROUTINE, HOLIDAY): Label("假前30分钟", "30-min before the holiday"),
}


class PromptTimes(NamedTuple):
    at: datetime
    deadline: datetime
    second_deadline: datetime


def plan_education(settings: Settings, calendar: SchoolCalendar, day: date) -> list[PlannedEvent]:
    education = settings.education
    if not education.enabled or not calendar.is_school_day(day):
        return []
    prompt_kind = prompt_kind_for(calendar, day)
    prompt_theme = day_theme(settings, day)
    meeting_theme = (
        week_theme(settings, day) if holds_weekly_meeting(settings, calendar, day) else None
    )
    times = prompt_times_by_grade(settings, calendar, day)

    events: list[PlannedEvent] = []
    for unit in settings.classes:
        events.append(_event(prompt_kind, day, unit, times[unit.grade], prompt_theme))
        if meeting_theme is not None:
            events.append(_event(WEEKLY, day, unit, times[unit.grade], meeting_theme))
    events.sort(key=event_order)
    return events


def prompt_kind_for(calendar: SchoolCalendar, day: date) -> str:
    """daily, weekend or holiday: the longest prompt that applies to the school day ``day``."""
    days_off = calendar.days_off_after(day)
    if not days_off:
        return DAILY
    return HOLIDAY if is_holiday_break(days_off) else WEEKEND


def is_holiday_break(days_off: Sequence[DayInfo]) -> bool:
    # A national holiday or a vacation day anywhere in the run makes it a holiday: Thursday
    # before a Friday–Sunday Dragon Boat break gets the 30 minutes, not the weekend's 5.
    if any(info.national_holiday or info.term is None for info in days_off):
        return True
    school_days_off = sum(1 for info in days_off if info.kind is DayKind.SCHOOL_DAY_OFF)
    return school_days_off >= 2


def holds_weekly_meeting(settings: Settings, calendar: SchoolCalendar, day: date) -> bool:
    return settings.education.weekly_meeting and calendar.school_week_start(day) == day


def prompt_times_by_grade(
    settings: Settings, calendar: SchoolCalendar, day: date
) -> dict[int, PromptTimes]:
    # Computed once per grade, so the classes of a grade share the datetime objects.
    education = settings.education
    times = {}
    for grade in settings.grades:
        dismissal = datetime.combine(day, grade.dismissal, tzinfo=calendar.tz)
        times[grade.grade] = PromptTimes(
            at=dismissal - timedelta(minutes=education.minutes_before_dismissal),
            deadline=dismissal + timedelta(minutes=education.deadline_minutes_after_dismissal),
            second_deadline=dismissal
            + timedelta(minutes=education.second_deadline_minutes_after_dismissal),
        )
    return times


def _event(
    kind: str, day: date, unit: ClassSettings, times: PromptTimes, theme: Theme
) -> PlannedEvent:
    return PlannedEvent(
        key=f"edu:{kind}:{day.isoformat()}:{unit.slug}",
        routine=ROUTINE,
        kind=kind,
        day=day,
        at=times.at,
        deadline=times.deadline,
        second_deadline=times.second_deadline,
        target=unit.slug,
        target_name=unit.name,
        theme=theme.title,
        points=theme.points,
        minutes=MINUTES[kind],
    )


PLANNERS = [plan_education]
