"""The school calendar: which dates are school days, and why.

A school day is a day inside a term that the national calendar (``chinese_calendar``: public
holidays and the make-up working days of 调休) treats as a working day, minus the school's own
days off, plus its own extra days. Precedence, strongest first:

1. admin overrides (the /calendar table, passed in as a plain mapping),
2. config ``[calendar].days_off`` / ``extra_days`` (days_off wins if a date is in both),
3. the national calendar intersected with the terms.

``chinese_calendar`` only knows the years the State Council has announced. For any other year
the calendar assumes weekends-only (Monday–Friday are working days) instead of failing, and
``missing_national_calendar_warning`` tells admins in time.

A *school week* runs Sunday to Saturday and is named by the ISO week of its Monday. It is the
ISO week with the Sunday moved to the week it leads into, because a make-up Sunday (调休上班)
opens the following run of working days, while a make-up Saturday closes the previous one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from typing import Literal

import chinese_calendar
from chinese_calendar.constants import Holiday
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.settings import Settings
from storage.models import CalendarOverride

Lang = Literal["zh", "en"]

# Longer than any vacation: the run of days off after a term's last day is cut here, since
# after the last configured term it never ends.
MAX_RUN_DAYS = 100


class DayKind(StrEnum):
    SCHOOL_DAY = "school_day"
    WEEKEND = "weekend"
    NATIONAL_HOLIDAY = "national_holiday"
    VACATION = "vacation"
    SCHOOL_DAY_OFF = "school_day_off"
    EXTRA_SCHOOL_DAY = "extra_school_day"
    MAKEUP_WORKDAY = "makeup_workday"


SCHOOL_KINDS = frozenset({DayKind.SCHOOL_DAY, DayKind.EXTRA_SCHOOL_DAY, DayKind.MAKEUP_WORKDAY})


@dataclass(frozen=True, slots=True)
class DayInfo:
    day: date
    kind: DayKind
    reason: str = ""  # the admin's/config's reason, or the national holiday's name
    term: str | None = None  # the term the day falls in (None: vacation)
    national_holiday: str | None = None  # chinese_calendar's name, when it is a holiday day
    makeup_for: str | None = None  # the holiday a make-up working day (调休) pays for
    assumed: bool = False  # the year is unknown to chinese_calendar: weekends-only assumed

    @property
    def is_school_day(self) -> bool:
        return self.kind in SCHOOL_KINDS


@cache
def is_known_year(year: int) -> bool:
    """Whether chinese_calendar has the State Council's holiday arrangement for ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def school_week_bounds(day: date) -> tuple[date, date]:
    """The Sunday and Saturday of ``day``'s school week (see the module docstring)."""
    sunday = day - timedelta(days=(day.weekday() + 1) % 7)
    return sunday, sunday + timedelta(days=6)


def school_week_label(day: date) -> str:
    """The school week's name, ``2026-W10``: the ISO week of its Monday."""
    monday = school_week_bounds(day)[0] + timedelta(days=1)
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def days_between(start: date, end: date) -> Iterator[date]:
    """Every date from ``start`` to ``end``, both included."""
    for offset in range((end - start).days + 1):
        yield start + timedelta(days=offset)


class SchoolCalendar:
    """One school's calendar. Overrides are copied at construction: rebuild it after /calendar."""

    def __init__(
        self,
        settings: Settings,
        overrides: Mapping[date, tuple[bool, str]] | None = None,
    ) -> None:
        self.settings = settings
        self.tz = settings.school.tz
        self._terms = sorted((t.start, t.end, t.name) for t in settings.terms)
        self._overrides = dict(overrides or {})
        # Built in this order so that days_off overwrites extra_days for a date in both.
        self._config_days: dict[date, tuple[bool, str]] = {
            **{note.date: (True, note.reason) for note in settings.calendar.extra_days},
            **{note.date: (False, note.reason) for note in settings.calendar.days_off},
        }
        self._first_possible, self._last_possible = self._possible_span()
        self._cache: dict[date, DayInfo] = {}

    # -- one day -------------------------------------------------------------------------

    def day_info(self, day: date) -> DayInfo:
        info = self._cache.get(day)
        if info is None:
            info = self._cache[day] = self._compute(day)
        return info

    def is_school_day(self, day: date) -> bool:
        return self.day_info(day).is_school_day

    def is_known_year(self, year: int) -> bool:
        return is_known_year(year)

    # -- what the date parser needs (bot.core.dates.school.SchoolDays) ----------------------

    def term_spans(self) -> list[tuple[date, date, str]]:
        return list(self._terms)

    def holiday_name(self, day: date) -> str | None:
        return self.day_info(day).national_holiday

    def exam_span(self, term_start: date, exam: str) -> tuple[date, date] | None:
        term = next((t for t in self.settings.terms if t.start == term_start), None)
        span = getattr(term, exam, None) if exam in ("midterm", "final") else None
        return None if span is None else (span.start, span.end)

    # -- around a day --------------------------------------------------------------------

    def next_school_day(self, day: date) -> date | None:
        """The first school day after ``day``; None when no term or extra day lies ahead."""
        candidate = day + timedelta(days=1)
        while candidate <= self._last_possible:
            if self.is_school_day(candidate):
                return candidate
            candidate += timedelta(days=1)
        return None

    def previous_school_day(self, day: date) -> date | None:
        candidate = day - timedelta(days=1)
        while candidate >= self._first_possible:
            if self.is_school_day(candidate):
                return candidate
            candidate -= timedelta(days=1)
        return None

    def school_days(self, start: date, end: date) -> list[date]:
        """School days from ``start`` to ``end``, both included."""
        return [d for d in days_between(start, end) if self.is_school_day(d)]

    def school_week_start(self, day: date) -> date | None:
        """The first school day of ``day``'s school week, or None if that week has none."""
        sunday, saturday = school_week_bounds(day)
        return next((d for d in days_between(sunday, saturday) if self.is_school_day(d)), None)

    def days_off_after(self, day: date) -> list[DayInfo]:
        """The run of non-school days right after ``day`` (empty if the next day is a school
        day), cut at MAX_RUN_DAYS."""
        run: list[DayInfo] = []
        candidate = day + timedelta(days=1)
        while len(run) < MAX_RUN_DAYS:
            info = self.day_info(candidate)
            if info.is_school_day:
                break
            run.append(info)
            candidate += timedelta(days=1)
        return run

    def missing_national_calendar_warning(self, today: date, lang: str) -> str | None:
        return missing_national_calendar_warning(today, lang)

    # -- internals -----------------------------------------------------------------------

    def _possible_span(self) -> tuple[date, date]:
        # No school day can lie outside the terms, the extra days and the override school days;
        # this bounds the searches of next/previous_school_day.
        possible = [start for start, _, _ in self._terms] + [end for _, end, _ in self._terms]
        possible += [d for d, (school, _) in self._config_days.items() if school]
        possible += [d for d, (school, _) in self._overrides.items() if school]
        if not possible:
            return date.max, date.min
        return min(possible), max(possible)

    def _compute(self, day: date) -> DayInfo:
        national = self._national_info(day)
        school, reason = self._overrides.get(day) or self._config_days.get(day) or (None, "")
        if school is None:
            return national
        kind = DayKind.EXTRA_SCHOOL_DAY if school else DayKind.SCHOOL_DAY_OFF
        return replace(national, kind=kind, reason=reason)

    def _national_info(self, day: date) -> DayInfo:
        term = self._term_name(day)
        weekend = day.weekday() >= 5
        if not is_known_year(day.year):
            kind = DayKind.WEEKEND if weekend else DayKind.SCHOOL_DAY
            if term is None:
                kind = DayKind.VACATION
            return DayInfo(day, kind, term=term, assumed=True)
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
        national_holiday = name if is_holiday else None
        makeup_for = name if not is_holiday else None
        if term is None:
            kind = DayKind.VACATION
        elif national_holiday:
            kind = DayKind.NATIONAL_HOLIDAY
        elif is_holiday:
            kind = DayKind.WEEKEND
        elif makeup_for:
            kind = DayKind.MAKEUP_WORKDAY
        else:
            kind = DayKind.SCHOOL_DAY
        return DayInfo(
            day,
            kind,
            reason=name or "",
            term=term,
            national_holiday=national_holiday,
            makeup_for=makeup_for,
        )

    def _term_name(self, day: date) -> str | None:
        for start, end, name in self._terms:
            if start <= day <= end:
                return name
        return None


async def load_calendar(
    session: AsyncSession, school_id: int, settings: Settings
) -> SchoolCalendar:
    """The school's calendar with the admins' /calendar days, as of now."""
    rows = await session.scalars(
        select(CalendarOverride).where(CalendarOverride.school_id == school_id)
    )
    return SchoolCalendar(settings, {r.day: (r.is_school_day, r.reason) for r in rows})


def missing_national_calendar_warning(today: date, lang: str) -> str | None:
    """From 1 December, or during a year that is itself unknown, the admins' warning that the
    national holidays are missing; None when chinese_calendar knows the year ahead."""
    year = today.year + 1 if today.month == 12 else today.year
    if is_known_year(year):
        return None
    return t(lang, "calendar.missing_national", year=year)


# -- labels for people ---------------------------------------------------------------------


def holiday_label(name: str, lang: Lang) -> str:
    """A national holiday's name (chinese_calendar's English one) in one language: 国庆节 in
    zh, National Day in en; any other name as it is."""
    try:
        holiday = Holiday(name)
    except ValueError:
        return name
    return t(lang, f"holiday.{holiday.name}")


def _vacation_label(day: date, lang: Lang) -> str:
    # Terms end in January and July; the season is a good enough name for the break.
    if day.month in (12, 1, 2, 3):
        return "寒假" if lang == "zh" else "winter vacation"
    if day.month in (6, 7, 8, 9):
        return "暑假" if lang == "zh" else "summer vacation"
    return "假期" if lang == "zh" else "vacation"


def describe_day(info: DayInfo, lang: Lang = "zh") -> str:
    """A short label saying why the day is (not) a school day, for admins."""
    zh = lang == "zh"
    label = _kind_label(info, lang)
    if info.assumed:
        label += "（未知年份，按周末推定）" if zh else " (year unknown: weekends-only assumed)"
    return label


def _kind_label(info: DayInfo, lang: Lang) -> str:
    zh = lang == "zh"
    match info.kind:
        case DayKind.SCHOOL_DAY:
            return "上课日" if zh else "school day"
        case DayKind.WEEKEND:
            return "周末" if zh else "weekend"
        case DayKind.NATIONAL_HOLIDAY:
            return holiday_label(info.national_holiday or info.reason, lang)
        case DayKind.VACATION:
            label = _vacation_label(info.day, lang)
            if info.national_holiday:
                label += " · " + holiday_label(info.national_holiday, lang)
            return label
        case DayKind.MAKEUP_WORKDAY:
            festival = holiday_label(info.makeup_for or "", lang)
            return f"调休上课（{festival}）" if zh else f"make-up school day ({festival})"
        case DayKind.SCHOOL_DAY_OFF:
            return _with_reason("学校休息日" if zh else "school day off", info.reason, lang)
        case DayKind.EXTRA_SCHOOL_DAY:
            return _with_reason("补课日" if zh else "extra school day", info.reason, lang)


def _with_reason(label: str, reason: str, lang: Lang) -> str:
    if not reason:
        return label
    return f"{label}：{reason}" if lang == "zh" else f"{label}: {reason}"
