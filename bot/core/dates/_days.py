"""Grammar for one calendar day: 明天, 下周五, 3月6日, 十五号, 三天后, next friday, 2026-03-06."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from ._context import (
    YEAR_WORD,
    ZH_REL,
    Context,
    DayOutcome,
    add_months,
    make_date,
    rel_offset,
    week_start,
    year_of,
)
from ._periods import edge_day
from ._school import school_day
from ._text import (
    EN_MONTH,
    EN_NUM,
    EN_WEEKDAY,
    NUM,
    ZH_WEEKDAY,
    en_month,
    en_weekday,
    to_int,
    zh_weekday,
)
from .result import Reason

__all__ = ["Context", "DayOutcome", "parse_day_phrase", "parse_end_day", "week_start"]


def _coming(start: date, weekday: int) -> date:
    """First `weekday` on or after `start`."""
    return start + timedelta(days=(weekday - start.isoweekday()) % 7)


def _previous(start: date, weekday: int) -> date:
    """Last `weekday` on or before `start`."""
    return start - timedelta(days=(start.isoweekday() - weekday) % 7)


def _in_week(today: date, weeks: int, weekday: int) -> date:
    return week_start(today, weeks) + timedelta(days=weekday - 1)


_NAMED_DAYS = {
    "今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3,
    "今": 0,  # said alone only as the end of a range: 3月1日至今
    "昨天": -1, "昨日": -1, "前天": -2, "大前天": -3,
    "today": 0, "tomorrow": 1, "yesterday": -1,
    "day after tomorrow": 2, "the day after tomorrow": 2,
    "day before yesterday": -2, "the day before yesterday": -2,
}  # fmt: skip


def _named(text: str, ctx: Context) -> DayOutcome:
    offset = _NAMED_DAYS.get(text)
    return None if offset is None else ctx.today + timedelta(days=offset)


_ZH_WEEKDAY_RE = re.compile(rf"(?P<rel>{ZH_REL})?(?:周|星期|礼拜)(?P<wd>{ZH_WEEKDAY})")


def _zh_weekday(text: str, ctx: Context) -> DayOutcome:
    match = _ZH_WEEKDAY_RE.fullmatch(text)
    if not match:
        return None
    weekday = zh_weekday(match["wd"])
    if match["rel"] is None:
        return _coming(ctx.today, weekday)
    return _in_week(ctx.today, rel_offset(match["rel"]), weekday)


_EN_WEEKDAY_RE = re.compile(
    rf"(?:(?P<rel>this|next|last|on)\s+)?(?P<wd>{EN_WEEKDAY})\.?(?:,?\s+(?P<week>this|next|last)\s+week)?"
)
_EN_WEEK_OFFSETS = {"this": 0, "next": 1, "last": -1}


def _en_weekday(text: str, ctx: Context) -> DayOutcome:
    match = _EN_WEEKDAY_RE.fullmatch(text)
    if not match:
        return None
    rel, week, weekday = match["rel"], match["week"], en_weekday(match["wd"])
    if week:
        if rel not in (None, "on"):
            return None  # "next friday last week" is not a date
        return _in_week(ctx.today, _EN_WEEK_OFFSETS[week], weekday)
    if rel == "this":
        return _in_week(ctx.today, 0, weekday)
    if rel in ("next", "last"):
        return _next_or_last(ctx, weekday, _EN_WEEK_OFFSETS[rel])
    return _coming(ctx.today, weekday)


def _next_or_last(ctx: Context, weekday: int, direction: int) -> DayOutcome:
    """English "next friday" is "Friday of next week" to some and "the coming Friday"
    to others. The readings only differ while that day is still ahead in this week
    (for "last", already behind), and then we ask instead of picking one."""
    of_week = _in_week(ctx.today, direction, weekday)
    if direction > 0:
        nearest = _coming(ctx.today + timedelta(days=1), weekday)
    else:
        nearest = _previous(ctx.today - timedelta(days=1), weekday)
    if nearest == of_week:
        return of_week
    return ctx.fail(Reason.AMBIGUOUS, "next/last weekday within this week", (nearest, of_week))


_ISO_RE = re.compile(r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})")
_ZH_DATE_RE = re.compile(rf"(?:(?P<y>{NUM}年|{YEAR_WORD}))?(?P<m>{NUM})月份?(?P<d>{NUM})[日号]?")


def _year_month_day(text: str, ctx: Context) -> DayOutcome:
    match = _ISO_RE.fullmatch(text) or _ZH_DATE_RE.fullmatch(text)
    if not match:
        return None
    return make_date(ctx, year_of(match["y"], ctx), to_int(match["m"]), to_int(match["d"]))


_ZH_DAY_OF_MONTH_RE = re.compile(rf"(?:(?P<mon>{ZH_REL})月)?(?P<d>{NUM})[日号]")
_EN_ORDINAL_RE = re.compile(r"(?:the\s+)?(?P<d>\d{1,2})(?:st|nd|rd|th)")


def _day_of_month(text: str, ctx: Context) -> DayOutcome:
    """十五号, 下个月3号, the 15th: rule: without a month it is the current month."""
    match = _ZH_DAY_OF_MONTH_RE.fullmatch(text) or _EN_ORDINAL_RE.fullmatch(text)
    if not match:
        return None
    month = ctx.today.replace(day=1)
    if match.re is _ZH_DAY_OF_MONTH_RE and match["mon"]:
        month = add_months(month, rel_offset(match["mon"]))
    return make_date(ctx, month.year, month.month, to_int(match["d"]))


_EN_MONTH_DAY_RE = re.compile(
    rf"(?P<mon>{EN_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{{4}}))?"
)
_EN_DAY_MONTH_RE = re.compile(
    rf"(?:the\s+)?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{EN_MONTH})\.?(?:,?\s+(?P<y>\d{{4}}))?"
)


def _en_month_day(text: str, ctx: Context) -> DayOutcome:
    match = _EN_MONTH_DAY_RE.fullmatch(text) or _EN_DAY_MONTH_RE.fullmatch(text)
    if not match:
        return None
    return make_date(ctx, year_of(match["y"], ctx), en_month(match["mon"]), int(match["d"]))


_NUMERIC_RE = re.compile(r"(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?:(?P=sep)(?P<y>\d{4}))?")


def _numeric(text: str, ctx: Context) -> DayOutcome:
    """3/4, 3-4, 4/3/2026: month/day to some, day/month to others, so we accept it
    only when one reading is impossible (3/25) or both give the same day (3/3).
    3.15 with a dot and no year is month.day, as Chinese writes it."""
    match = _NUMERIC_RE.fullmatch(text)
    if not match:
        return None
    year, a, b = year_of(match["y"], ctx), int(match["a"]), int(match["b"])
    if match["sep"] == "." and match["y"] is None:
        return make_date(ctx, year, a, b)  # 3.15, 10.1: Chinese writes month.day
    readings = {
        reading
        for reading in (make_date(ctx, year, a, b), make_date(ctx, year, b, a))
        if isinstance(reading, date)
    }
    if not readings:
        return ctx.fail(Reason.INVALID, "neither month/day nor day/month exists")
    if len(readings) == 1:
        return readings.pop()
    return ctx.fail(Reason.AMBIGUOUS, "numeric date without a year first", readings)


_ZH_OFFSET_RE = re.compile(
    rf"(?P<n>{NUM})(?P<unit>天|周|个?星期|个?礼拜|个月|年)(?P<dir>[以之]?[后前])"
)
_EN_IN_RE = re.compile(rf"in\s+(?P<n>{EN_NUM})\s+(?P<unit>day|week|month|year)s?(?:\s+time)?")
_EN_AGO_RE = re.compile(
    rf"(?P<n>{EN_NUM})\s+(?P<unit>day|week|month|year)s?\s+(?P<dir>ago|later|from\s+(?:now|today))"
)
_UNITS = {
    "天": "day", "周": "week", "星期": "week", "个星期": "week", "礼拜": "week",
    "个礼拜": "week", "个月": "month", "年": "year",
}  # fmt: skip


def _offset(text: str, ctx: Context) -> DayOutcome:
    """三天后, 两周前, in 3 days, 2 weeks ago: whole calendar days from today."""
    match = _ZH_OFFSET_RE.fullmatch(text) or _EN_IN_RE.fullmatch(text) or _EN_AGO_RE.fullmatch(text)
    if not match:
        return None
    count = to_int(match["n"])
    direction = match.groupdict().get("dir") or "in"
    if direction.endswith("前") or direction == "ago":
        count = -count
    unit = _UNITS.get(match["unit"], match["unit"])
    if unit == "day":
        return ctx.today + timedelta(days=count)
    if unit == "week":
        return ctx.today + timedelta(weeks=count)
    return add_months(ctx.today, count * (12 if unit == "year" else 1))


_GRAMMARS: tuple[Callable[[str, Context], DayOutcome], ...] = (
    _named,
    _zh_weekday,
    _en_weekday,
    _year_month_day,
    _day_of_month,
    _en_month_day,
    _numeric,
    _offset,
    edge_day,
    school_day,
)


def parse_day_phrase(text: str, ctx: Context) -> DayOutcome:
    """A day from our own grammar, or None when none of it applies."""
    for grammar in _GRAMMARS:
        outcome = grammar(text, ctx)
        if outcome is not None:
            return outcome
    return None


_BARE_DAY_RE = re.compile(rf"(?P<d>{NUM})(?P<suffix>[日号]|st|nd|rd|th)?")


def parse_end_day(text: str, start: date, ctx: Context, *, bare_number: bool) -> DayOutcome:
    """Right side of a range whose day has no month (3月1日到15日, march 1 to 15th):
    it belongs to the start's month. `bare_number` also allows "15" without 日."""
    match = _BARE_DAY_RE.fullmatch(text)
    if match is None or not (match["suffix"] or bare_number):
        return None
    return make_date(ctx, start.year, start.month, to_int(match["d"]))
