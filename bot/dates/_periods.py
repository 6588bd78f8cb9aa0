"""Grammar for spans of days: 本周, 上个月, 2026年3月, 最近7天, last week, march 2026."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import TypeAlias

from ._days import Context, add_months, week_start
from ._text import EN_MONTH, EN_NUM, NUM, en_month, to_int
from .result import DateRange, ParseFailure, Reason

RangeOutcome: TypeAlias = DateRange | ParseFailure | None

_RELATIVE = {
    "这": 0, "这个": 0, "本": 0, "上": -1, "上个": -1, "下": 1, "下个": 1,
    "this": 0, "last": -1, "previous": -1, "next": 1, "coming": 1,
}  # fmt: skip

_WEEK_RE = re.compile(
    r"(?P<rel>这个?|本|上个?|下个?)(?:周|星期|礼拜)|(?P<en>this|last|previous|next|coming)\s+week"
)


def _week(text: str, ctx: Context) -> RangeOutcome:
    """ISO weeks, Monday to Sunday, like the school timetable."""
    match = _WEEK_RE.fullmatch(text)
    if not match:
        return None
    monday = week_start(ctx.today, _RELATIVE[match["rel"] or match["en"]])
    return DateRange(monday, monday + timedelta(days=6))


_MONTH_RE = re.compile(
    r"(?P<rel>这个?|本|上个?|下个?)月份?|(?P<en>this|last|previous|next|coming)\s+month"
)


def _relative_month(text: str, ctx: Context) -> RangeOutcome:
    match = _MONTH_RE.fullmatch(text)
    if not match:
        return None
    first = add_months(ctx.today.replace(day=1), _RELATIVE[match["rel"] or match["en"]])
    return _whole_month(first.year, first.month, ctx)


_YEARS = {
    "今年": 0, "本年": 0, "去年": -1, "明年": 1,
    "this year": 0, "last year": -1, "next year": 1,
}  # fmt: skip
_YEAR_RE = re.compile(r"(?P<y>\d{4})年")


def _year(text: str, ctx: Context) -> RangeOutcome:
    if text in _YEARS:
        year = ctx.today.year + _YEARS[text]
    elif match := _YEAR_RE.fullmatch(text):
        year = int(match["y"])
    else:
        return None
    return DateRange(date(year, 1, 1), date(year, 12, 31))


_NUMERIC_MONTH_RE = re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})")
_ZH_MONTH_RE = re.compile(rf"(?:(?P<y>{NUM})年)?(?P<m>{NUM})月份?")
_EN_MONTH_RE = re.compile(rf"(?:in\s+)?(?P<mon>{EN_MONTH})\.?(?:,?\s+(?P<y>\d{{4}}))?")


def _named_month(text: str, ctx: Context) -> RangeOutcome:
    """2026-03, 2026年3月, 三月, march 2026; rule: no year means the current year."""
    match = _NUMERIC_MONTH_RE.fullmatch(text) or _ZH_MONTH_RE.fullmatch(text)
    if match:
        month = to_int(match["m"])
    elif match := _EN_MONTH_RE.fullmatch(text):
        month = en_month(match["mon"])
    else:
        return None
    year = to_int(match["y"]) if match["y"] else ctx.today.year
    return _whole_month(year + 2000 if year < 100 else year, month, ctx)


def _whole_month(year: int, month: int, ctx: Context) -> RangeOutcome:
    if not 1 <= month <= 12:
        return ctx.fail(Reason.INVALID, f"no month {month}")
    return DateRange(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


_RECENT_RE = re.compile(
    rf"(?:最近|过去|近)(?P<n>{NUM})(?P<unit>天|日|周|个?星期|个?礼拜|个月)"
    rf"|(?:the\s+)?(?:last|past|previous)\s+(?P<en>{EN_NUM})\s+(?P<en_unit>day|week|month)s?"
)


def _recent(text: str, ctx: Context) -> RangeOutcome:
    """最近7天 / last 7 days: the N days that end today, today included."""
    match = _RECENT_RE.fullmatch(text)
    if not match:
        return None
    count = to_int(match["n"] or match["en"])
    unit = match["unit"] or match["en_unit"]
    if count == 0:
        return ctx.fail(Reason.INVALID, "zero-length span")
    if unit.endswith("月") or unit == "month":
        start = add_months(ctx.today, -count) + timedelta(days=1)
    else:
        weeks = unit not in ("天", "日", "day")
        start = ctx.today - timedelta(days=count * (7 if weeks else 1) - 1)
    return DateRange(start, ctx.today)


_GRAMMARS: tuple[Callable[[str, Context], RangeOutcome], ...] = (
    _week,
    _relative_month,
    _year,
    _named_month,
    _recent,
)


def parse_period(text: str, ctx: Context) -> RangeOutcome:
    """A span longer than one day from our grammar, or None."""
    for grammar in _GRAMMARS:
        outcome = grammar(text, ctx)
        if outcome is not None:
            return outcome
    return None
