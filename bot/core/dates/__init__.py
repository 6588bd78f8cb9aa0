"""Dates typed by people in chat commands, in Chinese or English.

With now = Wednesday 2026-03-04 10:00 Asia/Shanghai:

    parse_moment("明天下午3点", now, tz=SCHOOL_TZ)  -> Moment(at=2026-03-05 15:00+08:00, has_time=True)
    parse_day("下周五", now, tz=SCHOOL_TZ)          -> date(2026, 3, 13)
    parse_range("上个月", now, tz=SCHOOL_TZ)        -> DateRange(2026-02-01, 2026-02-28)

Bad input never raises: every parser returns a ``ParseFailure`` with a ``Reason``
instead, and ``describe(failure, lang)`` + ``examples(lang)`` give the reply.
Only a naive ``now`` raises ``ValueError``, since that is a bug in the caller.

Our own grammar runs first, in both languages, and dateparser is the fallback
(languages zh+en for Chinese text, en otherwise, PREFER_DATES_FROM=future,
RELATIVE_BASE=now). The English grammar exists because dateparser alone reads
"3pm" at 10:00 as tomorrow, "wednesday" on a Wednesday as next week, "march 2"
as next year, "a week from today" as a week ago, and guesses "3/4".

Rules for incomplete or ambiguous phrases ("today" is `now`'s date in `tz`):

- Bare weekday (周五, 星期五, friday): the first such day on or after today.
- 这周五/本周五/this friday: this ISO week's (Mon-Sun), even if already past;
  下周五/friday next week: next ISO week's; 上周五/friday last week: last week's.
- English "next friday" means next week's Friday to some and the coming Friday
  to others; when these differ (Friday still ahead this week) it is AMBIGUOUS,
  with both days as candidates. "last monday" likewise.
- No year (3月6日, march 6): the current year, even if past. No month (十五号,
  the 15th): the current month. Two-digit years are 20xx.
- Numbers only (3/4, 3-4, 3/4/2026) are AMBIGUOUS between month/day and
  day/month unless only one reading exists (3/25) or both agree (3/3). A
  leading four-digit year (2026-03-04, 2026/3/4) is always year-month-day.
- A time without a day (下午3点, 15:30, 3pm) is today if not yet past, else tomorrow.
- An hour needs its part of the day: 3点 / "at 3" / "tomorrow 3" are AMBIGUOUS
  unless the hour is 0 or 13-23. hh:mm is a 24-hour clock (8:30 is 08:30).
  下午3点半 = 15:30, 中午12点 = 12:00, 中午1点 = 13:00, 晚上8点 = 20:00,
  晚上12点 = 00:00 of the next day, 晚上1-5点 is AMBIGUOUS (凌晨 is clearer).
  中午/noon alone is 12:00; other parts of the day alone (明天上午, 今晚,
  tomorrow morning) are AMBIGUOUS.
- 三天后/两周后/in 3 days/2 weeks ago are whole days from today (has_time=False);
  N个月后 clamps to the month's end. 2小时后/半小时后/in 2 hours are exact moments.
- Deadline wording (明天下午3点前, 周五之前, by friday 3pm) gives the deadline itself.
- Spans (本周, 下个月, 2026-03, next week) given to parse_moment/parse_day are
  AMBIGUOUS; a phrase with a time given to parse_range is its one day.
- Ranges are inclusive. Weeks are ISO weeks. 最近7天/过去7天/last 7 days are the
  7 days ending today, today included. `A 到 B` accepts 到 至 ~ — – "to"
  "until" and hyphens; a bare day number on the right (3月1日到15日) is in the
  start's month; either side may itself be a span (3月到5月).
- Input is trimmed, NFKC-normalised (full-width ０-９ and ： become ASCII), spaces
  next to Chinese or inside numbers dropped (3 月 5 日, 3 . 15), and capped at
  100 characters (TOO_LONG).
- 3.15 (a dot, no year) is month.day, as Chinese writes it; 3/4 stays AMBIGUOUS.
- The school calendar (``calendar=``, a ``SchoolDays``) answers 本学期, 开学第三天,
  第5周(周三), 寒假, 国庆假期, 国庆后第一天, 五一前最后一个上学日, 下个上学日 (rules in
  ``_school``); without one these phrases are UNPARSEABLE, never guessed.
- Edges: 月初/月中/月底 as spans are the 旬 (1-10, 11-20, 21-end); as one day the 1st,
  the 15th, the last day. 周末 is Saturday-Sunday of that ISO week (one day: ask).
  上半年, 第一季度/Q3, 下下周, 去年12月 are what they say.
- A range's right side takes what the left fixed: its week (下周二到周四), month
  (3月2日到6日), year (2025年11月3日到12月5日), day (明天9点到11点), numeric order
  (3/1-3/15). A reversed range is REVERSED; one that would cross New Year without a
  year (12月28日到1月3日) is YEAR_UNCLEAR with the likely reading.
- Part of the day alone (周三下午) or an hour without it (明天3点): parse_day and
  parse_range give the day; parse_moment is AMBIGUOUS with the times as candidates.
- dateparser never sees a phrase with a Chinese character outside date words
  (周五左右), nor a range: it would drop the rest silently.
"""

from ._clock import school_part_times
from ._parse import parse_day, parse_moment, parse_range
from ._text import MAX_LENGTH
from .help import describe, examples
from .result import DateRange, DayResult, Moment, ParseFailure, ParseResult, RangeResult, Reason
from .school import SchoolDays

__all__ = [
    "MAX_LENGTH",
    "DateRange",
    "DayResult",
    "Moment",
    "ParseFailure",
    "ParseResult",
    "RangeResult",
    "Reason",
    "SchoolDays",
    "describe",
    "examples",
    "parse_day",
    "parse_moment",
    "parse_range",
    "school_part_times",
]
