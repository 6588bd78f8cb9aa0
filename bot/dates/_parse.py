"""The three public parsers: which grammar is tried in which order."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ._clock import ClockTime, parse_clock, parse_elapsed
from ._days import Context, parse_day_phrase, parse_end_day
from ._fallback import fallback_moment
from ._periods import RangeOutcome, parse_period
from ._text import MAX_LENGTH, normalize
from .result import DateRange, DayResult, Moment, ParseFailure, ParseResult, RangeResult, Reason


def parse_moment(text: str, now: datetime, *, tz: ZoneInfo) -> ParseResult:
    """A point in time (明天下午3点) or a whole day (下周五, has_time=False)."""
    prepared = _prepare(text, now, tz)
    if isinstance(prepared, ParseFailure):
        return prepared
    clean, ctx = prepared
    result = _moment(clean, ctx)
    if _is_unparseable(result) and isinstance(_split_range(clean, ctx), DateRange):
        # checked here only: splitting re-parses each half with _moment, which must not split again
        return ctx.fail(Reason.AMBIGUOUS, "a range of days, not one day")
    return result


def _is_unparseable(result: ParseResult) -> bool:
    return isinstance(result, ParseFailure) and result.reason is Reason.UNPARSEABLE


def parse_day(text: str, now: datetime, *, tz: ZoneInfo) -> DayResult:
    """The day of `parse_moment`; a time in the phrase is accepted and dropped."""
    result = parse_moment(text, now, tz=tz)
    return result if isinstance(result, ParseFailure) else result.day


def parse_range(text: str, now: datetime, *, tz: ZoneInfo) -> RangeResult:
    """An inclusive span of days: 本周, 上个月, 最近7天, 3月1日到15日, or one day."""
    prepared = _prepare(text, now, tz)
    if isinstance(prepared, ParseFailure):
        return prepared
    clean, ctx = prepared
    split = _split_range(clean, ctx)
    if split is not None:
        return split
    return _span(clean, ctx)


def _prepare(text: str, now: datetime, tz: ZoneInfo) -> tuple[str, Context] | ParseFailure:
    if now.tzinfo is None:
        # a programming error, not user input: a naive clock would silently shift days
        raise ValueError("now must be timezone-aware")
    trimmed = text.strip()
    ctx = Context(now=now.astimezone(tz), tz=tz, text=trimmed)
    if len(trimmed) > MAX_LENGTH:
        return ctx.fail(Reason.TOO_LONG, f"more than {MAX_LENGTH} characters")
    clean = normalize(trimmed)
    if not clean:
        return ctx.fail(Reason.EMPTY, "nothing to parse")
    return clean, ctx


def _moment(text: str, ctx: Context) -> ParseResult:
    ours = _our_moment(text, ctx)
    if ours is not None:
        return ours
    period = parse_period(text, ctx)
    if isinstance(period, ParseFailure):
        return period
    if period is not None:
        return ctx.fail(Reason.AMBIGUOUS, "a span of days, not one day")
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
    return _on(day, clock, ctx)


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
    separators = list(_RANGE_SEPARATOR.finditer(text))
    if len(separators) > 1:
        return ctx.fail(Reason.UNPARSEABLE, "more than one range separator")
    if not separators:
        return _split_on_hyphen(text, ctx)
    cut = separators[0]
    start = _span(text[: cut.start()].strip(), ctx)
    if isinstance(start, ParseFailure):
        return start
    end = _end_span(text[cut.end() :].strip(), start.start, ctx)
    if isinstance(end, ParseFailure):
        return end
    return _ordered(start.start, end.end, ctx)


def _split_on_hyphen(text: str, ctx: Context) -> RangeOutcome:
    """2026-03-01-2026-03-15, 3月1日-15日. Hyphens also sit inside dates, so a cut
    counts only when it leaves one whole day on each side, and only if it is the
    only such cut: "2026-03-05" must not become 3月 up to the 5th."""
    pairs = []
    for cut in (i for i, char in enumerate(text) if char == "-"):
        start = _one_day(text[:cut], ctx)
        if start is None:
            continue
        end = parse_end_day(text[cut + 1 :], start, ctx, bare_number=False)
        end = end if isinstance(end, date) else _one_day(text[cut + 1 :], ctx)
        if end is not None:
            pairs.append((start, end))
    return _ordered(*pairs[0], ctx) if len(pairs) == 1 else None


def _one_day(text: str, ctx: Context) -> date | None:
    text = text.strip()
    moment = _moment(text, ctx) if text else None
    return moment.day if isinstance(moment, Moment) else None


def _ordered(start: date, end: date, ctx: Context) -> RangeResult:
    if end < start:
        return ctx.fail(Reason.REVERSED, "range ends before it starts", (start, end))
    return DateRange(start, end)


def _end_span(text: str, start: date, ctx: Context) -> RangeResult:
    day = parse_end_day(text, start, ctx, bare_number=True)
    if isinstance(day, date):
        return DateRange(day, day)
    return day or _span(text, ctx)


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
