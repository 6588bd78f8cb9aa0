"""What every grammar shares: the context of one parse, and date arithmetic."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal, TypeAlias
from zoneinfo import ZoneInfo

from ._text import to_int
from .result import DateRange, ParseFailure, Reason
from .school import SchoolDays

# What the caller wants back: a moment (a deadline), a day (/today), or a span (/export).
Want: TypeAlias = Literal["moment", "day", "range"]


@dataclass(frozen=True, slots=True)
class Context:
    now: datetime  # aware, already converted to `tz`
    tz: ZoneInfo  # the school's zone; every result is expressed in it
    text: str  # the user's trimmed input, echoed back in failures
    calendar: SchoolDays | None = None  # terms, vacations, holidays; None: no school phrases
    want: Want = "moment"
    part_times: Mapping[str, time] = field(default_factory=dict)  # the school's 下午 = 17:00

    @property
    def today(self) -> date:
        return self.now.date()

    def fail(self, reason: Reason, detail: str, candidates: Iterable[date] = ()) -> ParseFailure:
        return ParseFailure(reason, self.text, detail, tuple(sorted(candidates)))


# None means "not a phrase this grammar knows", so the caller tries the next one;
# a ParseFailure means "ours, and wrong", which must stop the search.
DayOutcome: TypeAlias = date | ParseFailure | None
RangeOutcome: TypeAlias = DateRange | ParseFailure | None


def week_start(day: date, weeks: int = 0) -> date:
    """Monday of the ISO week containing `day`, shifted by `weeks`."""
    return day - timedelta(days=day.isoweekday() - 1) + timedelta(weeks=weeks)


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (1月31日 + 1 month = 2月28日)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def make_date(ctx: Context, year: int, month: int, day: int) -> date | ParseFailure:
    try:
        return date(year, month, day)
    except ValueError:
        return ctx.fail(Reason.INVALID, f"no such day {year}-{month}-{day}")


def rel_offset(word: str) -> int:
    """这/本 = 0, 上 = -1, 下下 = +2, this/next/last: how many weeks or months away."""
    if word in _EN_RELATIVE:
        return _EN_RELATIVE[word]
    return word.count("下") - word.count("上")


_EN_RELATIVE = {"this": 0, "last": -1, "previous": -1, "next": 1, "coming": 1}

# 这周, 本月, 上个月, 下下周: the Chinese words that place a week or a month
ZH_REL = r"(?:这个?|本|上+个?|下+个?)"

_YEAR_WORDS = {"今年": 0, "本年": 0, "去年": -1, "明年": 1, "前年": -2, "后年": 2}
# a year in front of a month or day: 2026年, 二〇二六年, 今年, 去年, 明年
YEAR_WORD = r"(?:今年|本年|去年|明年|前年|后年)"


def year_of(token: str | None, ctx: Context) -> int:
    """The year a token names (2026, 26, 今年, 去年); no token: the current year."""
    if token is None:
        return ctx.today.year  # rule: a date without a year is in the current year
    if token in _YEAR_WORDS:
        return ctx.today.year + _YEAR_WORDS[token]
    year = to_int(token.removesuffix("年"))
    return year + 2000 if year < 100 else year
