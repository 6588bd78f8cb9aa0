"""Texts the bot shows when a date could not be understood."""

from __future__ import annotations

from datetime import date, datetime

from .result import ParseFailure, Reason

_EXAMPLES = {
    "zh": (
        "可以这样写日期：\n"
        "• 今天、明天、后天、昨天\n"
        "• 周五、这周三、下周一\n"
        "• 3月6日、十五号、2026-03-06\n"
        "• 明天下午3点、后天上午9点半、15:30\n"
        "• 三天后、两周后、月底、下周末\n"
        "• 校历：下个上学日、开学第三天、国庆后第一天、五一前最后一个上学日\n"
        "• 时间段：本周、上个月、最近7天、下周二到周四、3月2日到6日、本学期、第5周、寒假"
    ),
    "en": (
        "You can write dates like this:\n"
        "• today, tomorrow, yesterday\n"
        "• friday, this wednesday, monday next week\n"
        "• march 6, 2026-03-06\n"
        "• tomorrow 3pm, friday 9:30am, 15:30\n"
        "• in 3 days, 2 weeks ago, end of the month, next weekend\n"
        "• school calendar: next school day, previous school day\n"
        "• periods: this week, last month, last 7 days, monday to wednesday next week, "
        "2026-03-01 to 2026-03-15, this term, week 5"
    ),
}

_REASONS = {
    "zh": {
        Reason.EMPTY: "请写上日期。",
        Reason.TOO_LONG: "日期写得太长了，请简短一些。",
        Reason.AMBIGUOUS: "「{text}」有不止一种理解，请写得更具体一些。",
        Reason.INVALID: "「{text}」不是一个存在的日期或时间。",
        Reason.REVERSED: "「{text}」的结束日期早于开始日期，请先写开始、再写结束，例如：3月2日到6日、下周二到周四。",
        Reason.YEAR_UNCLEAR: "「{text}」跨了年却没写年份，请写上年份，例如：{example}。",
        Reason.UNPARSEABLE: "抱歉，没看懂「{text}」这个日期。",
    },
    "en": {
        Reason.EMPTY: "Please add a date.",
        Reason.TOO_LONG: "That date is too long, please shorten it.",
        Reason.AMBIGUOUS: "“{text}” can be read more than one way, please be more specific.",
        Reason.INVALID: "“{text}” is not a real date or time.",
        Reason.REVERSED: "In “{text}” the end comes before the start; write the start first, "
        "e.g. march 2 to 6, tuesday to thursday next week.",
        Reason.YEAR_UNCLEAR: "“{text}” crosses New Year without a year; please add it, e.g. {example}.",
        Reason.UNPARSEABLE: "Sorry, I could not understand the date “{text}”.",
    },
}

_ZH_WEEKDAYS = "一二三四五六日"
_EN_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _language(lang: str) -> str:
    # the bot speaks zh-CN by default, so anything not English gets Chinese
    return "en" if lang.lower().startswith("en") else "zh"


def examples(lang: str) -> str:
    """Short help with examples of dates the parser understands ("zh" or "en")."""
    return _EXAMPLES[_language(lang)]


def describe(failure: ParseFailure, lang: str) -> str:
    """One polite line saying what went wrong, with the candidates of an ambiguous date."""
    language = _language(lang)
    line = _REASONS[language][failure.reason].format(
        text=failure.text, example=_year_example(failure, language)
    )
    if failure.reason is Reason.AMBIGUOUS and failure.candidates:
        days = [_format_day(day, language) for day in failure.candidates]
        line += (
            f"可能是 {' 或 '.join(days)}。"
            if language == "zh"
            else f" Did you mean {' or '.join(days)}?"
        )
    return line


def _year_example(failure: ParseFailure, language: str) -> str:
    if failure.reason is not Reason.YEAR_UNCLEAR or len(failure.candidates) != 2:
        return "2026年12月28日到2027年1月3日" if language == "zh" else "2026-12-28 to 2027-01-03"
    start, end = failure.candidates
    if language == "zh":
        return f"{start.year}年{start.month}月{start.day}日到{end.year}年{end.month}月{end.day}日"
    return f"{start.isoformat()} to {end.isoformat()}"


def _format_day(day: date, language: str) -> str:
    if isinstance(day, datetime):  # a moment whose time was unclear: the day and the time
        return f"{_format_day(day.date(), language)} {day:%H:%M}"
    if language == "zh":
        return f"{day.year}年{day.month}月{day.day}日（周{_ZH_WEEKDAYS[day.weekday()]}）"
    return f"{_EN_WEEKDAYS[day.weekday()]} {day.day} {day:%b} {day.year}"
