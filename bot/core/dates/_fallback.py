"""dateparser, for what our grammar does not cover ("in 2 hours", "6 March 2026 at 9am", ISO with offsets)."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any

from dateparser.date import DateDataParser

from ._days import Context
from ._text import has_cjk
from .result import Moment, ParseFailure, Reason

# dateparser fills a missing time with RELATIVE_BASE's clock or midnight, so the
# only way to know whether the user gave a time is to look at the words.
_TIME_MARKER = re.compile(
    r"\d:\d|\d\s*[ap]\.?m\b|\b(?:noon|midnight|o'?clock|hours?|hrs?|minutes?|mins?|seconds?|secs?|now)\b"
    r"|[点时分秒]|现在"
)
# dateparser turns these into 09:00 / 20:00 etc.; for a deadline that is a guess.
_VAGUE_PART_OF_DAY = re.compile(r"\b(?:morning|afternoon|evening|tonight|night)\b")

# Chinese characters a date or time is written with; dateparser skips words it does not know
# (周五左右 → Friday), so a phrase with any other character is not given to it at all.
_DATE_CHARACTERS = frozenset(
    "年月日号天周星期礼拜点时分秒半刻钟头小整上中下午晚早凌晨傍夜间今明昨前后大这本个"
    "零〇一二两三四五六七八九十百现在"
)

# Unix timestamps are not something a teacher types; "1700000000" should fail.
_PARSERS = ["relative-time", "custom-formats", "absolute-time"]


def fallback_moment(text: str, ctx: Context) -> Moment | ParseFailure | None:
    if text.isdigit():
        return None  # dateparser reads "5" as May and "15" as the 15th
    if any(has_cjk(char) and char not in _DATE_CHARACTERS for char in text):
        return None
    if _VAGUE_PART_OF_DAY.search(text) and not re.search(r"\d", text):
        return ctx.fail(Reason.AMBIGUOUS, "part of the day without an hour")
    data = _parser(text, ctx).get_date_data(text)
    parsed: datetime | None = data.date_obj
    if parsed is None:
        return None
    if data.period not in ("day", "time"):
        # the spans people mean (下个月, next week) are ours already; what is left
        # here is noise dateparser stretched into a month or year ("a", "2026")
        return None
    at = parsed.astimezone(ctx.tz)
    if _TIME_MARKER.search(text):
        return Moment(at, has_time=True)
    return Moment(datetime.combine(at.date(), time(), tzinfo=ctx.tz), has_time=False)


def _parser(text: str, ctx: Context) -> DateDataParser:
    settings: dict[str, Any] = {
        "RELATIVE_BASE": ctx.now.replace(tzinfo=None),
        "TIMEZONE": ctx.tz.key,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "future",
        "PARSERS": _PARSERS,
    }
    languages = ["zh", "en"] if has_cjk(text) else ["en"]
    return DateDataParser(languages=languages, settings=settings)
