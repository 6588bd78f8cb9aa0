"""Grammar for a time of day: 下午3点半, 晚上8点, 中午, 15:30, 3pm, at 9:15 am; and 2小时后."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TypeAlias

from ._days import Context
from ._text import NUM, to_int
from .result import ParseFailure, Reason


@dataclass(frozen=True, slots=True)
class ClockTime:
    hour: int
    minute: int
    next_day: bool = False  # 晚上12点 is the midnight that ends the named day


@dataclass(frozen=True, slots=True)
class Vague:
    """A time that stays inside its day but is not one moment: 下午 (14:00? 17:00?), 3点
    (03:00? 15:00?). A command that wants a day takes the day; one that wants a moment asks."""

    period: str | None  # 下午, or None for an hour without its part of the day
    readings: tuple[ClockTime, ...]


ClockOutcome: TypeAlias = ClockTime | Vague | ParseFailure | None

# longest first: 早上 before 早 (周五晚七点, 下周一早八点)
_PERIODS = "凌晨|早上|早晨|清晨|上午|中午|下午|傍晚|晚上|夜里|夜间|晚间|早|晚"
_MORNING = {"凌晨", "早上", "早晨", "清晨", "上午", "早"}
_AFTERNOON = {"下午", "傍晚"}
_EVENING = {"晚上", "夜里", "夜间", "晚间", "晚"}
# What a part of the day alone may mean, offered when a moment is wanted: 下午 → 14:00? 17:00?
PERIOD_READINGS = {
    "凌晨": ((1, 0), (5, 0)), "早上": ((7, 0), (8, 0)), "早晨": ((7, 0), (8, 0)),
    "清晨": ((6, 0), (7, 0)), "早": ((7, 0), (8, 0)), "上午": ((9, 0), (11, 0)),
    "下午": ((14, 0), (17, 0)), "傍晚": ((17, 0), (18, 0)), "晚上": ((19, 0), (20, 0)),
    "晚": ((19, 0), (20, 0)), "夜里": ((21, 0), (22, 0)), "夜间": ((21, 0), (22, 0)),
    "晚间": ((19, 0), (20, 0)),
}  # fmt: skip


def school_part_times(
    morning: time | None = None, afternoon: time | None = None, evening: time | None = None
) -> dict[str, time]:
    """A school's own times for the parts of the day (下午 = 17:00 for a deadline), keyed by
    every word for that part, for ``parse_moment(part_times=...)``. 凌晨 is nobody's default."""
    own: dict[str, time] = {}
    for words, at in ((_MORNING - {"凌晨"}, morning), (_AFTERNOON, afternoon), (_EVENING, evening)):
        if at is not None:
            own.update(dict.fromkeys(words, at))
    return own


_ZH_HOUR_RE = re.compile(
    rf"(?P<period>{_PERIODS})?(?P<h>{NUM})[点时]钟?"
    rf"(?:(?P<half>半)|(?P<quarter>[一三])刻|(?P<m>{NUM})分?|整)?"
)
_COLON_RE = re.compile(rf"(?P<period>{_PERIODS})?(?:at\s+)?(?P<h>\d{{1,2}}):(?P<m>\d{{2}})")
_PERIOD_ONLY_RE = re.compile(rf"(?P<period>{_PERIODS})")
_AMPM_RE = re.compile(r"(?:at\s+)?(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>[ap])\.?m\.?")
_NOON_RE = re.compile(r"(?:at\s+)?(?:noon|midday|12\s*noon)")
_EN_BARE_HOUR_RE = re.compile(r"at\s+(?P<h>\d{1,2})(?:\s*o'?clock)?|(?P<h2>\d{1,2})\s*o'?clock")
_BARE_NUMBER_RE = re.compile(r"(?P<h>\d{1,2})")


def parse_clock(text: str, ctx: Context, *, bare_hour: bool = False) -> ClockOutcome:
    """A time of day, or None when `text` is not one.

    `bare_hour` also accepts a lone number, for text after a day ("tomorrow 3"):
    it is clearly meant as an hour there, and dateparser drops it without a word.
    """
    if match := _ZH_HOUR_RE.fullmatch(text):
        return _zh_hour(match, ctx)
    if match := _COLON_RE.fullmatch(text):
        return _checked(ctx, match["period"], int(match["h"]), int(match["m"]), dial=True)
    if match := _PERIOD_ONLY_RE.fullmatch(text):
        if match["period"] == "中午":
            return ClockTime(12, 0)
        period = match["period"]
        return Vague(period, tuple(ClockTime(h, m) for h, m in PERIOD_READINGS[period]))
    if match := _AMPM_RE.fullmatch(text):
        return _am_pm(int(match["h"]), int(match["m"] or 0), match["ampm"], ctx)
    if _NOON_RE.fullmatch(text):
        return ClockTime(12, 0)
    if match := _EN_BARE_HOUR_RE.fullmatch(text):
        return _checked(ctx, None, int(match["h"] or match["h2"]), 0, dial=False)
    if bare_hour and (match := _BARE_NUMBER_RE.fullmatch(text)):
        return _checked(ctx, None, int(match["h"]), 0, dial=False)
    return None


def _zh_hour(match: re.Match[str], ctx: Context) -> ClockOutcome:
    if match["half"]:
        minute = 30
    elif match["quarter"]:
        minute = 15 if match["quarter"] == "一" else 45
    else:
        minute = to_int(match["m"]) if match["m"] else 0
    return _checked(ctx, match["period"], to_int(match["h"]), minute, dial=False)


def _checked(
    ctx: Context, period: str | None, hour: int, minute: int, *, dial: bool
) -> ClockOutcome:
    """Apply the part of the day to `hour`.

    `dial` marks an hh:mm clock face, which is read as 24-hour when no part of
    the day is given; "3点" is not, because 03:00 and 15:00 are both real readings.
    """
    if hour > 23 or minute > 59:
        return ctx.fail(Reason.INVALID, f"no such time {hour}:{minute:02d}")
    if period is None:
        if dial or hour == 0 or hour > 12:
            return ClockTime(hour, minute)
        # 3点: 03:00 and 15:00 are both real readings
        return Vague(None, (ClockTime(hour % 12, minute), ClockTime(hour % 12 + 12, minute)))
    return _in_period(ctx, period, hour, minute)


def _in_period(ctx: Context, period: str, hour: int, minute: int) -> ClockOutcome:
    if period in _MORNING and hour <= 12:
        return ClockTime(0 if hour == 12 and period == "凌晨" else hour, minute)
    if period == "中午" and hour in (11, 12, 1, 2):
        return ClockTime(hour + 12 if hour < 3 else hour, minute)
    if period in _AFTERNOON and hour >= 1:
        return ClockTime(hour + 12 if hour < 12 else hour, minute)
    if period in _EVENING:
        if hour == 12:
            return ClockTime(0, minute, next_day=True)
        if 6 <= hour <= 11 or hour >= 18:
            return ClockTime(hour + 12 if hour < 12 else hour, minute)
        if 1 <= hour <= 5:
            # 晚上2点 is said for both 02:00 the next morning and, loosely, 14:00
            return ctx.fail(Reason.AMBIGUOUS, "small hour after 晚上; 凌晨 is clearer")
    return ctx.fail(Reason.INVALID, f"{hour}点 is not in {period}")


def _am_pm(hour: int, minute: int, am_pm: str, ctx: Context) -> ClockOutcome:
    if not 1 <= hour <= 12 or minute > 59:
        return ctx.fail(Reason.INVALID, f"no such time {hour}:{minute:02d}{am_pm}m")
    return ClockTime(hour % 12 + (12 if am_pm == "p" else 0), minute)


_ELAPSED_RE = re.compile(
    rf"(?:(?P<n>{NUM})个?(?P<unit>小时|钟头|分钟)|(?P<half>半)个?(?:小时|钟头))(?P<dir>[以之]?[后前])"
)


def parse_elapsed(text: str, ctx: Context) -> datetime | None:
    """2小时后, 半小时后, 30分钟前: an exact moment counted from now."""
    match = _ELAPSED_RE.fullmatch(text)
    if not match:
        return None
    if match["half"]:
        delta = timedelta(minutes=30)
    elif match["unit"] == "分钟":
        delta = timedelta(minutes=to_int(match["n"]))
    else:
        delta = timedelta(hours=to_int(match["n"]))
    if match["dir"].endswith("前"):
        delta = -delta
    # count real elapsed time: wall-clock arithmetic would be off across a DST change
    return (ctx.now.astimezone(UTC) + delta).astimezone(ctx.tz)
