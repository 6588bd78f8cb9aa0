"""Dates as people type them, with what they must mean at NOW and the school
calendar of config.toml (terms 2025-09-01..2026-01-23, 2026-03-02..07-03,
2026-09-01..2027-01-22; 2026-04-24 off for the sports day).

Shared by tests/test_dates.py and bench/dates.py, so the benchmark measures
exactly what the tests pin down. Each phrase belongs to a family: "general"
(the first table), or one of issue 20's six (see FAMILIES).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from bot.core.dates import (
    DateRange,
    Moment,
    ParseFailure,
    Reason,
    parse_day,
    parse_moment,
    parse_range,
)
from bot.core.settings import load_settings
from scheduler.calendar import SchoolCalendar

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=TZ)  # a Wednesday; its ISO week is 3月2日-3月8日
CALENDAR = SchoolCalendar(load_settings(Path(__file__).resolve().parents[1] / "config.toml"))

Kind = Literal["moment", "day", "range"]
Expected = datetime | date | DateRange | Reason

# issue 20's families, in its order
FAMILIES = ("calendar", "edges", "inherit", "named_day_times", "part_of_day", "never_wrong")


@dataclass(frozen=True, slots=True)
class Phrase:
    """`kind` picks the parser: moment -> parse_moment, day -> parse_day, range -> parse_range.

    `expected` is an aware datetime for "moment" (a date there: a date-only Moment),
    a date for "day", a DateRange for "range", or the Reason the parser must fail with.
    """

    text: str
    kind: Kind
    expected: Expected
    family: str = "general"


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


def span(start: date, end: date) -> DateRange:
    return DateRange(start, end)


def one(month: int, day: int) -> DateRange:
    return DateRange(d(month, day), d(month, day))


THIS_WEEK = span(d(3, 2), d(3, 8))
LAST_WEEK = span(d(2, 23), d(3, 1))
NEXT_WEEK = span(d(3, 9), d(3, 15))
MARCH = span(d(3, 1), d(3, 31))
FEBRUARY = span(d(2, 1), d(2, 28))
APRIL = span(d(4, 1), d(4, 30))
LAST_7_DAYS = span(d(2, 26), d(3, 4))
FIRST_HALF_OF_MARCH = span(d(3, 1), d(3, 15))

PHRASES: list[Phrase] = [
    # --- moments: a day and a time of day ---
    Phrase("明天下午3点", "moment", at(3, 5, 15)),
    Phrase("后天上午9点", "moment", at(3, 6, 9)),
    Phrase("明天下午3点半", "moment", at(3, 5, 15, 30)),
    Phrase("明天下午三点半", "moment", at(3, 5, 15, 30)),
    Phrase("明天晚上七点半", "moment", at(3, 5, 19, 30)),
    Phrase("明天 下午 3 点", "moment", at(3, 5, 15)),
    Phrase("今晚8点", "moment", at(3, 4, 20)),
    Phrase("明天中午", "moment", at(3, 5, 12)),
    Phrase("明天17点", "moment", at(3, 5, 17)),
    Phrase("tomorrow 20", "moment", at(3, 5, 20)),
    Phrase("noon tomorrow", "moment", at(3, 5, 12)),
    Phrase("mon 9am", "moment", at(3, 9, 9)),
    Phrase("明天15:30", "moment", at(3, 5, 15, 30)),
    Phrase("下周一上午8:30", "moment", at(3, 9, 8, 30)),
    Phrase("周五下午4点", "moment", at(3, 6, 16)),
    Phrase("3月6日下午2点", "moment", at(3, 6, 14)),
    Phrase("2026-03-06 15:30", "moment", at(3, 6, 15, 30)),
    Phrase("下周五下午4点前", "moment", at(3, 13, 16)),
    # --- moments: a time of day alone is today, or tomorrow once past ---
    Phrase("下午3点半", "moment", at(3, 4, 15, 30)),
    Phrase("晚上8点", "moment", at(3, 4, 20)),
    Phrase("中午12点", "moment", at(3, 4, 12)),
    Phrase("中午1点", "moment", at(3, 4, 13)),
    Phrase("上午9点", "moment", at(3, 5, 9)),
    Phrase("上午11点", "moment", at(3, 4, 11)),
    Phrase("下午3点一刻", "moment", at(3, 4, 15, 15)),
    Phrase("凌晨5点", "moment", at(3, 5, 5)),
    Phrase("晚上12点", "moment", at(3, 5, 0)),
    Phrase("15:30", "moment", at(3, 4, 15, 30)),
    Phrase("１５：３０", "moment", at(3, 4, 15, 30)),
    Phrase("3pm", "moment", at(3, 4, 15)),
    Phrase("9am", "moment", at(3, 5, 9)),
    Phrase("12am", "moment", at(3, 5, 0)),
    # --- moments: counted from now ---
    Phrase("2小时后", "moment", at(3, 4, 12)),
    Phrase("半小时后", "moment", at(3, 4, 10, 30)),
    Phrase("in 2 hours", "moment", at(3, 4, 12)),
    Phrase("in 30 minutes", "moment", at(3, 4, 10, 30)),
    # --- moments in English ---
    Phrase("tomorrow 3pm", "moment", at(3, 5, 15)),
    Phrase("tomorrow at 15:30", "moment", at(3, 5, 15, 30)),
    Phrase("3pm tomorrow", "moment", at(3, 5, 15)),
    Phrase("friday 3pm", "moment", at(3, 6, 15)),
    Phrase("tomorrow at noon", "moment", at(3, 5, 12)),
    Phrase("6 March 2026 at 9am", "moment", at(3, 6, 9)),
    Phrase("next tuesday at 3pm", "moment", at(3, 10, 15)),
    Phrase("by friday 3pm", "moment", at(3, 6, 15)),
    Phrase("2026-03-06T15:30+00:00", "moment", at(3, 6, 23, 30)),
    # --- days: relative words ---
    Phrase("今天", "day", d(3, 4)),
    Phrase("明天", "day", d(3, 5)),
    Phrase("后天", "day", d(3, 6)),
    Phrase("大后天", "day", d(3, 7)),
    Phrase("昨天", "day", d(3, 3)),
    Phrase("前天", "day", d(3, 2)),
    # --- days: weekdays (bare = on or after today; 这/下/上 = that ISO week) ---
    Phrase("周五", "day", d(3, 6)),
    Phrase("星期五", "day", d(3, 6)),
    Phrase("周三", "day", d(3, 4)),
    Phrase("周一", "day", d(3, 9)),
    Phrase("周日", "day", d(3, 8)),
    Phrase("星期天", "day", d(3, 8)),
    Phrase("礼拜二", "day", d(3, 10)),
    Phrase("这周五", "day", d(3, 6)),
    Phrase("本周一", "day", d(3, 2)),
    Phrase("下周五", "day", d(3, 13)),
    Phrase("下个星期一", "day", d(3, 9)),
    Phrase("上周五", "day", d(2, 27)),
    Phrase("周五之前", "day", d(3, 6)),
    # --- days: counted ---
    Phrase("三天后", "day", d(3, 7)),
    Phrase("3天后", "day", d(3, 7)),
    Phrase("两周后", "day", d(3, 18)),
    Phrase("一周后", "day", d(3, 11)),
    Phrase("2天前", "day", d(3, 2)),
    Phrase("一个月后", "day", d(4, 4)),
    # --- days: calendar dates (no year = this year, no month = this month) ---
    Phrase("3月6日", "day", d(3, 6)),
    Phrase("3月6号", "day", d(3, 6)),
    Phrase("3月2日", "day", d(3, 2)),
    Phrase("三月六日", "day", d(3, 6)),
    Phrase("2026年3月6日", "day", d(3, 6)),
    Phrase("十五号", "day", d(3, 15)),
    Phrase("二十一日", "day", d(3, 21)),
    Phrase("15号", "day", d(3, 15)),
    Phrase("下个月3号", "day", d(4, 3)),
    Phrase("2026-03-06", "day", d(3, 6)),
    Phrase("２０２６－０３－０６", "day", d(3, 6)),
    Phrase("2026/3/6", "day", d(3, 6)),
    Phrase("3/25", "day", d(3, 25)),
    Phrase("26/3", "day", d(3, 26)),
    Phrase("3/3", "day", d(3, 3)),
    Phrase("周5", "day", d(3, 6)),
    # --- days in English ---
    Phrase("today", "day", d(3, 4)),
    Phrase("tomorrow", "day", d(3, 5)),
    Phrase("yesterday", "day", d(3, 3)),
    Phrase("the day after tomorrow", "day", d(3, 6)),
    Phrase("Friday", "day", d(3, 6)),
    Phrase("wednesday", "day", d(3, 4)),
    Phrase("this friday", "day", d(3, 6)),
    Phrase("next monday", "day", d(3, 9)),
    Phrase("last friday", "day", d(2, 27)),
    Phrase("friday next week", "day", d(3, 13)),
    Phrase("March 6", "day", d(3, 6)),
    Phrase("march 2", "day", d(3, 2)),
    Phrase("6 March 2026", "day", d(3, 6)),
    Phrase("the 15th", "day", d(3, 15)),
    Phrase("in 3 days", "day", d(3, 7)),
    Phrase("2 weeks ago", "day", d(2, 18)),
    Phrase("a week from today", "day", d(3, 11)),
    Phrase("Friday, March 6", "day", d(3, 6)),
    # --- ranges: one day ---
    Phrase("今天", "range", one(3, 4)),
    Phrase("昨天", "range", one(3, 3)),
    Phrase("前天", "range", one(3, 2)),
    Phrase("明天", "range", one(3, 5)),
    Phrase("后天", "range", one(3, 6)),
    Phrase("2026-03-05", "range", one(3, 5)),
    Phrase("下周五", "range", one(3, 13)),
    Phrase("明天下午3点", "range", one(3, 5)),
    Phrase("yesterday", "range", one(3, 3)),
    # --- ranges: weeks, months, years ---
    Phrase("本周", "range", THIS_WEEK),
    Phrase("这周", "range", THIS_WEEK),
    Phrase("这个星期", "range", THIS_WEEK),
    Phrase("上周", "range", LAST_WEEK),
    Phrase("上个星期", "range", LAST_WEEK),
    Phrase("下周", "range", NEXT_WEEK),
    Phrase("本月", "range", MARCH),
    Phrase("这个月", "range", MARCH),
    Phrase("上月", "range", FEBRUARY),
    Phrase("上个月", "range", FEBRUARY),
    Phrase("下个月", "range", APRIL),
    Phrase("今年", "range", span(d(1, 1), d(12, 31))),
    Phrase("去年", "range", span(d(1, 1, 2025), d(12, 31, 2025))),
    Phrase("2026-03", "range", MARCH),
    Phrase("2026年3月", "range", MARCH),
    Phrase("3月", "range", MARCH),
    Phrase("三月", "range", MARCH),
    Phrase("this week", "range", THIS_WEEK),
    Phrase("last week", "range", LAST_WEEK),
    Phrase("next week", "range", NEXT_WEEK),
    Phrase("this month", "range", MARCH),
    Phrase("last month", "range", FEBRUARY),
    Phrase("march 2026", "range", MARCH),
    # --- ranges: the last N days, today included ---
    Phrase("最近7天", "range", LAST_7_DAYS),
    Phrase("过去7天", "range", LAST_7_DAYS),
    Phrase("最近一周", "range", LAST_7_DAYS),
    Phrase("last 7 days", "range", LAST_7_DAYS),
    Phrase("past 2 weeks", "range", span(d(2, 19), d(3, 4))),
    # --- ranges: start and end ---
    Phrase("2026-03-01 到 2026-03-15", "range", FIRST_HALF_OF_MARCH),
    Phrase("2026-03-01至2026-03-15", "range", FIRST_HALF_OF_MARCH),
    Phrase("2026-03-01~2026-03-15", "range", FIRST_HALF_OF_MARCH),
    Phrase("2026-03-01 ～ 2026-03-15", "range", FIRST_HALF_OF_MARCH),
    Phrase("2026-03-01-2026-03-15", "range", FIRST_HALF_OF_MARCH),
    Phrase("2026-03-01 - 2026-03-15", "range", FIRST_HALF_OF_MARCH),
    Phrase("2026-03-01—2026-03-15", "range", FIRST_HALF_OF_MARCH),
    Phrase("2026-03-01 to 2026-03-15", "range", FIRST_HALF_OF_MARCH),
    Phrase("3月1日到15日", "range", FIRST_HALF_OF_MARCH),
    Phrase("从3月1日到3月15日", "range", FIRST_HALF_OF_MARCH),
    Phrase("本周一到周五", "range", span(d(3, 2), d(3, 6))),
    Phrase("3月到5月", "range", span(d(3, 1), d(5, 31))),
    Phrase("3月1日至今", "range", span(d(3, 1), d(3, 4))),
    Phrase("march 1 to 15", "range", FIRST_HALF_OF_MARCH),
    # --- failures: ambiguous ---
    Phrase("3/4", "day", Reason.AMBIGUOUS),
    Phrase("3-4", "day", Reason.AMBIGUOUS),
    Phrase("4/3/2026", "day", Reason.AMBIGUOUS),
    Phrase("next friday", "day", Reason.AMBIGUOUS),
    Phrase("last monday", "day", Reason.AMBIGUOUS),
    Phrase("明天3点", "moment", Reason.AMBIGUOUS),
    Phrase("3点15分", "moment", Reason.AMBIGUOUS),
    Phrase("tomorrow 3", "moment", Reason.AMBIGUOUS),
    Phrase("3 tomorrow", "moment", Reason.AMBIGUOUS),
    Phrase("两点半", "moment", Reason.AMBIGUOUS),
    Phrase("明天上午", "moment", Reason.AMBIGUOUS),
    Phrase("周五下午", "moment", Reason.AMBIGUOUS),
    Phrase("tomorrow morning", "moment", Reason.AMBIGUOUS),
    Phrase("晚上2点", "moment", Reason.AMBIGUOUS),
    Phrase("下周", "day", Reason.AMBIGUOUS),
    Phrase("本月", "day", Reason.AMBIGUOUS),
    Phrase("march 2026", "day", Reason.AMBIGUOUS),
    Phrase("3/4", "range", Reason.AMBIGUOUS),
    Phrase("3/4 到 3/10", "range", Reason.AMBIGUOUS),
    # --- failures: no such date or time ---
    Phrase("2026-02-30", "day", Reason.INVALID),
    Phrase("2月30日", "day", Reason.INVALID),
    Phrase("13/13", "day", Reason.INVALID),
    Phrase("25点", "moment", Reason.INVALID),
    Phrase("上午15点", "moment", Reason.INVALID),
    Phrase("13月", "range", Reason.INVALID),
    Phrase("最近0天", "range", Reason.INVALID),
    Phrase("2026-03-15 到 2026-03-01", "range", Reason.REVERSED),
    # --- failures: not a date at all ---
    Phrase("", "day", Reason.EMPTY),
    Phrase("   ", "day", Reason.EMPTY),
    Phrase("", "range", Reason.EMPTY),
    Phrase("明" * 101, "day", Reason.TOO_LONG),
    Phrase("x" * 101, "range", Reason.TOO_LONG),
    Phrase("hello", "day", Reason.UNPARSEABLE),
    Phrase("明天见", "day", Reason.UNPARSEABLE),
    Phrase("5", "day", Reason.UNPARSEABLE),
    Phrase("下雨", "range", Reason.UNPARSEABLE),
    Phrase("3月1日到下雨", "range", Reason.UNPARSEABLE),
]


def _family(name: str, phrases: list[Phrase]) -> list[Phrase]:
    return [Phrase(p.text, p.kind, p.expected, name) for p in phrases]


PHRASES += _family(
    "calendar",
    [
        Phrase("本学期", "range", span(d(3, 2), d(7, 3))),
        Phrase("这学期", "range", span(d(3, 2), d(7, 3))),
        Phrase("上学期", "range", span(d(9, 1, 2025), d(1, 23))),
        Phrase("下学期", "range", span(d(9, 1), d(1, 22, 2027))),
        Phrase("this term", "range", span(d(3, 2), d(7, 3))),
        Phrase("开学第一周", "range", span(d(3, 2), d(3, 8))),
        Phrase("第5周", "range", span(d(3, 30), d(4, 5))),
        Phrase("第十八周", "range", span(d(6, 29), d(7, 3))),  # cut at the term's last day
        Phrase("下学期第2周", "range", span(d(9, 7), d(9, 13))),
        Phrase("寒假", "range", span(d(1, 24), d(3, 1))),
        Phrase("今年暑假", "range", span(d(7, 4), d(8, 31))),
        Phrase("国庆假期", "range", span(d(10, 1), d(10, 7))),
        Phrase("五一期间", "range", span(d(5, 1), d(5, 5))),
        Phrase("清明节", "range", span(d(4, 4), d(4, 6))),
        Phrase("国庆后第一天", "range", one(10, 8)),
        Phrase("第19周", "range", Reason.INVALID),
        Phrase("开学第三天", "day", d(3, 4)),
        Phrase("开学第一天", "day", d(3, 2)),
        Phrase("国庆后第一天", "day", d(10, 8)),
        Phrase("五一前最后一个上学日", "day", d(4, 30)),
        Phrase("端午前最后一个上学日", "day", d(6, 18)),
        Phrase("清明后第一个上学日", "day", d(4, 7)),
        Phrase("下个上学日", "day", d(3, 5)),
        Phrase("上个上学日", "day", d(3, 3)),
        Phrase("next school day", "day", d(3, 5)),
        Phrase("第五周周三", "day", d(4, 1)),
        Phrase("寒假最后一天", "day", d(3, 1)),
        Phrase("国庆节第一天", "day", d(10, 1)),
        Phrase("本学期", "day", Reason.AMBIGUOUS),
        Phrase("下一个上学日", "moment", d(3, 5)),
        Phrase("五一前最后一个上学日下午5点", "moment", at(4, 30, 17)),
        Phrase("国庆后第一天上午8点", "moment", at(10, 8, 8)),
        # the exam periods config.toml names (this term: 期中 4月20-22日, 期末 6月29日-7月1日)
        Phrase("期中", "range", span(d(4, 20), d(4, 22))),
        Phrase("期末考试", "range", span(d(6, 29), d(7, 1))),
        Phrase("上学期期末", "range", span(d(1, 12), d(1, 15))),
        Phrase("下学期期中考试", "range", span(d(11, 9), d(11, 11))),
        Phrase("期中前", "range", span(d(3, 4), d(4, 19))),
        Phrase("期末后第一天", "range", one(7, 2)),
        Phrase("期中考试", "day", d(4, 20)),
        Phrase("本学期期末", "day", d(6, 29)),
        Phrase("期中前", "day", d(4, 17)),
        Phrase("期末后第一天", "day", d(7, 2)),
        Phrase("期末考试最后一天", "day", d(7, 1)),
        Phrase("期末前最后一个上学日", "day", d(6, 26)),
        Phrase("期中考试前一天", "day", d(4, 19)),
        Phrase("2026年期末", "day", Reason.UNPARSEABLE),
        Phrase("期末", "moment", d(6, 29)),
        Phrase("期中考试第二天下午3点", "moment", at(4, 21, 15)),
        Phrase("期末前最后一个上学日下午5点", "moment", at(6, 26, 17)),
        Phrase("上学期期中后第一天早上8点", "moment", datetime(2025, 11, 13, 8, tzinfo=TZ)),
    ],
)

PHRASES += _family(
    "edges",
    [
        Phrase("月初", "range", span(d(3, 1), d(3, 10))),
        Phrase("月中", "range", span(d(3, 11), d(3, 20))),
        Phrase("月底", "range", span(d(3, 21), d(3, 31))),
        Phrase("下个月初", "range", span(d(4, 1), d(4, 10))),
        Phrase("上月末", "range", span(d(2, 21), d(2, 28))),
        Phrase("3月下旬", "range", span(d(3, 21), d(3, 31))),
        Phrase("周末", "range", span(d(3, 7), d(3, 8))),
        Phrase("这周末", "range", span(d(3, 7), d(3, 8))),
        Phrase("下周末", "range", span(d(3, 14), d(3, 15))),
        Phrase("this weekend", "range", span(d(3, 7), d(3, 8))),
        Phrase("下下周", "range", span(d(3, 16), d(3, 22))),
        Phrase("下下个月", "range", span(d(5, 1), d(5, 31))),
        Phrase("上半年", "range", span(d(1, 1), d(6, 30))),
        Phrase("下半年", "range", span(d(7, 1), d(12, 31))),
        Phrase("第一季度", "range", span(d(1, 1), d(3, 31))),
        Phrase("Q3", "range", span(d(7, 1), d(9, 30))),
        Phrase("去年12月", "range", span(d(12, 1, 2025), d(12, 31, 2025))),
        Phrase("明年3月", "range", span(d(3, 1, 2027), d(3, 31, 2027))),
        Phrase("月底", "day", d(3, 31)),
        Phrase("本月底", "day", d(3, 31)),
        Phrase("下个月初", "day", d(4, 1)),
        Phrase("上月末", "day", d(2, 28)),
        Phrase("下下周三", "day", d(3, 18)),
        Phrase("去年12月25日", "day", d(12, 25, 2025)),
        Phrase("下周末", "day", Reason.AMBIGUOUS),
        Phrase("月底前", "moment", d(3, 31)),
        Phrase("下下周五下午4点", "moment", at(3, 20, 16)),
        Phrase("月底下午5点", "moment", at(3, 31, 17)),
    ],
)

PHRASES += _family(
    "inherit",
    [
        Phrase("下周二到周四", "range", span(d(3, 10), d(3, 12))),
        Phrase("3月2日到6日", "range", span(d(3, 2), d(3, 6))),
        Phrase("3.1-3.15", "range", FIRST_HALF_OF_MARCH),
        Phrase("3.1-15", "range", FIRST_HALF_OF_MARCH),
        Phrase("3/1-3/15", "range", FIRST_HALF_OF_MARCH),
        Phrase("本周一至周三", "range", span(d(3, 2), d(3, 4))),
        Phrase("上周三到周五", "range", span(d(2, 25), d(2, 27))),
        Phrase("下周一到五", "range", span(d(3, 9), d(3, 13))),
        Phrase("12号到20号", "range", span(d(3, 12), d(3, 20))),
        Phrase("下个月3号到10号", "range", span(d(4, 3), d(4, 10))),
        Phrase("明天上午9点到11点", "range", one(3, 5)),
        Phrase("周五9点到11点", "range", one(3, 6)),
        Phrase("2025年11月3日到12月5日", "range", span(d(11, 3, 2025), d(12, 5, 2025))),
        Phrase("下周四到周二", "range", Reason.REVERSED),
        Phrase("周五到周一", "range", Reason.REVERSED),
        Phrase("下周二到周四", "day", Reason.AMBIGUOUS),
        Phrase("3.1-3.15", "moment", Reason.AMBIGUOUS),
    ],
)

PHRASES += _family(
    "named_day_times",
    [
        Phrase("周五晚七点", "moment", at(3, 6, 19)),
        Phrase("下周一早八点", "moment", at(3, 9, 8)),
        Phrase("礼拜天晚上8点半", "moment", at(3, 8, 20, 30)),
        Phrase("明早七点一刻", "moment", at(3, 5, 7, 15)),
        Phrase("星期四下午三点半", "moment", at(3, 5, 15, 30)),
        Phrase("周六上午10点", "moment", at(3, 7, 10)),
        Phrase("后天晚上九点", "moment", at(3, 6, 21)),
        Phrase("下周三中午12点半", "moment", at(3, 11, 12, 30)),
        Phrase("周二凌晨5点", "moment", at(3, 10, 5)),
        Phrase("下下周五傍晚6点", "moment", at(3, 20, 18)),
        Phrase("周五晚7点前", "moment", at(3, 6, 19)),
        Phrase("昨晚10点", "moment", at(3, 3, 22)),
        Phrase("礼拜五早上七点四十", "moment", at(3, 6, 7, 40)),
        Phrase("周五晚七点", "day", d(3, 6)),
        Phrase("下周一早八点", "range", one(3, 9)),
    ],
)

PHRASES += _family(
    "part_of_day",
    [
        Phrase("周三下午", "day", d(3, 4)),
        Phrase("昨天晚上", "day", d(3, 3)),
        Phrase("明天上午", "day", d(3, 5)),
        Phrase("下周一早上", "day", d(3, 9)),
        Phrase("周五晚上", "day", d(3, 6)),
        Phrase("今晚", "day", d(3, 4)),
        Phrase("明早", "day", d(3, 5)),
        Phrase("明天3点", "day", d(3, 5)),
        Phrase("周三下午", "range", one(3, 4)),
        Phrase("昨晚", "range", one(3, 3)),
        Phrase("下周二上午", "range", one(3, 10)),
        Phrase("礼拜天中午", "moment", at(3, 8, 12)),
        Phrase("周三下午", "moment", Reason.AMBIGUOUS),
        Phrase("昨天晚上", "moment", Reason.AMBIGUOUS),
        Phrase("下周一早上", "moment", Reason.AMBIGUOUS),
        Phrase("周五晚", "moment", Reason.AMBIGUOUS),
    ],
)

PHRASES += _family(
    "never_wrong",
    [
        Phrase("３月５日", "day", d(3, 5)),
        Phrase("３．１５", "day", d(3, 15)),
        Phrase("3 月 5 日", "day", d(3, 5)),
        Phrase("3 . 15", "day", d(3, 15)),
        Phrase("下周 二", "day", d(3, 10)),
        Phrase("周五 晚上 7 点", "moment", at(3, 6, 19)),
        Phrase("３月５日到３月８日", "range", span(d(3, 5), d(3, 8))),
        Phrase("１２号到２０号", "range", span(d(3, 12), d(3, 20))),
        Phrase("3月15日到3月1日", "range", Reason.REVERSED),
        Phrase("12月28日到1月3日", "range", Reason.YEAR_UNCLEAR),
        Phrase("11月到2月", "range", Reason.YEAR_UNCLEAR),
        Phrase("周五左右", "day", Reason.UNPARSEABLE),
        Phrase("明天或后天", "day", Reason.UNPARSEABLE),
        Phrase("3.1-15", "moment", Reason.AMBIGUOUS),
    ],
)


def expected_result(phrase: Phrase) -> Moment | date | DateRange | Reason:
    """What `parse_result` must return for `phrase`."""
    expected = phrase.expected
    if isinstance(expected, Reason | DateRange):
        return expected
    if isinstance(expected, datetime):
        return Moment(expected, has_time=True)
    if phrase.kind == "day":
        return expected
    return Moment(datetime.combine(expected, time(), tzinfo=TZ), has_time=False)


def parse_result(phrase: Phrase) -> Moment | date | DateRange | Reason:
    """Our parser's answer, with a failure reduced to its Reason."""
    result: Moment | date | DateRange | ParseFailure
    if phrase.kind == "range":
        result = parse_range(phrase.text, NOW, tz=TZ, calendar=CALENDAR)
    elif phrase.kind == "day":
        result = parse_day(phrase.text, NOW, tz=TZ, calendar=CALENDAR)
    else:
        result = parse_moment(phrase.text, NOW, tz=TZ, calendar=CALENDAR)
    return result.reason if isinstance(result, ParseFailure) else result
