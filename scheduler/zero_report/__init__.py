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
callback families and buttons in ``buttons``. They take a session and the clock's ``now`` and
never touch Telegram: whatever must reach people goes through the outbox in the same
transaction. What the handler calls is in ``services``: each takes the session factory and
owns its transaction.
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
    Choice,
    ConfirmPress,
    PhotosPress,
    Severity,
    SeverityPress,
    TaskAction,
    TaskPress,
    UnitPress,
    answer_buttons,
    confirm_rows,
    incident_only,
    photos_rows,
    severity_rows,
    unit_incident_only,
)
from scheduler.zero_report.common import (
    ANSWERED,
    DEFAULT_POLICY,
    HANDLERS_ROLES,
    INCIDENT,
    MAX_NOTE,
    MAX_PLACE,
    MAX_TEXT,
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
from scheduler.zero_report.handling import Handled, Handling, handle
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
from scheduler.zero_report.services import (
    Finish,
    Finished,
    MoveTo,
    answer_step,
    answer_zero,
    begin_incident,
    day_grid,
    finish_incident,
    handle_incident,
    keep_photo,
    photos_done,
    report_menus,
    show_incident,
)

__all__ = [
    "ANSWERED",
    "DEFAULT_POLICY",
    "HANDLERS_ROLES",
    "INCIDENT",
    "MAX_NOTE",
    "MAX_PLACE",
    "MAX_TEXT",
    "OVERVIEWS",
    "ROUTINE",
    "ROUTINES",
    "SETTLE_JOBS",
    "SEVERITY_LABELS",
    "SEVERITY_WORDS",
    "TICK_JOBS",
    "ZERO",
    "Answer",
    "Choice",
    "ConfirmPress",
    "DayReport",
    "Finish",
    "Finished",
    "Handled",
    "Handling",
    "IncidentLine",
    "MoveTo",
    "Outcome",
    "PhotosPress",
    "Severity",
    "SeverityPress",
    "Started",
    "Step",
    "Submitted",
    "TaskAction",
    "TaskPress",
    "UnitPress",
    "UnitRow",
    "ZeroReportRoutine",
    "add_photo",
    "answer_buttons",
    "answer_step",
    "answer_zero",
    "begin_incident",
    "cancel_draft",
    "close_reported_units",
    "confirm_rows",
    "day_grid",
    "day_report",
    "draft_of",
    "draft_summary",
    "draft_with_unit",
    "finish_incident",
    "format_grid",
    "format_rollup",
    "handle",
    "handle_incident",
    "incident_alert",
    "incident_details",
    "incident_only",
    "incident_summary",
    "incident_text",
    "keep_photo",
    "may_report_for",
    "parse_severity",
    "people_told",
    "photos_done",
    "photos_rows",
    "place_problem",
    "record_zero",
    "report_menus",
    "save_answer",
    "send_rollup",
    "severity_rows",
    "show_incident",
    "split_message",
    "start_incident",
    "submit_incident",
    "task_of_day",
    "text_problem",
    "unit_incident_only",
    "units_reported_by",
    "zero_overview",
]

# What scheduler.registry collects from every routine module (here: this package).
ROUTINES = [ZeroReportRoutine()]
SETTLE_JOBS = [close_reported_units]
TICK_JOBS = [send_rollup]
OVERVIEWS = [zero_overview]
