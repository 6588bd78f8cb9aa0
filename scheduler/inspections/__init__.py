"""Inspections (隐患排查): checklists from config.toml, due by their rhythm (the rules in
``scheduler/rules/inspections.py``). Each due check is a task of the generic engine, prompted
to its owners with its items as buttons (正常 / 有隐患), reminded and escalated like the other
routines (``routine``); an answer is kept on the task, and 有隐患 opens a hazard with the item
filled in (``answers``)."""

from __future__ import annotations

from scheduler.inspections.answers import (
    Answered,
    Outcome,
    Pressed,
    abandon,
    answer,
    cancel_draft,
    hazards_found,
    press,
)
from scheduler.inspections.common import ROUTINE, Choice, Press, checklist, item_rows
from scheduler.inspections.routine import InspectionRoutine

__all__ = [
    "ROUTINE",
    "ROUTINES",
    "Answered",
    "Choice",
    "InspectionRoutine",
    "Outcome",
    "Press",
    "Pressed",
    "abandon",
    "answer",
    "cancel_draft",
    "checklist",
    "hazards_found",
    "item_rows",
    "press",
]

ROUTINES = [InspectionRoutine()]
