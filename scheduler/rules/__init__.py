"""The routines' planners, one module each: ``scheduler/rules/<routine>.py`` defines
``PLANNERS: list[Planner]`` and ``KIND_LABELS``; this package collects them in RULE_MODULES
order, so adding a routine never edits another routine's code."""

from __future__ import annotations

import importlib

from scheduler.planning import Label, Planner

RULE_MODULES = ("education", "zero_report", "duty")

PLANNERS: list[Planner] = []
# (routine, kind) → the name admins see in plan listings.
KIND_LABELS: dict[tuple[str, str], Label] = {}

for _name in RULE_MODULES:
    try:
        _module = importlib.import_module(f"scheduler.rules.{_name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"scheduler.rules.{_name}":
            raise
        continue  # a routine not built yet
    PLANNERS.extend(getattr(_module, "PLANNERS", []))
    KIND_LABELS.update(getattr(_module, "KIND_LABELS", {}))
