"""The three public parsers: which grammar is tried in which order."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import overload
from zoneinfo import ZoneInfo

from ._clock import ClockTime, Vague, parse_clock, parse_elapsed
from ._context import YEAR_WORD, Context, RangeOutcome, Want, week_start
from ._days import parse_day_phrase, parse_end_day
from ._fallback import fallback_moment
from ._periods import parse_period
from ._text import (
    EN_MONTH,
    EN_WEEKDAY,
    MAX_LENGTH,
    NUM,
    ZH_WEEKDAY,
    en_weekday,
    normalize,
    zh_weekday,
)
from .result import DateRange, DayResult, Moment, ParseFailure, ParseResult, RangeResult, Reason
from .school import SchoolDays


def parse_moment(
    text: str,
    now: datetime,
    *,
    tz: ZoneInfo,
    calendar: SchoolDays | None = None,
    part_times: Mapping[str, time] | None = None,
) -> ParseResult:
    """A point in time (明天下午3点) or a whole day (下周五, has_time=False).

    A part of the day without an hour (周三下午) is AMBIGUOUS with the times it may mean as
    candidates; `part_times` (the school's own, e.g. {"下午": 17:00}) adds to them."""
    return _point(text, now, tz, calendar, "moment", part_times or {})


def parse_day(
    text: str, now: datetime, *, tz: ZoneInfo, calendar: SchoolDays | None = None
) -> DayResult:
    """The day of `parse_moment`; a time in the phrase, however vague (周三下午, 明天3点),
    is accepted and dropped."""
    result = _point(text, now, tz, calendar, "day", {})
    return result if isinstance(result, ParseFailure) else result.day


def _point(
    text: str,
    now: datetime,
    tz: ZoneInfo,
    calendar: SchoolDays | None,
    want: Want,
    part_times: Mapping[str, time],
) -> ParseResult:
    prepared = _prepare(text, now, tz, calendar, want, part_times)
    if isinstance(prepared, ParseFailure):
        return prepared
    clean, ctx = prepared
    result = _moment(clean, ctx, fallback=False)
    if result is not None:
        return result
    # before dateparser, which reads 3.1-3.15 as one day of 2027; checked here only:
    # splitting re-parses each half with _moment, which must not split again
    split = _split_range(clean, ctx)
    if split is not None and not _is_unparseable(split):
        return ctx.fail(Reason.AMBIGUOUS, "a range of days, not one day")
    found = fallback_moment(clean, ctx)
    return found or ctx.fail(Reason.UNPARSEABLE, "no grammar matched")


def _is_unparseable(result: RangeResult) -> bool:
    return isinstance(result, ParseFailure) and result.reason is Reason.UNPARSEABLE


def parse_range(
    text: str, now: datetime, *, tz: ZoneInfo, calendar: SchoolDays | None = None
) -> RangeResult:
    """An inclusive span of days: 本周, 上个月, 最近7天, 3月1日到15日, 本学期, or one day."""
    prepared = _prepare(text, now, tz, calendar, "range", {})
    if isinstance(prepared, ParseFailure):
        return prepared
    clean, ctx = prepared
    split = _split_range(clean, ctx)
    if split is not None:
        return split
    return _span(clean, ctx)


def _prepare(
    text: str,
    now: datetime,
    tz: ZoneInfo,
    calendar: SchoolDays | None,
    want: Want,
    part_times: Mapping[str, time],
) -> tuple[str, Context] | ParseFailure:
    if now.tzinfo is None:
        # a programming error, not user input: a naive clock would silently shift days
        raise ValueError("now must be timezone-aware")
    trimmed = text.strip()
    ctx = Context(now.astimezone(tz), tz, trimmed, calendar, want, part_times)
    if len(trimmed) > MAX_LENGTH:
        return ctx.fail(Reason.TOO_LONG, f"more than {MAX_LENGTH} characters")
    clean = normalize(trimmed)
    if not clean:
        return ctx.fail(Reason.EMPTY, "nothing to parse")
    return clean, ctx


@overload
def _moment(text: str, ctx: Context) -> ParseResult: ...
@overload
def _moment(text: str, ctx: Context, *, fallback: bool) -> ParseResult | None: ...


def _moment(text: str, ctx: Context, *, fallback: bool = True) -> ParseResult | None:
    """Our grammar, then spans (a failure here), then dateparser if `fallback`."""
    ours = _our_moment(text, ctx)
    if ours is not None:
        return ours
    period = parse_period(text, ctx)
    if isinstance(period, ParseFailure):
        return period
    if period is not None:
        # 周末 as one day: Saturday or Sunday; longer spans have too many days to list
        both = (period.start, period.end) if period.days == 2 else ()
        return ctx.fail(Reason.AMBIGUOUS, "a span of days, not one day", both)
    if not fallback:
        return None
    found = fallback_moment(text, ctx)
    return found or ctx.fail(Reason.UNPARSEABLE, "no grammar matched")


# 明天下午3点前 / by friday: a deadline's own words; the moment is the deadline itself
_DEADLINE_WORDS = re.compile(r"[以之]?前$|^(?:by|before)\s+")


def _our_moment(text: str, ctx: Context) -> ParseResult | None:
    found = _our_exact_moment(text, ctx)
    if found is None and (bare := _DEADLINE_WORDS.sub("", text)) != text:
        found = _our_exact_moment(bare, ctx)
    return found


def _our_exact_moment(text: str, ctx: Context) -> ParseResult | None:
    if (elapsed := parse_elapsed(text, ctx)) is not None:
        return Moment(elapsed, has_time=True)
    day = parse_day_phrase(text, ctx)
    if day is not None:
        return day if isinstance(day, ParseFailure) else _midnight(day, ctx)
    clock = parse_clock(text, ctx)
    if isinstance(clock, Vague):
        return _vague(ctx.today, clock, ctx)
    if clock is not None:
        return clock if isinstance(clock, ParseFailure) else _next_occurrence(clock, ctx)
    return _day_and_clock(text, ctx)


_DAY_CLOCK_GLUE = " ,的在"  # 明天的下午3点, tomorrow, 3pm
_CLOCK_DAY_GLUE = re.compile(r"^[ ,]*(?:on\s+)?")  # 3pm on friday


def _day_and_clock(text: str, ctx: Context) -> ParseResult | None:
    """Try every cut of the text into day + time (明天|下午3点) or time + day (3pm|tomorrow)."""
    for cut in range(1, len(text)):
        head = text[:cut].rstrip(_DAY_CLOCK_GLUE)
        # a lone number is an hour only when set apart: "tomorrow 3", never "march 2026"
        found = _combine(head, text[cut:], ctx, bare_hour=head != text[:cut])
        if found is not None:
            return found
    for cut in range(len(text) - 1, 0, -1):
        head = text[:cut].strip()
        tail = _CLOCK_DAY_GLUE.sub("", text[cut:])
        found = _combine(tail, head, ctx, bare_hour=head != text[:cut])
        if found is not None:
            return found
    return None


def _combine(
    day_text: str, clock_text: str, ctx: Context, *, bare_hour: bool
) -> ParseResult | None:
    if not day_text or not clock_text:
        return None
    clock = parse_clock(clock_text, ctx, bare_hour=bare_hour)
    if clock is None:
        return None
    day = parse_day_phrase(day_text, ctx)
    if day is None:
        return None
    if isinstance(day, ParseFailure):
        return day
    if isinstance(clock, ParseFailure):
        return clock
    if isinstance(clock, Vague):
        return _vague(day, clock, ctx)
    return _on(day, clock, ctx)


def _vague(day: date, clock: Vague, ctx: Context) -> ParseResult:
    """Rule: a part of the day alone (周三下午) or an hour without one (明天3点) gives the day
    when a day is wanted; when a moment is wanted it asks, offering the times it may mean."""
    if ctx.want != "moment":
        return _midnight(day, ctx)
    readings = list(clock.readings)
    if clock.period and (own := ctx.part_times.get(clock.period)) is not None:
        readings.append(ClockTime(own.hour, own.minute))
    candidates = {_on(day, reading, ctx).at for reading in readings}
    return ctx.fail(Reason.AMBIGUOUS, "the day is clear, the time is not", candidates)


def _on(day: date, clock: ClockTime, ctx: Context) -> Moment:
    at = datetime.combine(day, time(clock.hour, clock.minute), tzinfo=ctx.tz)
    return Moment(at + timedelta(days=1) if clock.next_day else at, has_time=True)


def _next_occurrence(clock: ClockTime, ctx: Context) -> Moment:
    """Rule: a time without a day is today if still ahead (or now), else tomorrow."""
    today = _on(ctx.today, clock, ctx)
    if today.at >= ctx.now.replace(second=0, microsecond=0):
        return today
    return _on(ctx.today + timedelta(days=1), clock, ctx)


def _midnight(day: date, ctx: Context) -> Moment:
    return Moment(datetime.combine(day, time(), tzinfo=ctx.tz), has_time=False)


# Hyphens are left out: they also sit inside dates (2026-03-01) and get their own pass.
_RANGE_SEPARATOR = re.compile(r"\s*(?:到|至|~|〜|—+|–|\s-\s|\b(?:to|until|till|through|thru)\b)\s*")
_RANGE_PREFIX = re.compile(r"^(?:从|自|from\s+)")


def _split_range(text: str, ctx: Context) -> RangeOutcome:
    """`start 到 end`; None when the text is not two phrases joined by a separator."""
    text = _RANGE_PREFIX.sub("", text)
    numeric = _numeric_range(text, ctx)
    if numeric is not None:
        return numeric
    separators = list(_RANGE_SEPARATOR.finditer(text))
    if len(separators) > 1:
        return ctx.fail(Reason.UNPARSEABLE, "more than one range separator")
    if not separators:
        return _split_on_hyphen(text, ctx)
    cut = separators[0]
    left, right = text[: cut.start()].strip(), text[cut.end() :].strip()
    start = _span(left, ctx)
    if isinstance(start, ParseFailure):
        return start
    end = _end_span(left, right, start.start, ctx)
    if isinstance(end, ParseFailure):
        return end
    return _ordered(start.start, end.end, right, ctx)


def _split_on_hyphen(text: str, ctx: Context) -> RangeOutcome:
    """2026-03-01-2026-03-15, 3月1日-15日, 周一-周三. Hyphens also sit inside dates, so a
    cut counts only when it leaves one whole day on each side, and only if it is the only
    such cut: "2026-03-05" must not become 3月 up to the 5th."""
    pairs = []
    for cut in (i for i, char in enumerate(text) if char == "-"):
        left, right = text[:cut].strip(), text[cut + 1 :].strip()
        start = _one_day(left, ctx)
        if start is None or not right:
            continue
        end = _end_span(left, right, start, ctx, bare_number=False)
        if isinstance(end, DateRange) and end.days == 1:
            pairs.append((start, end.end, right))
    return _ordered(*pairs[0], ctx) if len(pairs) == 1 else None


def _one_day(text: str, ctx: Context) -> date | None:
    moment = _moment(text, ctx) if text else None
    return moment.day if isinstance(moment, Moment) else None


# 3.1-3.15, 3/1-3/15, 3.1-15: numbers on both sides read in one order (a dot is month.day, as
# Chinese writes 3.15 and 10.1; a slash is decided by the side that allows only one order)
_NUMERIC_RANGE_RE = re.compile(
    r"(?P<a>\d{1,2})(?P<sep>[./])(?P<b>\d{1,2})\s*(?:-|~|〜|—+|–|到|至|to)\s*"
    r"(?:(?P<c>\d{1,2})(?P=sep))?(?P<d>\d{1,2})[日号]?"
)


def _numeric_range(text: str, ctx: Context) -> RangeOutcome:
    match = _NUMERIC_RANGE_RE.fullmatch(text)
    if not match:
        return None
    a, b, d = int(match["a"]), int(match["b"]), int(match["d"])
    c = int(match["c"]) if match["c"] else None
    year = ctx.today.year
    orders = [(a, b, a if c is None else c, d)]  # month/day
    if match["sep"] == "/":
        orders.append((b, a, b if c is None else d, d if c is None else c))  # day/month
    readings = []
    for start_month, start_day, end_month, end_day in orders:
        try:
            readings.append((date(year, start_month, start_day), date(year, end_month, end_day)))
        except ValueError:
            continue
    if not readings:
        return ctx.fail(Reason.INVALID, "no such days")
    if len(readings) > 1:
        return ctx.fail(Reason.AMBIGUOUS, "month/day or day/month", [r[0] for r in readings])
    return _ordered(*readings[0], match["d"], ctx)


_LEADING_YEAR = re.compile(rf"(?:\d{{4}}|{NUM})年|{YEAR_WORD}")
_STARTS_WITH_MONTH = re.compile(rf"{NUM}月")
_BARE_ZH_WEEKDAY = re.compile(rf"(?:周|星期|礼拜)?(?P<wd>{ZH_WEEKDAY})")
_BARE_EN_WEEKDAY = re.compile(rf"(?:on\s+)?(?P<wd>{EN_WEEKDAY})\.?")
_WEEKDAY_START = re.compile(rf".*(?:周|星期|礼拜){ZH_WEEKDAY}|.*\b{EN_WEEKDAY}\b.*")


def _end_span(
    left: str, right: str, start: date, ctx: Context, *, bare_number: bool = True
) -> RangeResult:
    """The right side of a range, taking what the left side fixed: its week (下周二到周四),
    its month (3月2日到6日, 12号到20号), its year (2025年3月1日到5月1日), its day (9点到11点)."""
    if not right:
        return ctx.fail(Reason.EMPTY, "empty side of a range")
    if (weekday := _bare_weekday(left, right)) is not None:
        return _one(week_start(start) + timedelta(days=weekday - 1))
    day = parse_end_day(right, start, ctx, bare_number=bare_number)
    if isinstance(day, date):
        return _one(day)
    if day is not None:
        return day
    clock = parse_clock(right, ctx)
    if isinstance(clock, ParseFailure):
        return clock
    if clock is not None:
        return _one(start)
    if (year := _LEADING_YEAR.match(left)) and _STARTS_WITH_MONTH.match(right):
        right = year.group() + right
    return _span(right, ctx)


def _bare_weekday(left: str, right: str) -> int | None:
    """ISO weekday of a right side that names only a weekday (周四, 四 after 周一, thursday)."""
    if match := _BARE_ZH_WEEKDAY.fullmatch(right):
        if match.group() == match["wd"] and not _WEEKDAY_START.fullmatch(left):
            return None  # a lone 五 is a weekday only after one: 周一到五
        return zh_weekday(match["wd"])
    if match := _BARE_EN_WEEKDAY.fullmatch(right):
        return en_weekday(match["wd"])
    return None


def _one(day: date) -> DateRange:
    return DateRange(day, day)


_NAMES_A_MONTH = re.compile(rf"月|\d[./]\d|{EN_MONTH}")


def _ordered(start: date, end: date, right: str, ctx: Context) -> RangeResult:
    if end >= start:
        return DateRange(start, end)
    # 12月28日到1月3日: crossing New Year is likely, but the year is ours to ask, not to guess
    if _NAMES_A_MONTH.search(right) and not _LEADING_YEAR.search(right) and end.year == start.year:
        try:
            next_year = end.replace(year=end.year + 1)
        except ValueError:  # 29 February
            next_year = end.replace(year=end.year + 1, day=28)
        if (next_year - start).days <= 183:
            return ctx.fail(
                Reason.YEAR_UNCLEAR, "crosses New Year, no year given", (start, next_year)
            )
    return ctx.fail(Reason.REVERSED, "range ends before it starts", (start, end))


def _span(text: str, ctx: Context) -> RangeResult:
    """A named span (本周, 2026-03) or the one day a moment phrase falls on."""
    if not text:
        return ctx.fail(Reason.EMPTY, "empty side of a range")
    period = parse_period(text, ctx)
    if period is not None:
        return period
    moment = _moment(text, ctx)
    if isinstance(moment, ParseFailure):
        return moment
    return DateRange(moment.day, moment.day)
