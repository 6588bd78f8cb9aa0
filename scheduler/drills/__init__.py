"""Emergency drills (应急疏散演练): one a month, its theme matched to the month's 1530 theme
unless the plan names one (每月一主题); the plan (方案: time, signal, routes, assembly point,
roles) goes to all staff the school day before and the head teachers are reminded that
morning; the commander starts and ends it with buttons (the evacuation time is computed);
each head teacher reports the class's headcount (应到 / 实到, a reason for a difference: the
commander is alerted at once), classes silent after [drills].report_minutes are named to
the commander; the feedback (存在问题, 改进措施) closes it (有演练必有方案，有演练必有反馈).

Plans are in config.toml ([[drills.plans]]); the drills and headcounts are rows of
``storage.drills``. The steps take a session and the clock's ``now`` (``steps``); what
handlers/drills.py calls opens its own transaction and returns an outcome (``answers``); the
tick sends the plan, reminders, start button and silent classes (``ticks``); /drill and
/today read ``views``; the callback data is typed in ``buttons``.
"""

from __future__ import annotations

from scheduler.drills.buttons import Action, Press, end_rows
from scheduler.drills.common import Outcome, Result, duration, is_commander, next_plan, plan_on
from scheduler.drills.steps import feedback, press, report_count
from scheduler.drills.ticks import name_drill_in_prompts, run_drills
from scheduler.drills.views import drill_overview, next_drill, progress

__all__ = [
    "OVERVIEWS",
    "SETTLE_JOBS",
    "TICK_JOBS",
    "Action",
    "Outcome",
    "Press",
    "Result",
    "drill_overview",
    "duration",
    "end_rows",
    "feedback",
    "is_commander",
    "next_drill",
    "next_plan",
    "plan_on",
    "press",
    "progress",
    "report_count",
    "run_drills",
]

# What scheduler.registry collects from every routine module (here: this package).
TICK_JOBS = [run_drills]
SETTLE_JOBS = [name_drill_in_prompts]  # before the prompts: the 1530 prompt names the drill
OVERVIEWS = [drill_overview]
