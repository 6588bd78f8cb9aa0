"""The routines' planners, one module each: ``scheduler/rules/<routine>.py`` defines
``PLANNERS: list[Planner]`` (duty plans its own tasks: no planner) and ``KIND_LABELS``; this
package lists them here, in order, so adding a routine never edits another routine's code."""

from __future__ import annotations

from scheduler.planned import Label, Planner
from scheduler.rules import duty, education, inspections, zero_report

PLANNERS: list[Planner] = [
    *education.PLANNERS,
    *zero_report.PLANNERS,
    *inspections.PLANNERS,
]
# (routine, kind) → the name admins see in plan listings.
KIND_LABELS: dict[tuple[str, str], Label] = {
    **education.KIND_LABELS,
    **zero_report.KIND_LABELS,
    **duty.KIND_LABELS,
    **inspections.KIND_LABELS,
}
