"""The routines' planners, one module each: ``scheduler/rules/<routine>.py`` defines
``PLANNERS: list[Planner]`` and ``KIND_LABELS``; this package collects them in RULE_MODULES
order, so adding a routine never edits another routine's code."""

from __future__ import annotations

import importlib

from scheduler.planning import Label, Planner

RULE_MODULES = ("education", "zero_report", "duty", "inspections")

PLANNERS: list[Planner] = []
# (routine, kind) → the name admins see in plan listings.
KIND_LABELS: dict[tuple[str, str], Label] = {}

# Imported by name: the rules import PlannedEvent from scheduler.planning, which imports this.
for _name in RULE_MODULES:
    _module = importlib.import_module(f"scheduler.rules.{_name}")
    PLANNERS.extend(getattr(_module, "PLANNERS", []))
    KIND_LABELS.update(getattr(_module, "KIND_LABELS", {}))
