"""Value types returned by the date parser.

Failures are returned, not raised: a chat command always has to answer the
user, so making the failure a value keeps "what do we tell them" next to the
call instead of in an ``except`` far away.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TypeAlias


class Reason(StrEnum):
    """Why a phrase could not be turned into a date."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    AMBIGUOUS = "ambiguous"  # several readings; `candidates` lists the dates when known
    INVALID = "invalid"  # the shape is a date/time but the value does not exist (2月30日, 25点)
    REVERSED = "reversed"  # a range whose end is before its start
    YEAR_UNCLEAR = "year_unclear"  # no year and crossing New Year: `candidates` = (start, end)
    UNPARSEABLE = "unparseable"


@dataclass(frozen=True, slots=True)
class ParseFailure:
    reason: Reason
    text: str  # what the user typed, trimmed, for echoing back
    detail: str = ""  # English, for logs and tests, never shown to users
    # readings of an ambiguous phrase, earliest first: dates, or datetimes when a moment was
    # wanted and only the time is unclear (周三下午 → 14:00 or 17:00)
    candidates: tuple[date, ...] = ()


@dataclass(frozen=True, slots=True)
class Moment:
    """A point in time, or a whole day when ``has_time`` is False.

    ``at`` is aware and in the school's zone; for a day it is that day's midnight
    so callers can store one type, but should look at ``has_time`` before
    showing or scheduling the clock part.
    """

    at: datetime
    has_time: bool

    @property
    def day(self) -> date:
        return self.at.date()


@dataclass(frozen=True, slots=True)
class DateRange:
    """Inclusive range of days: ``start`` and ``end`` both belong to it."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


ParseResult: TypeAlias = Moment | ParseFailure
DayResult: TypeAlias = date | ParseFailure
RangeResult: TypeAlias = DateRange | ParseFailure
