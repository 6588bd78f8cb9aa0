"""Inspection rules (隐患排查): a school day → one task per check that is due that day.

The seed school's four levels: 责任人每日查 (``daily``: every school day), 处室自己组织查
(``weekly``: the school week's first school day; ``monthly``: the month's first school day),
学校领导小组集中查 (``term_start``: the term's first school day; ``before_holiday``: the last
school day before a national holiday or a vacation, as the 1530's 30-minute lesson). 全体教工
时刻查 is /hazard, any time. A check due twice on one day (a term starting on a Monday) is one
task, named by its rarest rhythm.

A task carries what its prompt needs (the items with their area, the owner), so a change of
config.toml during the day does not shift the buttons of a prompt already sent.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.core.settings import InspectionCheckSettings, Settings
from scheduler.calendar import SchoolCalendar, days_between
from scheduler.planned import Label, PlannedEvent, event_order
from scheduler.rules.education import is_holiday_break

ROUTINE = "inspection"
# The rarest first: the kind a task is named by when several rhythms fall on one day.
RHYTHMS = ("term_start", "before_holiday", "monthly", "weekly", "daily")

KIND_LABELS = {
    (ROUTINE, "daily"): Label("每日检查", "daily inspection"),
    (ROUTINE, "weekly"): Label("每周检查", "weekly inspection"),
    (ROUTINE, "monthly"): Label("每月检查", "monthly inspection"),
    (ROUTINE, "term_start"): Label("开学检查", "start-of-term inspection"),
    (ROUTINE, "before_holiday"): Label("假前检查", "before-holiday inspection"),
}


def task_key(day: date, check_id: str) -> str:
    return f"insp:{day.isoformat()}:{check_id}"


def rhythm_due(rhythm: str, calendar: SchoolCalendar, day: date) -> bool:
    """Whether a check of this rhythm is due on ``day`` (a school day)."""
    match rhythm:
        case "daily":
            return True
        case "weekly":
            return calendar.school_week_start(day) == day
        case "monthly":
            return not _school_day_between(calendar, day.replace(day=1), day)
        case "term_start":
            term = next((s for s, e, _ in calendar.term_spans() if s <= day <= e), None)
            return term is not None and not _school_day_between(calendar, term, day)
        case "before_holiday":
            days_off = calendar.days_off_after(day)
            return bool(days_off) and is_holiday_break(days_off)
    return False


def _school_day_between(calendar: SchoolCalendar, start: date, day: date) -> bool:
    """A school day from ``start`` to the day before ``day``."""
    return any(calendar.is_school_day(d) for d in days_between(start, day - timedelta(days=1)))


def due_kind(check: InspectionCheckSettings, calendar: SchoolCalendar, day: date) -> str | None:
    return next((r for r in RHYTHMS if r in check.rhythm and rhythm_due(r, calendar, day)), None)


def owner_of(check: InspectionCheckSettings) -> str:
    """The owner as the task keeps it: role:admin, unit:canteen or person:王主任."""
    if check.role:
        return f"role:{check.role}"
    if check.department:
        return f"unit:{check.department}"
    return f"person:{check.person}"


def plan_inspections(settings: Settings, calendar: SchoolCalendar, day: date) -> list[PlannedEvent]:
    inspections = settings.inspections
    if not inspections.enabled or not calendar.is_school_day(day):
        return []
    events = []
    for check in inspections.checks:
        kind = due_kind(check, calendar, day)
        if kind is None:
            continue
        items = tuple(
            (area.id, item.zh, item.en or item.zh) for area, item in inspections.items_of(check)
        )
        events.append(
            PlannedEvent(
                key=task_key(day, check.id),
                routine=ROUTINE,
                kind=kind,
                day=day,
                at=datetime.combine(day, check.at or inspections.at, tzinfo=calendar.tz),
                deadline=datetime.combine(
                    day, check.remind or inspections.remind, tzinfo=calendar.tz
                ),
                second_deadline=datetime.combine(
                    day, check.escalate or inspections.escalate, tzinfo=calendar.tz
                ),
                # A department's check belongs to its unit; the others to nobody's unit.
                target=check.department or check.id,
                target_name=check.zh,
                theme=check.zh,
                extra=(
                    ("check", check.id),
                    ("name_en", check.en or check.zh),
                    ("owner", owner_of(check)),
                    ("items", items),
                ),
            )
        )
    events.sort(key=event_order)
    return events


PLANNERS = [plan_inspections]
