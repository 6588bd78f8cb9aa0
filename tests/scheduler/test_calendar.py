from __future__ import annotations

import re
from datetime import date, timedelta

import chinese_calendar
import pytest

from bot.core.settings import Settings
from scheduler.calendar import (
    DayKind,
    SchoolCalendar,
    describe_day,
    is_known_year,
    missing_national_calendar_warning,
    school_week_bounds,
    school_week_label,
)
from tests.scheduler.factories import small_settings

D = date


# -- National Day 2025: 1–8 Oct off, make-up Sunday 28 Sept and Saturday 11 Oct ------------


def test_national_day_2025_is_off_and_its_makeup_days_are_school_days(
    calendar: SchoolCalendar,
) -> None:
    for offset in range(8):
        info = calendar.day_info(D(2025, 10, 1) + timedelta(days=offset))
        assert info.kind is DayKind.NATIONAL_HOLIDAY
        assert not info.is_school_day
    assert calendar.day_info(D(2025, 10, 1)).national_holiday == "National Day"
    assert calendar.day_info(D(2025, 10, 6)).national_holiday == "Mid-autumn Festival"

    for makeup in (D(2025, 9, 28), D(2025, 10, 11)):
        info = calendar.day_info(makeup)
        assert makeup.weekday() >= 5
        assert info.kind is DayKind.MAKEUP_WORKDAY
        assert info.makeup_for == "National Day"
        assert info.is_school_day

    assert calendar.day_info(D(2025, 9, 27)).kind is DayKind.WEEKEND
    assert calendar.day_info(D(2025, 10, 12)).kind is DayKind.WEEKEND
    assert calendar.day_info(D(2025, 9, 29)).kind is DayKind.SCHOOL_DAY


def test_around_national_day_2025(calendar: SchoolCalendar) -> None:
    assert calendar.next_school_day(D(2025, 9, 30)) == D(2025, 10, 9)
    assert calendar.previous_school_day(D(2025, 10, 9)) == D(2025, 9, 30)
    assert calendar.next_school_day(D(2025, 9, 26)) == D(2025, 9, 28)
    run = calendar.days_off_after(D(2025, 9, 30))
    assert [info.day for info in run] == [D(2025, 10, d) for d in range(1, 9)]
    assert calendar.days_off_after(D(2025, 9, 29)) == []
    assert [info.day for info in calendar.days_off_after(D(2025, 9, 26))] == [D(2025, 9, 27)]


def test_school_weeks_run_sunday_to_saturday(calendar: SchoolCalendar) -> None:
    # The make-up Sunday opens the week that leads into the holiday ...
    assert school_week_bounds(D(2025, 9, 28)) == (D(2025, 9, 28), D(2025, 10, 4))
    assert calendar.school_week_start(D(2025, 9, 30)) == D(2025, 9, 28)
    assert calendar.school_week_start(D(2025, 9, 24)) == D(2025, 9, 22)
    # ... and the make-up Saturday closes the week that starts after it.
    assert calendar.school_week_start(D(2025, 10, 11)) == D(2025, 10, 9)
    assert calendar.school_week_start(D(2025, 10, 6)) == D(2025, 10, 9)
    # A week with no school day at all.
    assert calendar.school_week_start(D(2025, 8, 6)) is None
    # Weeks are named by the ISO week of their Monday.
    assert school_week_label(D(2025, 9, 28)) == "2025-W40"
    assert school_week_label(D(2025, 9, 29)) == "2025-W40"
    assert school_week_label(D(2025, 10, 4)) == "2025-W40"
    assert school_week_label(D(2026, 3, 2)) == "2026-W10"


# -- Labour Day 2026, as chinese_calendar 1.11 has it ---------------------------------------


def test_labour_day_2026_matches_the_national_data(calendar: SchoolCalendar) -> None:
    holidays = chinese_calendar.get_holidays(D(2026, 4, 25), D(2026, 5, 15), include_weekends=False)
    assert holidays == [D(2026, 5, d) for d in range(1, 6)]
    assert chinese_calendar.get_holiday_detail(D(2026, 5, 9)) == (False, "Labour Day")

    for day in range(1, 6):
        info = calendar.day_info(D(2026, 5, day))
        assert info.kind is DayKind.NATIONAL_HOLIDAY
        assert info.national_holiday == "Labour Day"
    assert calendar.day_info(D(2026, 5, 9)).kind is DayKind.MAKEUP_WORKDAY
    assert calendar.next_school_day(D(2026, 4, 30)) == D(2026, 5, 6)
    assert calendar.school_week_start(D(2026, 5, 9)) == D(2026, 5, 6)


# -- Spring Festival 2026, with a term that covers February ----------------------------------


def test_spring_festival_2026_with_a_february_term() -> None:
    cal = SchoolCalendar(small_settings(terms=[(D(2026, 2, 2), D(2026, 7, 3))]))
    for day in range(15, 24):
        assert cal.day_info(D(2026, 2, day)).kind is DayKind.NATIONAL_HOLIDAY
    assert cal.day_info(D(2026, 2, 17)).national_holiday == "Spring Festival"
    for makeup in (D(2026, 2, 14), D(2026, 2, 28)):
        assert makeup.weekday() == 5
        assert cal.day_info(makeup).kind is DayKind.MAKEUP_WORKDAY
    assert cal.next_school_day(D(2026, 2, 14)) == D(2026, 2, 24)
    assert cal.school_week_start(D(2026, 2, 26)) == D(2026, 2, 24)


def test_spring_festival_in_the_shipped_winter_vacation(calendar: SchoolCalendar) -> None:
    info = calendar.day_info(D(2026, 2, 17))
    assert info.kind is DayKind.VACATION
    assert info.national_holiday == "Spring Festival"
    # A make-up Saturday outside every term is no school day either.
    assert calendar.day_info(D(2026, 2, 14)).kind is DayKind.VACATION


# -- terms and vacations ---------------------------------------------------------------------


def test_terms_bound_the_school_year(calendar: SchoolCalendar) -> None:
    assert calendar.day_info(D(2025, 8, 29)).kind is DayKind.VACATION
    assert calendar.is_school_day(D(2025, 9, 1))
    assert calendar.previous_school_day(D(2025, 9, 1)) is None
    assert calendar.is_school_day(D(2026, 1, 23))
    assert calendar.day_info(D(2026, 1, 26)).kind is DayKind.VACATION
    assert calendar.next_school_day(D(2026, 1, 23)) == D(2026, 3, 2)
    assert calendar.next_school_day(D(2027, 1, 22)) is None
    assert calendar.day_info(D(2026, 3, 2)).term == "2025-2026学年第二学期"


def test_a_vacation_run_is_cut_but_starts_right_after_the_term(calendar: SchoolCalendar) -> None:
    run = calendar.days_off_after(D(2026, 1, 23))
    assert run[0].day == D(2026, 1, 24)
    assert run[-1].day == D(2026, 3, 1)
    assert all(info.kind is DayKind.VACATION for info in run)
    endless = calendar.days_off_after(D(2027, 1, 22))
    assert len(endless) == 100


def test_school_days_of_the_autumn_term(calendar: SchoolCalendar) -> None:
    days = calendar.school_days(D(2025, 9, 1), D(2026, 1, 23))
    assert D(2025, 9, 28) in days and D(2025, 10, 11) in days
    assert D(2025, 10, 1) not in days and D(2026, 1, 1) not in days
    assert D(2026, 1, 4) in days  # New Year make-up Sunday
    assert days == sorted(days)
    assert all(calendar.is_school_day(d) for d in days)
    # 21 weeks of Mon–Fri, minus 8 weekday holidays (1–3 and 6–8 Oct, 1–2 Jan), plus 3
    # make-up weekend days (28 Sep, 11 Oct, 4 Jan).
    assert len(days) == 21 * 5 - 8 + 3


# -- the school's own days, config and overrides ---------------------------------------------


def test_a_config_day_off(calendar: SchoolCalendar) -> None:
    info = calendar.day_info(D(2026, 4, 24))
    assert info.kind is DayKind.SCHOOL_DAY_OFF
    assert info.reason == "春季运动会"
    assert not info.is_school_day
    assert calendar.next_school_day(D(2026, 4, 23)) == D(2026, 4, 27)


def test_overrides_beat_config_which_beats_the_national_calendar(shipped: Settings) -> None:
    cal = SchoolCalendar(
        shipped,
        overrides={
            D(2026, 4, 24): (True, "运动会改期"),
            D(2026, 3, 4): (False, "暴雨停课"),
            D(2026, 3, 7): (True, "补课"),
            D(2026, 5, 1): (True, "校庆"),
        },
    )
    assert cal.day_info(D(2026, 4, 24)).kind is DayKind.EXTRA_SCHOOL_DAY
    assert cal.day_info(D(2026, 4, 24)).reason == "运动会改期"
    off = cal.day_info(D(2026, 3, 4))
    assert (off.kind, off.reason, off.is_school_day) == (DayKind.SCHOOL_DAY_OFF, "暴雨停课", False)
    assert cal.is_school_day(D(2026, 3, 7))
    labour = cal.day_info(D(2026, 5, 1))
    assert labour.is_school_day and labour.national_holiday == "Labour Day"


def test_config_extra_days_and_days_off() -> None:
    settings = small_settings(
        days_off=[(D(2026, 3, 11), "校庆"), (D(2026, 3, 21), "both")],
        extra_days=[(D(2026, 3, 14), "补课"), (D(2026, 3, 21), "both"), (D(2026, 8, 1), "夏令营")],
    )
    cal = SchoolCalendar(settings)
    assert cal.day_info(D(2026, 3, 11)).kind is DayKind.SCHOOL_DAY_OFF
    assert cal.day_info(D(2026, 3, 14)).kind is DayKind.EXTRA_SCHOOL_DAY
    assert not cal.is_school_day(D(2026, 3, 21))  # days_off wins over extra_days
    summer = cal.day_info(D(2026, 8, 1))
    assert summer.is_school_day and summer.term is None
    assert cal.next_school_day(D(2026, 7, 3)) == D(2026, 8, 1)


# -- years chinese_calendar does not know ----------------------------------------------------


def test_known_years() -> None:
    assert is_known_year(2025) and is_known_year(2026)
    assert not is_known_year(2027)


def test_an_unknown_year_falls_back_to_weekends_only(calendar: SchoolCalendar) -> None:
    assert not calendar.is_known_year(2027)
    new_year = calendar.day_info(D(2027, 1, 1))  # a Friday: surely a holiday, but unannounced
    assert new_year.kind is DayKind.SCHOOL_DAY and new_year.assumed
    assert calendar.day_info(D(2027, 1, 2)).kind is DayKind.WEEKEND
    assert calendar.day_info(D(2027, 2, 1)).kind is DayKind.VACATION
    days = calendar.school_days(D(2027, 1, 1), D(2027, 1, 31))
    assert len(days) == 16  # Mon–Fri from 1 to 22 January
    assert calendar.next_school_day(D(2026, 12, 31)) == D(2027, 1, 1)


def test_the_warning_starts_in_december_before_an_unknown_year(calendar: SchoolCalendar) -> None:
    assert calendar.missing_national_calendar_warning(D(2026, 11, 30), "zh") is None
    assert calendar.missing_national_calendar_warning(D(2025, 12, 15), "zh") is None
    warning = calendar.missing_national_calendar_warning(D(2026, 12, 1), "zh")
    assert warning is not None
    assert "2027" in warning and "/calendar" in warning and "周末" in warning
    assert missing_national_calendar_warning(D(2027, 1, 10), "zh") is not None


def test_the_warning_is_in_one_language(calendar: SchoolCalendar) -> None:
    chinese = calendar.missing_national_calendar_warning(D(2026, 12, 1), "zh") or ""
    english = calendar.missing_national_calendar_warning(D(2026, 12, 1), "en") or ""
    assert (
        re.findall(r"[A-Za-z]{2,}", chinese.replace("/calendar", "").replace("chinesecalendar", ""))
        == []
    )
    assert "weekends-only" in english and "upgraded" in english
    assert re.findall(r"[\u4e00-\u9fff]", english) == []


# -- caching and labels -----------------------------------------------------------------------


def test_day_info_is_cached(calendar: SchoolCalendar) -> None:
    assert calendar.day_info(D(2025, 10, 1)) is calendar.day_info(D(2025, 10, 1))


@pytest.mark.parametrize(
    ("day", "zh", "en"),
    [
        (D(2025, 10, 1), "国庆节", "National Day"),
        (D(2025, 10, 6), "中秋节", "Mid-Autumn Festival"),
        (D(2026, 4, 5), "清明节", "Qingming Festival"),
        (D(2026, 6, 19), "端午节", "Dragon Boat Festival"),
        (D(2025, 9, 28), "调休上课（国庆节）", "make-up school day (National Day)"),
        (D(2026, 4, 24), "学校休息日：春季运动会", "school day off: 春季运动会"),
        (D(2026, 2, 17), "寒假 · 春节", "winter vacation · Spring Festival"),
        (D(2026, 7, 20), "暑假", "summer vacation"),
        (D(2026, 3, 7), "周末", "weekend"),
        (
            D(2027, 1, 4),
            "上课日（未知年份，按周末推定）",
            "school day (year unknown: weekends-only assumed)",
        ),
    ],
)
def test_describe_day(calendar: SchoolCalendar, day: date, zh: str, en: str) -> None:
    assert describe_day(calendar.day_info(day), "zh") == zh
    assert describe_day(calendar.day_info(day), "en") == en
