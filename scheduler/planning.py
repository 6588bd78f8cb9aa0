"""The planner: every routine's rules turn a date into planned events.

A routine planner is a pure function ``(settings, calendar, day) -> list[PlannedEvent]``.
To add a routine, append its planner to ``PLANNERS`` (and its labels to ``KIND_LABELS``) in
``scheduler/rules/__init__.py``; nothing here changes. The database layer turns each event
into a task row keyed by ``PlannedEvent.key`` (INSERT … ON CONFLICT DO NOTHING), so planning a
day twice is harmless.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from bot.core.settings import Settings
from scheduler.calendar import DayKind, Lang, SchoolCalendar, days_between, describe_day
from scheduler.planned import Label, PlannedEvent, Planner, event_order
from scheduler.rules import KIND_LABELS, PLANNERS

__all__ = ["Label", "PlannedEvent", "Planner", "event_order"]  # re-exported: their old home


def default_planners() -> Sequence[Planner]:
    return PLANNERS


def default_labels() -> Mapping[tuple[str, str], Label]:
    return KIND_LABELS


def plan_day(
    settings: Settings,
    calendar: SchoolCalendar,
    day: date,
    planners: Sequence[Planner] | None = None,
) -> list[PlannedEvent]:
    """Every event every routine plans for ``day``, in a deterministic order."""
    chosen = default_planners() if planners is None else planners
    events = [event for planner in chosen for event in planner(settings, calendar, day)]
    events.sort(key=event_order)
    return events


def plan_range(
    settings: Settings,
    calendar: SchoolCalendar,
    start: date,
    end: date,
    planners: Sequence[Planner] | None = None,
) -> list[PlannedEvent]:
    """``plan_day`` for each date from ``start`` to ``end``, both included."""
    chosen = default_planners() if planners is None else planners
    return [
        event
        for day in days_between(start, end)
        for event in plan_day(settings, calendar, day, chosen)
    ]


def events_as_json(events: Iterable[PlannedEvent]) -> list[dict[str, str]]:
    """The events as plain JSON objects (for ``safety-bot plan --json`` and the tests)."""
    return [
        {
            "date": event.day.isoformat(),
            "time": event.at.strftime("%H:%M"),
            "routine": event.routine,
            "kind": event.kind,
            "theme": event.theme,
            "target": event.target_name,
            "key": event.key,
        }
        for event in events
    ]


# -- the admins' text listing ----------------------------------------------------------------

_WEEKDAYS = {
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def format_plan_text(
    events: Iterable[PlannedEvent],
    calendar: SchoolCalendar,
    start: date,
    end: date,
    lang: Lang = "zh",
) -> str:
    """One line per day: why a day has no school, or what each school day holds.

    A week stays far under Telegram's 4096-character message limit; a longer range is the
    caller's to split.
    """
    by_day: dict[date, list[PlannedEvent]] = defaultdict(list)
    for event in events:
        by_day[event.day].append(event)
    labels = default_labels()
    lines = [_header(calendar, start, end, sum(map(len, by_day.values())), lang)]
    for day in days_between(start, end):
        prefix = f"{day.isoformat()} {_WEEKDAYS[lang][day.weekday()]}"
        lines.append(f"{prefix}  {_day_summary(calendar, day, by_day.get(day, []), labels, lang)}")
    return "\n".join(lines)


def _header(calendar: SchoolCalendar, start: date, end: date, count: int, lang: Lang) -> str:
    school = calendar.settings.school.name
    if lang == "zh":
        return f"{school} 安全工作计划 {start.isoformat()}～{end.isoformat()}（共 {count} 项）"
    return f"{school} safety plan {start.isoformat()} – {end.isoformat()} ({count} tasks)"


def _day_summary(
    calendar: SchoolCalendar,
    day: date,
    events: list[PlannedEvent],
    labels: Mapping[tuple[str, str], Label],
    lang: Lang,
) -> str:
    info = calendar.day_info(day)
    parts: list[str] = []
    # Plain school days need no label; the others say why (调休, 补课, a day off, a holiday).
    if info.kind is not DayKind.SCHOOL_DAY or info.assumed:
        parts.append(describe_day(info, lang))
    if events:
        parts.append(plan_summary(events, lang, labels))
    elif info.is_school_day:
        parts.append("无计划任务" if lang == "zh" else "nothing planned")
    return " · ".join(part for part in parts if part)


def plan_summary(
    events: Iterable[PlannedEvent],
    lang: Lang = "zh",
    labels: Mapping[tuple[str, str], Label] | None = None,
) -> str:
    """What these events are, as /plan lists a day: "14:30 班级日报告 ×24 · 主题：…"."""
    chosen = sorted(events, key=event_order)
    parts = _group_summaries(chosen, default_labels() if labels is None else labels, lang)
    parts.append(_themes_summary(chosen, lang))
    return " · ".join(part for part in parts if part)


def _group_summaries(
    events: list[PlannedEvent], labels: Mapping[tuple[str, str], Label], lang: Lang
) -> list[str]:
    groups: dict[tuple[str, str], list[PlannedEvent]] = {}
    for event in events:  # sorted by time: groups come out in the order they first happen
        groups.setdefault((event.routine, event.kind), []).append(event)
    named = [(_span(group), _label(key, labels, lang), len(group)) for key, group in groups.items()]
    # Routines sharing one time span (the 1530 prompts) show it once, to keep a week short.
    if len({span for span, _, _ in named}) == 1:
        first = f"{named[0][0]} {named[0][1]} ×{named[0][2]}"
        return [first] + [f"{name} ×{count}" for _, name, count in named[1:]]
    return [f"{span} {name} ×{count}" for span, name, count in named]


def _span(group: list[PlannedEvent]) -> str:
    first, last = group[0].at.strftime("%H:%M"), group[-1].at.strftime("%H:%M")
    return first if first == last else f"{first}–{last}"


def _label(key: tuple[str, str], labels: Mapping[tuple[str, str], Label], lang: Lang) -> str:
    label = labels.get(key)
    return label.text(lang) if label else ":".join(key)


def _themes_summary(events: list[PlannedEvent], lang: Lang) -> str:
    themes = list(dict.fromkeys(event.theme for event in events if event.theme))
    if not themes:
        return ""
    return ("主题：" if lang == "zh" else "theme: ") + " / ".join(themes)
