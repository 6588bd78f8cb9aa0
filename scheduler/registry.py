"""Every routine module (``scheduler/<routine>.py``, or a package such as
``scheduler/zero_report/``) declares what the engine runs:

- ``ROUTINES``: objects following ``scheduler.routine.Routine`` for task-based routines (the
  generic engine prompts, reminds and escalates their tasks);
- ``TICK_JOBS``: extra idempotent steps run on every tick (a roll-up, notice reminders …),
  each ``async (TickContext) -> int`` (``scheduler.routine.TickContext``);
- ``SETTLE_JOBS``: steps of the same shape run after the day's tasks are made and before
  any prompt goes out, for tasks answered some other way (a unit's /report before its task
  existed), so nobody is asked for what they already gave;
- ``OVERVIEWS``: sections of /today, each ``async (session, ctx, day, lang) -> str | None``.

This module lists them in ROUTINE_MODULES, in the order they run, so routines never edit
each other. A routine module imports ``TickContext`` from ``scheduler.routine``, never from
here (this module imports it: tests/test_layers.py finds such a cycle).
"""

from __future__ import annotations

from types import ModuleType

from scheduler import (
    bus,
    calendar_watch,
    delivery,
    drills,
    duty,
    education,
    hazards,
    inspections,
    notices,
    privacy,
    zero_report,
)
from scheduler.routine import Overview, Routine, TickContext, TickJob

__all__ = ["TickContext", "TickJob", "Overview"]  # re-exported: their old home

ROUTINE_MODULES: tuple[ModuleType, ...] = (
    education,
    zero_report,
    duty,
    notices,
    hazards,
    inspections,
    bus,
    drills,
    calendar_watch,
    delivery,
    privacy,
)


def routines() -> dict[str, Routine]:
    return {r.name: r for m in ROUTINE_MODULES for r in getattr(m, "ROUTINES", [])}


def tick_jobs() -> list[tuple[str, TickJob]]:
    return _jobs("TICK_JOBS")


def settle_jobs() -> list[tuple[str, TickJob]]:
    return _jobs("SETTLE_JOBS")


def _jobs(attribute: str) -> list[tuple[str, TickJob]]:
    return [
        (f"{m.__name__}.{job.__name__}", job)
        for m in ROUTINE_MODULES
        for job in getattr(m, attribute, [])
    ]


def overviews() -> list[Overview]:
    """The /today sections of every routine but education, which the overview leads with."""
    return [o for m in ROUTINE_MODULES if m is not education for o in getattr(m, "OVERVIEWS", [])]
