"""The daily report and zero report (日报告、零报告).

Every school day each class (its head teacher) and each department (its staff) is asked, in
private, whether anything happened; "nothing" (零报告) is an answer too. The generic engine
prompts, reminds at [zero_report].remind and alerts the duty leader at [zero_report].escalate
(``ZeroReportRoutine``, in ``routine``); the end-of-day roll-up to the admins is a tick job
(``send_rollup``, in ``rollup``).

The services are what the handlers, the demo and the tests call, as ``zr.<name>`` from this
package: who may answer and answer zero (``answers``), report an incident step by step (a
draft row, see storage/zero_report.py; ``incidents``), mark an incident handled
(``handling``), and the day's grid (``day_report``); the constants are in ``common``, the
callback ids and buttons in ``buttons``. They take a session and the clock's ``now`` and never
touch Telegram: whatever must reach people goes through the outbox in the same transaction.
"""

from __future__ import annotations

from scheduler.zero_report.answers import (
    Answer,
    Outcome,
    may_report_for,
    record_zero,
    task_of_day,
    units_reported_by,
)
from scheduler.zero_report.buttons import (
    answer_buttons,
    confirm_callback,
    incident_callback,
    incident_only,
    photos_done_callback,
    severity_callback,
    unit_incident_callback,
    zero_callback,
)
from scheduler.zero_report.common import (
    ANSWERED,
    DEFAULT_POLICY,
    HANDLERS_ROLES,
    INCIDENT,
    ROUTINE,
    SEVERITY_LABELS,
    SEVERITY_WORDS,
    ZERO,
)
from scheduler.zero_report.day_report import (
    DayReport,
    IncidentLine,
    UnitRow,
    day_report,
    format_grid,
    format_rollup,
    incident_details,
    incident_text,
    split_message,
    zero_overview,
)
from scheduler.zero_report.handling import Handled, Handling, change_note, mark_handled
from scheduler.zero_report.incidents import (
    Started,
    Step,
    Submitted,
    add_photo,
    cancel_draft,
    close_reported_units,
    draft_of,
    draft_summary,
    draft_with_unit,
    incident_alert,
    incident_summary,
    parse_severity,
    people_told,
    place_problem,
    save_answer,
    start_incident,
    submit_incident,
    text_problem,
)
from scheduler.zero_report.rollup import send_rollup
from scheduler.zero_report.routine import ZeroReportRoutine

__all__ = [
    "ANSWERED",
    "DEFAULT_POLICY",
    "HANDLERS_ROLES",
    "INCIDENT",
    "OVERVIEWS",
    "ROUTINE",
    "ROUTINES",
    "SEVERITY_LABELS",
    "SETTLE_JOBS",
    "SEVERITY_WORDS",
    "TICK_JOBS",
    "ZERO",
    "Answer",
    "DayReport",
    "Handled",
    "Handling",
    "IncidentLine",
    "Outcome",
    "Started",
    "Step",
    "Submitted",
    "UnitRow",
    "ZeroReportRoutine",
    "add_photo",
    "answer_buttons",
    "cancel_draft",
    "change_note",
    "close_reported_units",
    "confirm_callback",
    "day_report",
    "draft_of",
    "draft_summary",
    "draft_with_unit",
    "format_grid",
    "format_rollup",
    "incident_alert",
    "incident_callback",
    "incident_details",
    "incident_only",
    "incident_summary",
    "incident_text",
    "mark_handled",
    "may_report_for",
    "parse_severity",
    "people_told",
    "photos_done_callback",
    "place_problem",
    "record_zero",
    "save_answer",
    "send_rollup",
    "severity_callback",
    "split_message",
    "start_incident",
    "submit_incident",
    "task_of_day",
    "text_problem",
    "unit_incident_callback",
    "units_reported_by",
    "zero_callback",
    "zero_overview",
]

# What scheduler.registry collects from every routine module (here: this package).
ROUTINES = [ZeroReportRoutine()]
SETTLE_JOBS = [close_reported_units]
TICK_JOBS = [send_rollup]
OVERVIEWS = [zero_overview]
