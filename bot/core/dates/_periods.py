"""Grammar for spans of days: 本周, 上个月, 2026年3月, 最近7天, last week, march 2026;
and their edges: 月底, 下周末, 上半年, 第一季度, Q3."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from ._context import (
    YEAR_WORD,
    ZH_REL,
    Context,
    DayOutcome,
    RangeOutcome,
    add_months,
    month_end,
    rel_offset,
    week_start,
    year_of,
)
from ._school import school_span
from ._text import EN_MONTH, EN_NUM, NUM, en_month, to_int
from .result import DateRange, ParseFailure, Reason

_WEEK_RE = re.compile(
    rf"(?P<rel>{ZH_REL})(?:周|星期|礼拜)|(?P<en>this|last|previous|next|coming)\s+week"
)


def _week(text: str, ctx: Context) -> RangeOutcome:
    """ISO weeks, Monday to Sunday, like the school timetable."""
    match = _WEEK_RE.fullmatch(text)
    if not match:
        return None
    monday = week_start(ctx.today, rel_offset(match["rel"] or match["en"]))
    return DateRange(monday, monday + timedelta(days=6))


_MONTH_RE = re.compile(rf"(?P<rel>{ZH_REL})月份?|(?P<en>this|last|previous|next|coming)\s+month")


def _relative_month(text: str, ctx: Context) -> RangeOutcome:
    match = _MONTH_RE.fullmatch(text)
    if not match:
        return None
    first = add_months(ctx.today.replace(day=1), rel_offset(match["rel"] or match["en"]))
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
_ZH_MONTH_RE = re.compile(rf"(?:(?P<y>{NUM}年|{YEAR_WORD}))?(?P<m>{NUM})月份?")
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
    return _whole_month(year_of(match["y"], ctx), month, ctx)


def _whole_month(year: int, month: int, ctx: Context) -> RangeOutcome:
    if not 1 <= month <= 12:
        return ctx.fail(Reason.INVALID, f"no month {month}")
    return DateRange(date(year, month, 1), month_end(year, month))


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


# The edges of a month, as schools split it in 旬: 初/上旬 = 1-10, 中/中旬 = 11-20, 底/末/下旬 =
# 21-the end. Asked for one day, 月初 is the 1st, 月中 the 15th, 月底 the last day (a deadline's
# 月底前); the 旬 words are always ten days, so a day there is ambiguous.
_EDGES = {
    "初": 0, "头": 0, "上旬": 0, "beginning": 0, "start": 0,
    "中": 1, "中旬": 1, "middle": 1, "mid": 1,
    "底": 2, "末": 2, "尾": 2, "下旬": 2, "end": 2,
}  # fmt: skip
_MONTH_EDGE_RE = re.compile(
    rf"(?:(?P<rel>{ZH_REL})|(?P<y>{NUM}年|{YEAR_WORD})?(?P<m>{NUM}))?月份?"
    r"(?P<edge>初|头|中|底|末|尾|上旬|中旬|下旬)"
    rf"|(?:the\s+)?(?P<en>beginning|start|middle|mid|end)(?:\s+of|-)\s*(?:the\s+)?"
    rf"(?:(?P<en_rel>this|next|last)\s+)?(?:month|(?P<en_m>{EN_MONTH}))"
)


def _month_edge(text: str, ctx: Context) -> tuple[date, int] | ParseFailure | None:
    """The month's first day and which third (0, 1, 2) of it the text names."""
    match = _MONTH_EDGE_RE.fullmatch(text)
    if not match:
        return None
    first = ctx.today.replace(day=1)
    if match["rel"] or match["en_rel"]:
        first = add_months(first, rel_offset(match["rel"] or match["en_rel"]))
    elif match["m"] or match["en_m"]:
        month = to_int(match["m"]) if match["m"] else en_month(match["en_m"])
        if not 1 <= month <= 12:
            return ctx.fail(Reason.INVALID, f"no month {month}")
        first = date(year_of(match["y"], ctx), month, 1)
    return first, _EDGES[match["edge"] or match["en"]]


def _third(first: date, third: int) -> DateRange:
    if third == 2:
        return DateRange(first.replace(day=21), month_end(first.year, first.month))
    return DateRange(first.replace(day=1 + 10 * third), first.replace(day=10 + 10 * third))


def _month_edge_span(text: str, ctx: Context) -> RangeOutcome:
    edge = _month_edge(text, ctx)
    return edge if edge is None or isinstance(edge, ParseFailure) else _third(*edge)


def edge_day(text: str, ctx: Context) -> DayOutcome:
    """月底 → the month's last day, 月初 → the 1st, 月中 → the 15th; 年底 → 31 December."""
    edge = _month_edge(text, ctx)
    if edge is None:
        return _year_edge_day(text, ctx)
    if isinstance(edge, ParseFailure):
        return edge
    first, third = edge
    if "旬" in text:
        return ctx.fail(Reason.AMBIGUOUS, "ten days, not one day")
    if third == 2:
        return month_end(first.year, first.month)
    return first.replace(day=1 if third == 0 else 15)


_YEAR_PREFIX = rf"(?:(?P<y>{NUM})年|(?P<yw>{YEAR_WORD})年?"
_YEAR_EDGE_RE = re.compile(rf"{_YEAR_PREFIX}|年)(?P<edge>初|中|底|末|尾)")
# 年初 = January, 年中 = June and July, 年底 = December
_YEAR_EDGE_MONTHS = {"初": (1, 1), "中": (6, 7), "底": (12, 12), "末": (12, 12), "尾": (12, 12)}


def _prefixed_year(match: re.Match[str], ctx: Context) -> int:
    return year_of(match["y"] or match["yw"], ctx)


def _year_edge(text: str, ctx: Context) -> RangeOutcome:
    match = _YEAR_EDGE_RE.fullmatch(text)
    if not match:
        return None
    year = _prefixed_year(match, ctx)
    first, last = _YEAR_EDGE_MONTHS[match["edge"]]
    return DateRange(date(year, first, 1), month_end(year, last))


def _year_edge_day(text: str, ctx: Context) -> DayOutcome:
    span = _year_edge(text, ctx)
    if span is None or isinstance(span, ParseFailure):
        return span
    if span.start.month == 1:
        return span.start
    if span.start.month == 12:
        return span.end
    return ctx.fail(Reason.AMBIGUOUS, "年中 is two months, not one day")


_HALF_RE = re.compile(rf"(?:{_YEAR_PREFIX}))?(?P<half>[上前下后])半年")


def _half_year(text: str, ctx: Context) -> RangeOutcome:
    """上半年 = January to June, 下半年 = July to December of the year (this one if unsaid)."""
    match = _HALF_RE.fullmatch(text)
    if not match:
        return None
    year = _prefixed_year(match, ctx)
    first = 1 if match["half"] in "上前" else 7
    return DateRange(date(year, first, 1), month_end(year, first + 5))


_QUARTER_RE = re.compile(
    rf"(?:{_YEAR_PREFIX}))?第?(?P<q>[一二三四1-4])季度?"
    r"|(?:(?P<y2>\d{4})\s*年?\s*)?q(?P<q2>[1-4])(?:\s*(?P<y3>\d{4}))?"
    rf"|(?P<rel>{ZH_REL})季度|(?P<en>this|last|previous|next|coming)\s+quarter"
)


def _quarter(text: str, ctx: Context) -> RangeOutcome:
    """第一季度, 三季度, 2026年Q3, Q3, 本季度, next quarter: calendar quarters."""
    match = _QUARTER_RE.fullmatch(text)
    if not match:
        return None
    if match["rel"] or match["en"]:
        this = ctx.today.replace(day=1, month=(ctx.today.month - 1) // 3 * 3 + 1)
        first = add_months(this, 3 * rel_offset(match["rel"] or match["en"]))
        return DateRange(first, month_end(*_month_of(add_months(first, 2))))
    if match["q"]:
        year, quarter = _prefixed_year(match, ctx), to_int(match["q"])
    else:
        year, quarter = year_of(match["y2"] or match["y3"], ctx), int(match["q2"])
    first_month = 3 * quarter - 2
    return DateRange(date(year, first_month, 1), month_end(year, first_month + 2))


def _month_of(day: date) -> tuple[int, int]:
    return day.year, day.month


_WEEKEND_RE = re.compile(rf"(?P<rel>{ZH_REL})?周末|(?:(?P<en>this|next|last|coming)\s+)?weekend")


def _weekend(text: str, ctx: Context) -> RangeOutcome:
    """周末 / 这周末 / 下周末 / next weekend: Saturday and Sunday of that ISO week."""
    match = _WEEKEND_RE.fullmatch(text)
    if not match:
        return None
    rel = match["rel"] or match["en"]
    monday = week_start(ctx.today, rel_offset(rel) if rel else 0)
    return DateRange(monday + timedelta(days=5), monday + timedelta(days=6))


_GRAMMARS: tuple[Callable[[str, Context], RangeOutcome], ...] = (
    _week,
    _relative_month,
    _year,
    _named_month,
    _recent,
    _month_edge_span,
    _year_edge,
    _half_year,
    _quarter,
    _weekend,
    school_span,
)


def parse_period(text: str, ctx: Context) -> RangeOutcome:
    """A span longer than one day from our grammar, or None."""
    for grammar in _GRAMMARS:
        outcome = grammar(text, ctx)
        if outcome is not None:
            return outcome
    return None
