"""What a routine's planner gives: ``PlannedEvent``s, and the labels of its kinds.

A leaf of the scheduler: the rules (``scheduler/rules/<routine>.py``) build on it, and
``scheduler/planning.py`` collects them, so neither imports the other's importer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from bot.core.settings import Settings
from scheduler.calendar import Lang, SchoolCalendar


@dataclass(frozen=True, slots=True)
class PlannedEvent:
    key: str  # idempotency key, unique per school: "edu:daily:2026-03-04:3-2"
    routine: str  # "education", "zero_report", …
    kind: str  # the routine's own sub-kind: "daily", "weekly", …
    day: date  # the school date the event belongs to
    at: datetime  # aware, school zone: when the prompt goes out
    deadline: datetime  # unanswered by then: one reminder
    second_deadline: datetime | None  # unanswered by then: the duty leader is alerted
    target: str  # unit slug ("3-2", "canteen")
    target_name: str  # the unit's display name ("三(2)班")
    theme: str = ""
    points: tuple[str, ...] = ()
    minutes: int = 0  # how long the class spends on it (1530: 1/10/5/30)
    # More of the routine's own, kept in the task's payload (an inspection's items, owner).
    extra: tuple[tuple[str, Any], ...] = ()


Planner = Callable[[Settings, SchoolCalendar, date], list[PlannedEvent]]


class Label(NamedTuple):
    zh: str
    en: str

    def text(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en


def event_order(event: PlannedEvent) -> tuple[datetime, str, str, str]:
    return (event.at, event.target, event.kind, event.key)
