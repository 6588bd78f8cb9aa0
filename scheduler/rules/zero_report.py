"""The daily report / zero report rules (日报告、零报告): a school day → one event per unit.

Every class and every department reports every school day, "nothing happened" included. All
units are asked at the same time ([zero_report].prompt); the ones that have not answered by
[zero_report].remind get a reminder, and the duty leader gets the list of those still missing
at [zero_report].escalate. The end-of-day roll-up is not a task: it is a tick job of the
routine (scheduler/zero_report/rollup.py).
"""

from __future__ import annotations

from datetime import date, datetime

from bot.core.settings import Settings
from scheduler.calendar import SchoolCalendar
from scheduler.planned import Label, PlannedEvent, event_order

ROUTINE = "zero_report"
CLASS, DEPARTMENT = "class", "department"

KIND_LABELS = {
    (ROUTINE, CLASS): Label("班级日报告", "class daily report"),
    (ROUTINE, DEPARTMENT): Label("部门日报告", "department daily report"),
}


def task_key(day: date, unit_slug: str) -> str:
    return f"zero:{day.isoformat()}:{unit_slug}"


def plan_zero_report(settings: Settings, calendar: SchoolCalendar, day: date) -> list[PlannedEvent]:
    zero = settings.zero_report
    if not zero.enabled or not calendar.is_school_day(day):
        return []
    at = datetime.combine(day, zero.prompt, tzinfo=calendar.tz)
    deadline = datetime.combine(day, zero.remind, tzinfo=calendar.tz)
    second_deadline = datetime.combine(day, zero.escalate, tzinfo=calendar.tz)
    units = [(CLASS, c.slug, c.name) for c in settings.classes] + [
        (DEPARTMENT, d.slug, d.name) for d in settings.departments
    ]
    events = [
        PlannedEvent(
            key=task_key(day, slug),
            routine=ROUTINE,
            kind=kind,
            day=day,
            at=at,
            deadline=deadline,
            second_deadline=second_deadline,
            target=slug,
            target_name=name,
        )
        for kind, slug, name in units
    ]
    events.sort(key=event_order)
    return events


PLANNERS = [plan_zero_report]
