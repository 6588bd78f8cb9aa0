"""What the parser needs to know of a school's calendar, as a protocol.

``scheduler.calendar.SchoolCalendar`` satisfies it; the parser never imports the
scheduler (which imports the parser), so commands pass their calendar in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol


class SchoolDays(Protocol):
    def term_spans(self) -> Sequence[tuple[date, date, str]]:
        """The terms as (first day, last day, name), in order; the gaps are vacations."""
        ...

    def is_school_day(self, day: date) -> bool:
        """Whether pupils come in that day (national make-up days and overrides included)."""
        ...

    def holiday_name(self, day: date) -> str | None:
        """chinese_calendar's English name of the national holiday on ``day``
        ("National Day", "Labour Day"), or None on any other day."""
        ...

    def exam_span(self, term_start: date, exam: str) -> tuple[date, date] | None:
        """The exam period ``exam`` ("midterm" 期中 or "final" 期末) of the term that starts
        on ``term_start``, as (first day, last day); None when config does not name it."""
        ...
