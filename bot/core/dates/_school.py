"""Grammar for what only the school's calendar answers: 本学期, 开学第一周, 第5周周三, 寒假,
国庆假期, 国庆后第一天, 五一前最后一个上学日, 下个上学日.

Rules (the calendar is the one passed in; without one these phrases fail as UNPARSEABLE):

- A term is "current" when today is in it. 本学期 in a vacation is AMBIGUOUS (the one that
  ended or the one to come?); 上学期/下学期 there are the one that ended / the one to come.
- 开学 and 第N周 without a term mean the current term, or in a vacation the coming one.
  Teaching week 1 is the ISO week (Mon-Sun) holding the term's first day; weeks are cut to
  the term. 开学第N天 counts school days from the term's start.
- 寒假 / 暑假 are the gaps between terms: 寒假 the one of the current school year (Sep-Aug),
  暑假 the current calendar year's; 今年/去年/明年/2026年 pick the year of its January or July.
- National holidays (国庆, 五一, 春节, 元旦, 清明, 端午, 中秋) are the State Council's block of
  days off of that name in the current year (or the year said), from chinese_calendar.
- X前最后一个上学日 / X后第一天 count school days outside X; X第一天 / X最后一天 are X's own.
- 下个上学日 / 上个上学日 are the first school day after / before today.
- 期中 / 期末 (考试, 周) are the exam periods config names in [[terms]] (midterm, final) of
  the term qualified (本学期期末, 上学期期中) or, without one, the current (or coming) term; a
  span where a span is wanted, its first day where a day is. A term without one: INVALID.
- X前 alone (期中前, 国庆之前): as a day the last school day before X; as a span today to
  the day before X (REVERSED once X has begun).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from ._context import YEAR_WORD, Context, DayOutcome, RangeOutcome, week_start, year_of
from ._text import NUM, ZH_WEEKDAY, to_int, zh_weekday
from .result import DateRange, ParseFailure, Reason
from .school import SchoolDays

_SEARCH_DAYS = 370  # longer than any vacation: a walk to the next school day stops here

# word: (chinese_calendar's name, (month, day) where its block can start, days to search)
_HOLIDAYS = {
    "元旦": ("New Year's Day", (1, 1), 6),
    "春节": ("Spring Festival", (1, 15), 45),
    "清明": ("Tomb-sweeping Day", (3, 30), 12),
    "五一": ("Labour Day", (4, 25), 16),
    "劳动节": ("Labour Day", (4, 25), 16),
    "端午": ("Dragon Boat Festival", (5, 25), 36),
    "中秋": ("Mid-autumn Festival", (9, 5), 36),
    "国庆": ("National Day", (9, 25), 20),
    "十一": ("National Day", (9, 25), 20),
}
_VACATIONS = {"寒假": (2, 10), "暑假": (8, 1)}  # a day surely inside each, by month and day
_EXAMS = {"期中": "midterm", "期末": "final"}
_TERM_WORDS = {"本学期": 0, "这学期": 0, "这个学期": 0, "上学期": -1, "上个学期": -1,
               "下学期": 1, "下个学期": 1, "this term": 0, "last term": -1, "next term": 1,
               "this semester": 0, "last semester": -1, "next semester": 1}  # fmt: skip

_YEAR = rf"(?P<y>{NUM}年|{YEAR_WORD})?"
_HOLIDAY_WORD = "|".join(sorted(_HOLIDAYS, key=len, reverse=True))
# the thing named: a holiday, a vacation or a term (国庆节 / 国庆假期 / 十一长假 / 寒假期间)
_NAMED = (
    rf"{_YEAR}(?:(?P<hol>{_HOLIDAY_WORD})节?(?:假期|长假|小长假|放假|期间)?"
    r"|(?P<vac>寒假|暑假)(?:期间)?|(?P<term>本学期|这个?学期|上个?学期|下个?学期)"
    r"|(?P<eterm>本学期|这个?学期|上个?学期|下个?学期)?(?:的)?"
    r"(?P<exam>期中|期末)(?:考试|考)?(?:周|期间|阶段)?)"
)
_NAMED_RE = re.compile(_NAMED)
_SCHOOL_DAY = r"(?:个)?(?:上学日|上课日|教学日|工作日|school\s+day)"
# where in or around it: 第一天, 最后一天, 前最后一个上学日, 后第一天, 前一天
_POSITION_RE = re.compile(
    rf"{_NAMED}(?:的)?(?:"
    rf"(?P<inside>第(?P<nth>{NUM})天|最后一天)"
    rf"|(?P<before>[以之]?前)(?:的)?(?:最后|倒数第)(?P<back>{NUM})?(?:{_SCHOOL_DAY}|天)"
    rf"|(?P<after>[以之]?后)(?:的)?第(?P<fwd>{NUM})(?:{_SCHOOL_DAY}|天)"
    r"|(?P<eve>前一天)|(?P<next>后一天))"
)
# X前 alone: as a day the last school day before X, as a span from today to the day before X
_BEFORE_RE = re.compile(rf"{_NAMED}(?:的)?[以之]?前")
_NEIGHBOUR_RE = re.compile(
    rf"(?P<dir>[上下])(?P<n>{NUM})?{_SCHOOL_DAY}|(?P<en>next|previous|last)\s+school\s+day"
)
_TERM_QUALIFIER = r"(?P<term>本学期|这个?学期|上个?学期|下个?学期|开学)?"
_WEEK_RE = re.compile(
    rf"{_TERM_QUALIFIER}(?:的)?第(?P<n>{NUM})(?:个)?(?:教学)?(?:周|星期|礼拜)"
    rf"(?:的)?(?:(?:周|星期|礼拜)(?P<wd>{ZH_WEEKDAY}))?|(?:teaching\s+)?week\s+(?P<en>\d{{1,2}})"
)
_TERM_DAY_RE = re.compile(
    rf"{_TERM_QUALIFIER}(?:的)?(?:开学)?(?:第(?P<n>{NUM})天|(?P<first>那天|当天|日|第一天))"
)
_MARKERS = re.compile(
    r"学|假|期|周|星期|礼拜|日|天|节|" + _HOLIDAY_WORD + r"|school|term|semester|week"
)


def school_span(text: str, ctx: Context) -> RangeOutcome:
    """A span only the calendar knows (本学期, 第5周, 寒假, 国庆假期), or None."""
    if not _MARKERS.search(text):
        return None
    if text in _TERM_WORDS:
        return _needs(ctx) or _term_span(_TERM_WORDS[text], ctx)
    if match := _WEEK_RE.fullmatch(text):
        if match["wd"]:
            return None  # one day: school_day's
        return _needs(ctx) or _teaching_week(match, ctx)
    if match := _NAMED_RE.fullmatch(text):
        return _needs(ctx) or _named_span(match, ctx)
    if match := _BEFORE_RE.fullmatch(text):
        return _needs(ctx) or _until(match, ctx)
    return None


def school_day(text: str, ctx: Context) -> DayOutcome:
    """One day only the calendar knows (开学第三天, 国庆后第一天, 下个上学日), or None."""
    if not _MARKERS.search(text):
        return None
    for grammar in _DAY_GRAMMARS:
        match = grammar[0].fullmatch(text)
        if match:
            return _needs(ctx) or grammar[1](match, ctx)
    return None


def _needs(ctx: Context) -> ParseFailure | None:
    if ctx.calendar is None:
        return ctx.fail(Reason.UNPARSEABLE, "a school calendar phrase, but no calendar given")
    return None


def _calendar(ctx: Context) -> SchoolDays:
    assert ctx.calendar is not None  # checked by _needs
    return ctx.calendar


# -- terms ------------------------------------------------------------------------------------


def _term_span(offset: int, ctx: Context) -> DateRange | ParseFailure:
    terms = [DateRange(start, end) for start, end, _ in _calendar(ctx).term_spans()]
    current = next((i for i, term in enumerate(terms) if ctx.today in term), None)
    if current is not None:
        index = current + offset
    elif offset == 0:
        return ctx.fail(Reason.AMBIGUOUS, "本学期 during a vacation")
    else:
        # in a vacation the term that ended is 上学期 and the coming one 下学期
        ended = sum(1 for term in terms if term.end < ctx.today)
        index = ended - 1 + offset + (0 if offset > 0 else 1)
    if not 0 <= index < len(terms):
        return ctx.fail(Reason.INVALID, "the school calendar has no such term")
    return terms[index]


def _term_of(word: str | None, ctx: Context) -> DateRange | ParseFailure:
    """The term a qualifier names; none (or 开学): the current term, in a vacation the next."""
    if word and word != "开学":
        return _term_span(_TERM_WORDS[word], ctx)
    terms = [DateRange(start, end) for start, end, _ in _calendar(ctx).term_spans()]
    term = next((term for term in terms if term.end >= ctx.today), None)
    return term or ctx.fail(Reason.INVALID, "no term ahead in the school calendar")


def _teaching_week(match: re.Match[str], ctx: Context) -> DateRange | ParseFailure:
    term = _term_of(match["term"], ctx)
    if isinstance(term, ParseFailure):
        return term
    number = to_int(match["n"] or match["en"])
    monday = week_start(term.start, number - 1)
    if number < 1 or monday > term.end:
        return ctx.fail(Reason.INVALID, f"the term has no week {number}")
    return DateRange(max(monday, term.start), min(monday + timedelta(days=6), term.end))


def _week_day(match: re.Match[str], ctx: Context) -> DayOutcome:
    """第5周周三: that weekday of teaching week 5."""
    if not match["wd"]:
        return None
    week = _teaching_week(match, ctx)
    if isinstance(week, ParseFailure):
        return week
    return week_start(week.start) + timedelta(days=zh_weekday(match["wd"]) - 1)


def _term_day(match: re.Match[str], ctx: Context) -> DayOutcome:
    """开学第三天: the third school day of the term; 开学那天: its first."""
    if not (match["term"] or "开学" in match.string):
        return None  # a bare 第三天 says nothing about the term
    term = _term_of(match["term"], ctx)
    if isinstance(term, ParseFailure):
        return term
    count = 1 if match["first"] else to_int(match["n"])
    return _nth_school_day(term.start - timedelta(days=1), count, ctx, limit=term.end)


# -- vacations and holidays -----------------------------------------------------------------


def _named_span(match: re.Match[str], ctx: Context) -> RangeOutcome:
    if match["exam"]:
        return None if match["y"] else _exam(match["eterm"], match["exam"], ctx)
    if match["term"]:
        if match["y"]:
            return None
        return _term_span(_TERM_WORDS[match["term"]], ctx)
    if match["vac"]:
        return _vacation(match["vac"], match["y"], ctx)
    return _holiday(match["hol"], match["y"], ctx)


def _vacation(word: str, year_token: str | None, ctx: Context) -> RangeOutcome:
    month, day = _VACATIONS[word]
    year = year_of(year_token, ctx)
    if year_token is None and word == "寒假" and ctx.today.month >= 9:
        year += 1  # the winter vacation of the school year that began in September
    inside = date(year, month, day)
    terms = sorted(_calendar(ctx).term_spans())
    for (_, end, _), (start, _, _) in zip(terms, terms[1:], strict=False):
        if end < inside < start:
            return DateRange(end + timedelta(days=1), start - timedelta(days=1))
    return ctx.fail(Reason.INVALID, f"the school calendar has no {word} of {year}")


# A holiday said without a year is this year's, unless it ended this long ago: then the
# coming one (元旦 said in November is the next New Year, 国庆后 said in November the last).
_RECENT_DAYS = 60


def _holiday(word: str, year_token: str | None, ctx: Context) -> RangeOutcome:
    year = year_of(year_token, ctx)
    found = _holiday_of(word, year, ctx)
    past = isinstance(found, DateRange) and (ctx.today - found.end).days > _RECENT_DAYS
    return _holiday_of(word, year + 1, ctx) if year_token is None and past else found


def _holiday_of(word: str, year: int, ctx: Context) -> RangeOutcome:
    name, (month, day), days = _HOLIDAYS[word]
    calendar = _calendar(ctx)
    start = date(year, month, day)
    if word == "元旦":
        start -= timedelta(days=3)  # its block may begin on 30 or 31 December
    first = next(
        (
            start + timedelta(n)
            for n in range(days)
            if calendar.holiday_name(start + timedelta(n)) == name
        ),
        None,
    )
    if first is None:
        return ctx.fail(Reason.INVALID, f"the national calendar does not know {word} {year}")
    last = first
    while calendar.holiday_name(first - timedelta(days=1)):
        first -= timedelta(days=1)
    while calendar.holiday_name(last + timedelta(days=1)):
        last += timedelta(days=1)
    return DateRange(first, last)


def _exam(term_word: str | None, exam: str, ctx: Context) -> DateRange | ParseFailure:
    """期中 / 期末 of the term named (none: the current term, in a vacation the coming one),
    as config names it; a term without one is refused, never guessed."""
    term = _term_of(term_word, ctx)
    if isinstance(term, ParseFailure):
        return term
    span = _calendar(ctx).exam_span(term.start, _EXAMS[exam])
    if span is None:
        return ctx.fail(Reason.INVALID, f"config names no {_EXAMS[exam]} for that term")
    return DateRange(*span)


def _exam_day(match: re.Match[str], ctx: Context) -> DayOutcome:
    """期末考试 where one day is wanted: its first day."""
    if not match["exam"]:
        return None  # other spans as one day stay AMBIGUOUS (parse_period's answer)
    span = _named_span(match, ctx)
    return span.start if isinstance(span, DateRange) else span


def _before_day(match: re.Match[str], ctx: Context) -> DayOutcome:
    """期中前 / 国庆之前 as one day: the last school day before it."""
    span = _named_span(match, ctx)
    if span is None or isinstance(span, ParseFailure):
        return span
    return _nth_school_day(span.start, -1, ctx)


def _until(match: re.Match[str], ctx: Context) -> RangeOutcome:
    """期中前 as a span: from today to the day before it; refused once it has begun."""
    span = _named_span(match, ctx)
    if span is None or isinstance(span, ParseFailure):
        return span
    if span.start <= ctx.today:
        return ctx.fail(Reason.REVERSED, "it has already begun")
    return DateRange(ctx.today, span.start - timedelta(days=1))


def _position(match: re.Match[str], ctx: Context) -> DayOutcome:
    """A day in or around a named span: 国庆第一天, 五一前最后一个上学日, 寒假后第一天."""
    span = _named_span(match, ctx)
    if span is None or isinstance(span, ParseFailure):
        return span
    if match["inside"]:
        if match["nth"] is None:
            return span.end
        day = span.start + timedelta(days=to_int(match["nth"]) - 1)
        return day if day in span else ctx.fail(Reason.INVALID, "beyond the span's last day")
    if match["eve"]:
        return span.start - timedelta(days=1)
    if match["next"]:
        return span.end + timedelta(days=1)
    if match["before"]:
        count = to_int(match["back"]) if match["back"] else 1
        return _nth_school_day(span.start, -count, ctx)
    return _nth_school_day(span.end, to_int(match["fwd"]), ctx)


def _neighbour(match: re.Match[str], ctx: Context) -> DayOutcome:
    """下个上学日 / 上个上学日 / 下两个上学日 / next school day."""
    if match["en"]:
        step = 1 if match["en"] == "next" else -1
    else:
        step = (to_int(match["n"]) if match["n"] else 1) * (1 if match["dir"] == "下" else -1)
    return _nth_school_day(ctx.today, step, ctx)


def _nth_school_day(
    origin: date, count: int, ctx: Context, *, limit: date | None = None
) -> DayOutcome:
    """The |count|-th school day after (count > 0) or before (count < 0) `origin`."""
    if count == 0:
        return ctx.fail(Reason.INVALID, "the 0th school day")
    calendar, step = _calendar(ctx), 1 if count > 0 else -1
    day, left = origin, abs(count)
    for _ in range(_SEARCH_DAYS):
        day += timedelta(days=step)
        if limit is not None and day > limit:
            break
        if calendar.is_school_day(day):
            left -= 1
            if left == 0:
                return day
    return ctx.fail(Reason.INVALID, "no such school day in the school calendar")


_DAY_GRAMMARS: tuple[
    tuple[re.Pattern[str], Callable[[re.Match[str], Context], DayOutcome]], ...
] = (
    (_NEIGHBOUR_RE, _neighbour),
    (_WEEK_RE, _week_day),
    (_TERM_DAY_RE, _term_day),
    (_POSITION_RE, _position),
    (_NAMED_RE, _exam_day),
    (_BEFORE_RE, _before_day),
)
