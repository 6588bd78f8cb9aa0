"""What the drill modules share: the routine's name, the outcomes, the plans of config.toml,
the theme (the month's 1530 theme unless the plan names one), who leads, the plan's text."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from bot.core.i18n import t
from bot.core.settings import DrillSettingsEntry, Settings
from scheduler.themes import configured_theme
from storage.drills import Drill
from storage.models import Person
from storage.people import has_role

ROUTINE = "drills"
STAFF = ("admin", "duty_leader", "safety_officer", "teacher", "head_teacher", "guard", "staff")


class Outcome(StrEnum):
    DONE = "done"
    REPLACED = "replaced"  # a class's second headcount replaces its first
    NOT_FOUND = "not_found"  # no drill today, or not started
    NOT_ALLOWED = "not_allowed"
    STALE = "stale"  # started already, ended already: nothing changes
    BAD_COUNT = "bad_count"  # 实到 above 应到, a negative or absurd number
    NEED_REASON = "need_reason"  # 实到 below 应到 without a reason
    NO_CLASS = "no_class"  # the head teacher's class cannot be told apart
    PAST = "past"  # a move to a time gone by
    NOT_SCHOOL_DAY = "not_school_day"  # a move to a day without school
    CLASH = "clash"  # a move to a day that has its own drill


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    drill_id: int = 0
    unit_name: str = ""
    seconds: int | None = None  # the evacuation time, once ended
    mismatch: bool = False
    closed: bool = False


def plan_on(settings: Settings, day: dt.date) -> DrillSettingsEntry | None:
    return next((p for p in settings.drills.plans if p.date == day), None)


def plan_of(settings: Settings, drill: Drill) -> DrillSettingsEntry | None:
    """The config.toml plan a drill came from (its roles), moved or not."""
    return plan_on(settings, drill.plan_day or drill.day)


def key_of(drill: Drill) -> str:
    """The outbox keys' stem: a moved drill's plan, reminder and start button go out again
    for the new time."""
    return f"dr:{drill.id}" if not drill.moves else f"dr:{drill.id}.{drill.moves}"


def next_plan(settings: Settings, today: dt.date) -> DrillSettingsEntry | None:
    coming = sorted((p for p in settings.drills.plans if p.date >= today), key=lambda p: p.date)
    return coming[0] if coming else None


def theme_of(settings: Settings, plan: DrillSettingsEntry) -> str:
    """The plan's own theme, else the 1530 theme of its month (每月一主题, matched)."""
    return plan.theme or configured_theme(settings, plan.date).title


def is_commander(person: Person | None, plan: DrillSettingsEntry | None) -> bool:
    """The plan's 总指挥, or an admin standing in."""
    if person is None:
        return False
    if has_role(person, "admin"):
        return True
    return plan is not None and person.display_name.strip().lower() == plan.commander.lower()


def plan_text(settings: Settings, plan: DrillSettingsEntry, lang: str) -> str:
    """The plan (方案): date and time, theme, signal, routes, assembly point, roles."""
    none = "—"
    lines = [
        t(
            lang,
            "drill.plan",
            date=plan.date.isoformat(),
            time=plan.time.strftime("%H:%M"),
            theme=theme_of(settings, plan),
            signal=plan.signal or none,
            assembly=plan.assembly or none,
            commander=plan.commander,
            marshals="；".join(plan.marshals) or none,
            counters="、".join(plan.counters) or none,
        )
    ]
    if plan.routes:
        lines.append(t(lang, "drill.plan_routes"))
        lines += [f"  • {route}" for route in plan.routes]
    return "\n".join(lines)


def duration(seconds: int | None, lang: str) -> str:
    if seconds is None:
        return "—"
    return t(lang, "drill.duration", minutes=seconds // 60, seconds=seconds % 60)
