"""Every routine module (``scheduler/<routine>.py``, or a package such as
``scheduler/zero_report/``) declares what the engine runs:

- ``ROUTINES``: objects following ``scheduler.routine.Routine`` for task-based routines (the
  generic engine prompts, reminds and escalates their tasks);
- ``TICK_JOBS``: extra idempotent steps run on every tick (a roll-up, notice reminders …),
  each ``async (TickContext) -> int``;
- ``SETTLE_JOBS``: steps of the same shape run after the day's tasks are made and before
  any prompt goes out, for tasks answered some other way (a unit's /report before its task
  existed), so nobody is asked for what they already gave;
- ``OVERVIEWS``: sections of /today, each ``async (session, ctx, day, lang) -> str | None``.

This module collects them in ROUTINE_MODULES order, so routines never edit each other.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType

from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from scheduler.calendar import SchoolCalendar
from scheduler.routine import Context, Routine

ROUTINE_MODULES = (
    "education",
    "zero_report",
    "duty",
    "notices",
    "hazards",
    "inspections",
    "bus",
    "drills",
    "calendar_watch",
    "delivery",
)


@dataclass(frozen=True)
class TickContext:
    session: AsyncSession
    ctx: Context
    settings: Settings
    calendar: SchoolCalendar
    today: dt.date
    now: dt.datetime
    day_end: dt.datetime


TickJob = Callable[[TickContext], Awaitable[int]]


def _modules() -> list[ModuleType]:
    # By name, at call time: routine modules import TickContext from here.
    return [importlib.import_module(f"scheduler.{name}") for name in ROUTINE_MODULES]


def routines() -> dict[str, Routine]:
    return {r.name: r for m in _modules() for r in getattr(m, "ROUTINES", [])}


def tick_jobs() -> list[tuple[str, TickJob]]:
    return _jobs("TICK_JOBS")


def settle_jobs() -> list[tuple[str, TickJob]]:
    return _jobs("SETTLE_JOBS")


def _jobs(attribute: str) -> list[tuple[str, TickJob]]:
    return [
        (f"{m.__name__}.{job.__name__}", job)
        for m in _modules()
        for job in getattr(m, attribute, [])
    ]


Overview = Callable[[AsyncSession, Context, dt.date, str], Awaitable[str | None]]


def overviews() -> list[Overview]:
    """The /today sections of every routine but education, which the overview leads with."""
    return [
        o
        for m in _modules()
        if m.__name__ != "scheduler.education"
        for o in getattr(m, "OVERVIEWS", [])
    ]
