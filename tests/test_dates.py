from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.core.dates import (
    MAX_LENGTH,
    DateRange,
    Moment,
    ParseFailure,
    Reason,
    describe,
    examples,
    parse_day,
    parse_moment,
    parse_range,
)
from bot.core.i18n import t
from scheduler.calendar import SchoolCalendar

from .date_phrases import (
    CALENDAR,
    FAMILIES,
    NOW,
    PHRASES,
    TZ,
    Phrase,
    expected_result,
    parse_result,
)


def _id(phrase: Phrase) -> str:
    return f"{phrase.kind}:{phrase.text[:24]}"


@pytest.mark.parametrize("phrase", PHRASES, ids=_id)
def test_phrase_table(phrase: Phrase) -> None:
    assert parse_result(phrase) == expected_result(phrase)


def test_table_is_big_enough_and_covers_every_kind() -> None:
    assert len(PHRASES) >= 80
    assert {p.kind for p in PHRASES} == {"moment", "day", "range"}
    assert {p.expected for p in PHRASES if isinstance(p.expected, Reason)} == set(Reason)


@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_of_school_phrases_has_ten_phrases_on_all_three_entry_points(
    family: str,
) -> None:
    phrases = [p for p in PHRASES if p.family == family]
    assert len(phrases) >= 10
    assert {p.kind for p in phrases} == {"moment", "day", "range"}


@pytest.mark.parametrize("phrase", [p for p in PHRASES if p.kind != "range"], ids=_id)
def test_moments_are_in_the_school_zone(phrase: Phrase) -> None:
    result = parse_moment(phrase.text, NOW, tz=TZ)
    if isinstance(result, Moment):
        assert result.at.tzinfo is TZ


def test_parse_day_returns_the_date_and_drops_a_time() -> None:
    assert parse_day("下周五", NOW, tz=TZ) == date(2026, 3, 13)
    assert parse_day("明天下午3点", NOW, tz=TZ) == date(2026, 3, 5)


def test_parse_day_returns_failures_unchanged() -> None:
    result = parse_day("3/4", NOW, tz=TZ)
    assert isinstance(result, ParseFailure)
    assert result.reason is Reason.AMBIGUOUS
    assert result.candidates == (date(2026, 3, 4), date(2026, 4, 3))


def test_next_weekday_ambiguity_lists_both_readings() -> None:
    result = parse_moment("next friday", NOW, tz=TZ)
    assert isinstance(result, ParseFailure)
    assert result.candidates == (date(2026, 3, 6), date(2026, 3, 13))


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 3, 6), date(2026, 3, 6)),  # on a Friday, 周五 is today
        (date(2026, 3, 7), date(2026, 3, 13)),  # on Saturday it is the next one
        (date(2026, 3, 2), date(2026, 3, 6)),
    ],
)
def test_bare_weekday_is_the_first_on_or_after_today(today: date, expected: date) -> None:
    now = datetime(today.year, today.month, today.day, 10, tzinfo=TZ)
    assert parse_day("周五", now, tz=TZ) == expected
    assert parse_day("friday", now, tz=TZ) == expected


def test_this_weeks_day_may_be_in_the_past() -> None:
    saturday = datetime(2026, 3, 7, 10, tzinfo=TZ)
    assert parse_day("这周五", saturday, tz=TZ) == date(2026, 3, 6)
    assert parse_day("this friday", saturday, tz=TZ) == date(2026, 3, 6)


def test_next_weekday_is_plain_once_the_day_has_passed_this_week() -> None:
    saturday = datetime(2026, 3, 7, 10, tzinfo=TZ)
    assert parse_day("next friday", saturday, tz=TZ) == date(2026, 3, 13)
    assert parse_day("下周五", saturday, tz=TZ) == date(2026, 3, 13)


def test_time_alone_at_exactly_now_is_today() -> None:
    result = parse_moment("10:00", NOW, tz=TZ)
    assert result == Moment(NOW, has_time=True)


def test_now_in_another_zone_is_read_on_the_school_clock() -> None:
    # 20:30 UTC on 3月4日 is already 04:30 on 3月5日 in Shanghai
    utc_evening = datetime(2026, 3, 4, 20, 30, tzinfo=UTC)
    assert parse_day("今天", utc_evening, tz=TZ) == date(2026, 3, 5)
    result = parse_moment("2小时后", utc_evening, tz=TZ)
    assert isinstance(result, Moment)
    assert result.at == utc_evening + timedelta(hours=2)
    assert result.at.tzinfo is TZ


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_moment("明天", datetime(2026, 3, 4, 10), tz=TZ)


def test_months_clamp_to_their_last_day() -> None:
    january_31 = datetime(2026, 1, 31, 9, tzinfo=TZ)
    assert parse_day("一个月后", january_31, tz=TZ) == date(2026, 2, 28)
    assert parse_range("上个月", datetime(2026, 3, 31, 9, tzinfo=TZ), tz=TZ) == DateRange(
        date(2026, 2, 1), date(2026, 2, 28)
    )


def test_weeks_cross_a_year_boundary() -> None:
    new_years_day = datetime(2027, 1, 1, 9, tzinfo=TZ)  # a Friday
    assert parse_range("本周", new_years_day, tz=TZ) == DateRange(
        date(2026, 12, 28), date(2027, 1, 3)
    )


def test_length_cap_counts_the_trimmed_text() -> None:
    padded = "  " + "明" * MAX_LENGTH + "  "
    result = parse_day(padded, NOW, tz=TZ)
    assert isinstance(result, ParseFailure)
    assert result.reason is Reason.UNPARSEABLE


def test_failure_echoes_what_the_user_typed() -> None:
    result = parse_day("  ３/４ ", NOW, tz=TZ)
    assert isinstance(result, ParseFailure)
    assert result.text == "３/４"


def test_date_range_helpers() -> None:
    week = DateRange(date(2026, 3, 2), date(2026, 3, 8))
    assert week.days == 7
    assert date(2026, 3, 8) in week
    assert date(2026, 3, 9) not in week


@pytest.mark.parametrize(("lang", "word"), [("zh", "明天"), ("zh-CN", "明天"), ("en", "tomorrow")])
def test_examples_are_in_the_asked_language(lang: str, word: str) -> None:
    assert word in examples(lang)


def test_examples_default_to_chinese() -> None:
    assert examples("fr") == examples("zh")


def test_describe_names_the_candidates() -> None:
    failure = parse_day("3/4", NOW, tz=TZ)
    assert isinstance(failure, ParseFailure)
    assert describe(failure, "zh") == (
        "「3/4」有不止一种理解，请写得更具体一些。可能是 2026年3月4日（周三） 或 2026年4月3日（周五）。"
    )
    assert describe(failure, "en").endswith("Did you mean Wed 4 Mar 2026 or Fri 3 Apr 2026?")


@pytest.mark.parametrize("reason", list(Reason))
def test_describe_has_a_line_for_every_reason(reason: Reason) -> None:
    failure = ParseFailure(reason, "x")
    assert describe(failure, "zh")
    assert describe(failure, "en")


# -- the school calendar (issue 20) --------------------------------------------------------

IN_WINTER_VACATION = datetime(2026, 2, 10, 9, tzinfo=TZ)
LATE_NOVEMBER = datetime(2026, 11, 27, 10, tzinfo=TZ)


def test_a_holiday_long_past_means_the_coming_one_or_is_refused_never_last_years() -> None:
    # Said in late November, 国庆 is the one just past; 元旦 and 春节 are the coming ones,
    # which the national calendar may not know yet: then the phrase is refused, not answered
    # with the 元旦 eleven months ago.
    assert parse_day("国庆后第一天", LATE_NOVEMBER, tz=TZ, calendar=CALENDAR) == date(2026, 10, 8)
    for text in ("元旦前最后一个上学日", "春节"):
        result = parse_range(text, LATE_NOVEMBER, tz=TZ, calendar=CALENDAR)
        if isinstance(result, ParseFailure):
            assert result.reason is Reason.INVALID and "2027" in (result.detail or "")
        else:
            assert result.start > LATE_NOVEMBER.date()
    # Said in March, 五一 is this year's, still ahead.
    assert parse_day("五一前最后一个上学日", NOW, tz=TZ, calendar=CALENDAR) == date(2026, 4, 30)


@pytest.mark.parametrize(
    "text", ["本学期", "开学第三天", "寒假", "国庆后第一天", "下个上学日", "第5周"]
)
def test_calendar_phrases_without_a_calendar_are_refused_not_guessed(text: str) -> None:
    result = parse_range(text, NOW, tz=TZ)
    assert isinstance(result, ParseFailure)
    assert result.reason is Reason.UNPARSEABLE


def test_in_the_winter_vacation_this_term_is_asked_and_the_others_are_the_neighbours() -> None:
    def span(text: str) -> object:
        return parse_range(text, IN_WINTER_VACATION, tz=TZ, calendar=CALENDAR)

    assert isinstance(span("本学期"), ParseFailure)
    assert span("上学期") == DateRange(date(2025, 9, 1), date(2026, 1, 23))
    assert span("下学期") == DateRange(date(2026, 3, 2), date(2026, 7, 3))
    assert span("开学第一周") == DateRange(date(2026, 3, 2), date(2026, 3, 8))
    assert parse_day("下个上学日", IN_WINTER_VACATION, tz=TZ, calendar=CALENDAR) == date(2026, 3, 2)


def test_the_next_school_day_before_a_make_up_saturday_is_that_saturday() -> None:
    friday = datetime(2026, 10, 9, 16, tzinfo=TZ)  # 10月10日 is worked for the National Day
    assert parse_day("下个上学日", friday, tz=TZ, calendar=CALENDAR) == date(2026, 10, 10)


def test_an_admins_day_off_is_skipped_by_the_next_school_day() -> None:
    closed = SchoolCalendar(CALENDAR.settings, {date(2026, 3, 5): (False, "停电")})
    assert parse_day("下个上学日", NOW, tz=TZ, calendar=closed) == date(2026, 3, 6)


def test_a_deadline_given_as_a_part_of_the_day_asks_with_the_times_it_may_mean() -> None:
    result = parse_moment("周三下午", NOW, tz=TZ, calendar=CALENDAR)
    assert isinstance(result, ParseFailure)
    assert result.candidates == (
        datetime(2026, 3, 4, 14, tzinfo=TZ),
        datetime(2026, 3, 4, 17, tzinfo=TZ),
    )
    assert "2026年3月4日（周三） 14:00 或 2026年3月4日（周三） 17:00" in describe(result, "zh")


def test_the_schools_own_time_for_a_part_of_the_day_is_offered_too() -> None:
    own = {"下午": time(16, 30)}
    result = parse_moment("明天下午", NOW, tz=TZ, calendar=CALENDAR, part_times=own)
    assert isinstance(result, ParseFailure)
    assert datetime(2026, 3, 5, 16, 30, tzinfo=TZ) in result.candidates


def test_a_reversed_range_is_refused_with_examples() -> None:
    result = parse_range("下周四到周二", NOW, tz=TZ, calendar=CALENDAR)
    assert isinstance(result, ParseFailure)
    assert result.reason is Reason.REVERSED
    assert "例如：3月2日到6日" in describe(result, "zh")
    assert "e.g. march 2 to 6" in describe(result, "en")


def test_a_range_across_new_year_asks_for_the_year_and_names_the_likely_reading() -> None:
    result = parse_range("12月28日到1月3日", NOW, tz=TZ, calendar=CALENDAR)
    assert isinstance(result, ParseFailure)
    assert result.candidates == (date(2026, 12, 28), date(2027, 1, 3))
    assert "2026年12月28日到2027年1月3日" in describe(result, "zh")


@pytest.mark.parametrize(
    ("key", "phrase", "parse"),
    [
        ("usage.today", "下个上学日", parse_day),
        ("usage.today", "开学第三天", parse_day),
        ("usage.plan", "第5周", parse_range),
        ("usage.plan", "下周二到周四", parse_range),
        ("usage.calendar", "五一前最后一个上学日", parse_day),
        ("export.usage", "本学期", parse_range),
        ("export.usage", "寒假", parse_range),
        ("usage.zero", "上个上学日", parse_day),
        ("duty.usage", "国庆后第一天", parse_day),
    ],
)
def test_help_of_a_date_command_shows_calendar_phrases_the_parser_reads(
    key: str, phrase: str, parse: object
) -> None:
    assert phrase in t("zh", key)
    assert callable(parse)
    assert not isinstance(parse(phrase, NOW, tz=TZ, calendar=CALENDAR), ParseFailure)


def _without_exams() -> SchoolCalendar:
    settings = CALENDAR.settings
    terms = [term.model_copy(update={"midterm": None, "final": None}) for term in settings.terms]
    return SchoolCalendar(settings.model_copy(update={"terms": terms}))


@pytest.mark.parametrize("text", ["期中", "本学期期末考试", "期末后第一天", "期中前"])
def test_exam_phrases_are_refused_with_examples_when_config_names_no_exams(text: str) -> None:
    for result in (
        parse_day(text, NOW, tz=TZ, calendar=_without_exams()),
        parse_range(text, NOW, tz=TZ, calendar=_without_exams()),
    ):
        assert isinstance(result, ParseFailure)
        assert result.reason is Reason.INVALID
        assert "「" + text + "」" in describe(result, "zh") and "校历" in examples("zh")


@pytest.mark.parametrize(
    ("exam", "problem"),
    [
        ({"start": date(2026, 7, 1), "end": date(2026, 7, 10)}, "not inside the term"),
        ({"start": date(2026, 6, 30), "end": date(2026, 6, 29)}, "before it starts"),
    ],
)
def test_an_exam_period_outside_its_term_or_backwards_is_refused_at_startup(
    exam: dict[str, date], problem: str
) -> None:
    from pydantic import ValidationError

    from bot.core.settings import TermSettings

    with pytest.raises(ValidationError, match=problem):
        TermSettings(name="第二学期", start=date(2026, 3, 2), end=date(2026, 7, 3), final=exam)
