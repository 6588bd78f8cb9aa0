from __future__ import annotations

from datetime import date

import pytest

from bot.core.settings import Settings
from scheduler.themes import (
    DEFAULT_THEME,
    SAFETY_DAYS,
    day_theme,
    safety_day_on,
    safety_days_between,
    week_theme,
)
from tests.scheduler.factories import small_settings

D = date


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (D(2025, 3, 31), "全国中小学生安全教育日"),
        (D(2026, 3, 30), "全国中小学生安全教育日"),
        (D(2027, 3, 29), "全国中小学生安全教育日"),
        (D(2026, 4, 15), "全民国家安全教育日"),
        (D(2026, 5, 12), "防灾减灾日"),
        (D(2025, 11, 9), "119消防日"),
        (D(2025, 12, 2), "全国交通安全日"),
    ],
)
def test_fixed_safety_days(day: date, name: str) -> None:
    safety_day = safety_day_on(day)
    assert safety_day is not None and safety_day.name == name
    assert all(len(s.points) >= 2 for s in SAFETY_DAYS)


def test_the_last_monday_of_march_is_a_monday_in_the_last_week() -> None:
    last_monday = SAFETY_DAYS[0].date_in
    for year in range(2024, 2032):
        day = last_monday(year)
        assert day.weekday() == 0 and day.month == 3 and day.day >= 25
    assert safety_day_on(D(2026, 3, 23)) is None


def test_the_day_theme_on_a_safety_day_names_it(shipped: Settings) -> None:
    fire = day_theme(shipped, D(2025, 11, 9))
    assert (fire.title, fire.source) == ("119消防日", "safety_day")
    assert any("119" in point for point in fire.points)
    assert day_theme(shipped, D(2026, 3, 30)).title == "全国中小学生安全教育日"
    # The day after is back to the month's theme.
    month = day_theme(shipped, D(2025, 11, 10))
    assert (month.title, month.source) == ("消防安全", "month")
    assert month.points == ("认识灭火器和消防栓", "拨打119，说清地址")


def test_a_safety_day_in_the_school_week_gives_the_week_its_theme(shipped: Settings) -> None:
    # 9 Nov 2025 is a Sunday: it opens the school week whose meeting is on Monday 10 Nov.
    assert week_theme(shipped, D(2025, 11, 10)).title == "119消防日"
    assert week_theme(shipped, D(2025, 11, 3)).title == "消防安全"
    assert week_theme(shipped, D(2026, 3, 30)).title == "全国中小学生安全教育日"
    assert week_theme(shipped, D(2025, 12, 1)).title == "全国交通安全日"
    assert week_theme(shipped, D(2026, 4, 13)).title == "全民国家安全教育日"
    assert week_theme(shipped, D(2026, 5, 11)).title == "防灾减灾日"
    assert week_theme(shipped, D(2026, 5, 6)).title == "防灾减灾"


def test_a_week_theme_beats_the_month_theme() -> None:
    settings = small_settings(
        themes=[
            {"month": 3, "theme": "校园安全", "points": ["课间不追逐打闹"]},
            {"week": "2026-W11", "theme": "防踩踏", "points": ["上下楼梯靠右行"]},
        ]
    )
    assert day_theme(settings, D(2026, 3, 6)).title == "校园安全"
    week = day_theme(settings, D(2026, 3, 10))
    assert (week.title, week.points, week.source) == ("防踩踏", ("上下楼梯靠右行",), "week")
    # The Sunday before ISO week 11 belongs to that school week.
    assert day_theme(settings, D(2026, 3, 8)).title == "防踩踏"
    assert day_theme(settings, D(2026, 3, 15)).title == "校园安全"
    assert week_theme(settings, D(2026, 3, 9)).title == "防踩踏"
    # A fixed safety day still beats a configured week.
    assert week_theme(settings, D(2026, 3, 30)).title == "全国中小学生安全教育日"


def test_the_default_theme_when_nothing_is_configured() -> None:
    settings = small_settings()
    assert day_theme(settings, D(2026, 3, 4)) == DEFAULT_THEME
    assert DEFAULT_THEME.title == "安全教育" and DEFAULT_THEME.points


def test_safety_days_between_crosses_years() -> None:
    found = safety_days_between(D(2025, 11, 1), D(2026, 4, 30))
    assert [(d, s.name) for d, s in found] == [
        (D(2025, 11, 9), "119消防日"),
        (D(2025, 12, 2), "全国交通安全日"),
        (D(2026, 3, 30), "全国中小学生安全教育日"),
        (D(2026, 4, 15), "全民国家安全教育日"),
    ]
