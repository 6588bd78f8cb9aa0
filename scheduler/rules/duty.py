"""24-hour duty time rules: a duty day → when each post's shifts run, when gate duty stands,
when reminders go out and which handovers happen at the end of each post's shifts.

Why no ``PLANNERS`` here: the generic planner turns (settings, calendar, day) into tasks per
unit, but duty tasks belong to the people on the roster, which lives in the database. So these
pure functions give the *slots* of a day, and the duty tick job (scheduler/duty/ticks.py) binds
them to the rostered people. Keeping the time rules pure keeps them testable without a database.

A duty day D starts when the first shift of its post starts on D; the night shift of D runs
into D+1 (17:30 → 07:30), so its holder hands over on the morning of D+1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from bot.core.settings import DutyPostSettings, DutySettings, Settings
from scheduler.calendar import SchoolCalendar
from scheduler.planned import Label
from storage.duty import LEADER_POST

DAY = timedelta(days=1)
# The duty tasks scheduler/duty/handover.py creates, named in the record book.
KIND_LABELS = {("duty", "handover"): Label("交接班", "handover")}


@dataclass(frozen=True, slots=True)
class PostSlot:
    """One shift post on one duty day: its holder is on duty from ``start`` to ``end``."""

    day: date
    post: str
    start: datetime  # aware, school zone
    end: datetime


@dataclass(frozen=True, slots=True)
class HandoverSlot:
    """At ``outgoing.end`` the holder of ``outgoing`` hands over to the holder of ``incoming``."""

    outgoing: PostSlot
    incoming: PostSlot

    @property
    def key(self) -> str:
        return f"{self.outgoing.day.isoformat()}:{self.outgoing.post}"


@dataclass(frozen=True, slots=True)
class GateWindow:
    start: datetime
    end: datetime


def shift_minutes(duty: DutySettings, slug: str) -> int:
    shift = next(s for s in duty.shifts if s.slug == slug)
    minutes = (_minutes(shift.end) - _minutes(shift.start)) % (24 * 60)
    return minutes or 24 * 60  # a shift ending when it starts lasts a full day


def post_settings(duty: DutySettings, slug: str) -> DutyPostSettings | None:
    return next((p for p in duty.posts if p.slug == slug), None)


def post_slot(settings: Settings, post: str, day: date) -> PostSlot | None:
    """The post's span on duty day ``day``; None for gate duty or an unknown post."""
    duty = settings.duty
    found = post_settings(duty, post)
    if found is None or not found.shifts:
        return None
    first = next(s for s in duty.shifts if s.slug == found.shifts[0])
    start = datetime.combine(day, first.start, tzinfo=settings.school.tz)
    length = sum(shift_minutes(duty, s) for s in found.shifts)
    return PostSlot(day, post, start, _add_minutes(start, length))


def post_slots(settings: Settings, day: date) -> list[PostSlot]:
    """Every shift post of duty day ``day``, by start time."""
    slots = [post_slot(settings, p.slug, day) for p in settings.duty.posts]
    return sorted((s for s in slots if s is not None), key=lambda s: (s.start, s.post))


def handover_slot(settings: Settings, outgoing: PostSlot) -> HandoverSlot | None:
    """Who takes over when ``outgoing`` ends: the ``handover_to`` post's slot that starts then."""
    found = post_settings(settings.duty, outgoing.post)
    if found is None or not found.handover_to:
        return None
    for offset in range(3):
        candidate = post_slot(settings, found.handover_to, outgoing.day + offset * DAY)
        if candidate is not None and candidate.start == outgoing.end:
            return HandoverSlot(outgoing, candidate)
    return None


def handover_slots(settings: Settings, day: date) -> list[HandoverSlot]:
    """The handovers at the end of duty day ``day``'s posts, by time."""
    found = [handover_slot(settings, slot) for slot in post_slots(settings, day)]
    return sorted(
        (h for h in found if h is not None), key=lambda h: (h.outgoing.end, h.outgoing.post)
    )


def gate_windows(settings: Settings, calendar: SchoolCalendar, day: date) -> list[GateWindow]:
    """Gate duty (护学岗) on a school day: at arrival, and around each grade's dismissal
    (grades dismissed together share a window; windows that meet or overlap merge, so the
    people standing at the gate from 15:20 to 16:50 are not reminded in the middle)."""
    if not calendar.is_school_day(day):
        return []
    duty, tz = settings.duty, settings.school.tz
    spans = [(_at(day, duty.gate_morning_start, tz), _at(day, duty.gate_morning_end, tz))]
    before = timedelta(minutes=duty.gate_minutes_before_dismissal)
    after = timedelta(minutes=duty.gate_minutes_after_dismissal)
    for dismissal in sorted({g.dismissal for g in settings.grades}):
        moment = _at(day, dismissal, tz)
        spans.append((moment - before, moment + after))
    return _merged(sorted(spans))


def evening_reminder_at(settings: Settings, day: date) -> datetime:
    """When the people on duty on ``day`` are told the evening before."""
    return _at(day - DAY, settings.duty.evening_reminder, settings.school.tz)


def shift_reminder_at(settings: Settings, slot: PostSlot) -> datetime:
    return slot.start - timedelta(minutes=settings.duty.remind_minutes_before)


def gate_reminder_at(settings: Settings, window: GateWindow) -> datetime:
    return window.start - timedelta(minutes=settings.duty.gate_remind_minutes_before)


def leader_day_at(settings: Settings, moment: datetime) -> date | None:
    """The duty day whose leader on duty is on duty at ``moment`` (07:00 belongs to
    yesterday's 24-hour leader); None when the leader post does not cover that moment."""
    local = moment.astimezone(settings.school.tz).date()
    for day in (local, local - DAY):
        slot = post_slot(settings, LEADER_POST, day)
        if slot is not None and slot.start <= moment < slot.end:
            return day
    return None


def _merged(spans: list[tuple[datetime, datetime]]) -> list[GateWindow]:
    windows: list[GateWindow] = []
    for start, end in spans:
        if windows and start <= windows[-1].end:
            last = windows.pop()
            windows.append(GateWindow(last.start, max(last.end, end)))
        else:
            windows.append(GateWindow(start, end))
    return windows


def _at(day: date, clock: time, tz: tzinfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz)


def _minutes(clock: time) -> int:
    return clock.hour * 60 + clock.minute


def _add_minutes(start: datetime, minutes: int) -> datetime:
    # Wall-clock arithmetic in the school's zone: a 07:30 shift ends at 07:30 whatever the
    # zone's offsets do in between.
    return start + timedelta(minutes=minutes)
