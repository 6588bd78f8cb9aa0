"""Safety themes: what today's prompt and this week's class meeting are about.

Precedence, strongest first: a fixed national safety day (built in, below), a theme configured
for the ISO week (``week = "2026-W10"``), a theme configured for the month, the default.
A school week (Sunday–Saturday, see ``scheduler.calendar``) takes the fixed safety day falling
anywhere in it, so a safety day on a Sunday (9 Nov 2025) themes the meeting of the week it opens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from bot.core.settings import Settings
from scheduler.calendar import school_week_bounds, school_week_label

ThemeSource = Literal["safety_day", "week", "month", "default"]


@dataclass(frozen=True, slots=True)
class Theme:
    title: str
    points: tuple[str, ...]
    source: ThemeSource


@dataclass(frozen=True, slots=True)
class SafetyDay:
    name: str
    points: tuple[str, ...]
    date_in: Callable[[int], date]  # the day's date in a given year

    def theme(self) -> Theme:
        return Theme(self.name, self.points, "safety_day")


def _last_monday_of_march(year: int) -> date:
    march_31 = date(year, 3, 31)
    return march_31 - timedelta(days=march_31.weekday())


def _fixed(month: int, day: int) -> Callable[[int], date]:
    return lambda year: date(year, month, day)


SAFETY_DAYS: tuple[SafetyDay, ...] = (
    SafetyDay(
        "全国中小学生安全教育日",
        (
            "认识校园安全标志，熟悉教室和楼道的疏散路线",
            "课间不追逐打闹，上下楼梯靠右行、不推不挤",
            "记住110、119、120，遇到危险先保护自己再求助",
        ),
        _last_monday_of_march,
    ),
    SafetyDay(
        "全民国家安全教育日",
        (
            "国家安全人人有责，爱护国旗国徽",
            "不拍摄、不传播军事设施和不明信息",
            "保护个人和家庭信息，发现可疑情况告诉老师和家长",
        ),
        _fixed(4, 15),
    ),
    SafetyDay(
        "防灾减灾日",
        (
            "地震时就近躲避，震后听从指挥有序疏散",
            "认识学校和社区的应急避难场所",
            "和家人一起准备家庭应急包",
        ),
        _fixed(5, 12),
    ),
    SafetyDay(
        "119消防日",
        (
            "不玩火，不乱动电器、插座和燃气开关",
            "认识安全出口和灭火器，不在楼道堆放杂物",
            "发生火灾弯腰捂鼻沿安全通道逃生，拨打119说清地址",
        ),
        _fixed(11, 9),
    ),
    SafetyDay(
        "全国交通安全日",
        (
            "过马路走斑马线，红灯停、绿灯行",
            "一盔一带：坐电动车戴头盔，坐汽车系安全带",
            "不在马路上追逐玩耍，不乘坐无牌无证车辆",
        ),
        _fixed(12, 2),
    ),
)

DEFAULT_THEME = Theme(
    "安全教育",
    (
        "上下学路上注意交通安全",
        "不玩火、不玩电、不私自下水",
        "遇到危险及时告诉老师和家长",
    ),
    "default",
)


def safety_day_on(day: date) -> SafetyDay | None:
    return next((s for s in SAFETY_DAYS if s.date_in(day.year) == day), None)


def safety_days_between(start: date, end: date) -> list[tuple[date, SafetyDay]]:
    """The fixed safety days from ``start`` to ``end`` (both included), in date order."""
    found = [(s.date_in(year), s) for year in range(start.year, end.year + 1) for s in SAFETY_DAYS]
    return sorted(((d, s) for d, s in found if start <= d <= end), key=lambda pair: pair[0])


def day_theme(settings: Settings, day: date) -> Theme:
    """The theme of the daily prompt on ``day``."""
    safety_day = safety_day_on(day)
    if safety_day is not None:
        return safety_day.theme()
    return configured_theme(settings, day)


def week_theme(settings: Settings, day: date) -> Theme:
    """The theme of the weekly meeting held on ``day``: a safety day in its school week wins."""
    in_week = safety_days_between(*school_week_bounds(day))
    if in_week:
        return in_week[0][1].theme()
    return configured_theme(settings, day)


def configured_theme(settings: Settings, day: date) -> Theme:
    """The config's theme for ``day``'s school week, else for its month, else the default."""
    label = school_week_label(day)
    by_month: Theme | None = None
    for item in settings.education.themes:
        if item.week == label:
            return Theme(item.theme, tuple(item.points), "week")
        if item.month == day.month and by_month is None:
            by_month = Theme(item.theme, tuple(item.points), "month")
    return by_month or DEFAULT_THEME
