"""Hazard inspection and rectification (隐患排查整改): 发现 → 登记 → 限期整改 → 复查验收 → 审核.

Anyone on staff raises a hazard (what, where, category, severity, photos; ``raising``); the
safety officer or an admin assigns it to an owner with a deadline, which the principal
confirms with one button (责任清单); the owner fixes it with an "after" photo and a note; the
officer verifies (accept, or reject with a reason and a new deadline); the principal signs
it off; a closed hazard may be reopened (``steps``). Urgent ones alert the duty leader and
admins at once and ask for a temporary measure. The tick reminds the owner before the
deadline and tells the duty leader after it (``chase``). /hazards, /hazard N and /today read
``views``; the callback data is typed in ``buttons``.

The steps take a session (the caller's transaction) and the clock's ``now`` and never touch
Telegram: whatever must reach people goes through the outbox in the same transaction, keyed
by the step's event. What handlers/hazards.py calls is ``services``: each service opens its
own transaction around a step (and the conversation's move) and returns the outcome.
"""

from __future__ import annotations

from scheduler.hazards.buttons import Action, Press
from scheduler.hazards.chase import chase_hazards
from scheduler.hazards.common import (
    OFFICERS,
    ROUTINE,
    SIGNERS,
    STAFF,
    Outcome,
    Result,
    category_label,
    is_urgent,
    may_list,
    parse_deadline,
    severity_label,
    status_label,
)
from scheduler.hazards.monthly import send_monthly_figures
from scheduler.hazards.raising import add_photo, cancel, draft, save, start, start_from, submit
from scheduler.hazards.steps import (
    accept,
    add_fix_photo,
    assign,
    finish_fix,
    fix_photos_done,
    may_verify,
    record_measure,
    reject,
    reopen,
    sign,
    sign_list,
    start_fix,
)
from scheduler.hazards.views import History, hazard_overview, history, listing, overdue_days

__all__ = [
    "OFFICERS",
    "OVERVIEWS",
    "ROUTINE",
    "SIGNERS",
    "STAFF",
    "TICK_JOBS",
    "Action",
    "History",
    "Outcome",
    "Press",
    "Result",
    "accept",
    "add_fix_photo",
    "add_photo",
    "assign",
    "cancel",
    "category_label",
    "chase_hazards",
    "draft",
    "finish_fix",
    "fix_photos_done",
    "hazard_overview",
    "history",
    "is_urgent",
    "listing",
    "may_list",
    "may_verify",
    "overdue_days",
    "parse_deadline",
    "record_measure",
    "reject",
    "reopen",
    "save",
    "send_monthly_figures",
    "severity_label",
    "sign",
    "sign_list",
    "start",
    "start_fix",
    "start_from",
    "status_label",
    "submit",
]

# What scheduler.registry collects from every routine module (here: this package).
TICK_JOBS = [chase_hazards, send_monthly_figures]
OVERVIEWS = [hazard_overview]
