"""What the zero report's modules share: the routine's name, the answers, the severities,
who handles incidents, and the few formatting helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.core.i18n import t
from bot.core.settings import ZeroReportSettings
from scheduler import tasks
from scheduler.routine import Context
from storage import zero_report as incidents

ROUTINE = "zero_report"
ZERO, INCIDENT = "zero", "incident"
ANSWERED = tasks.ANSWERED
SEVERITY_LABELS = {
    "general": "zero.sev.general",
    "serious": "zero.sev.serious",
    "urgent": "zero.sev.urgent",
}
SEVERITY_WORDS = {
    "一般": "general",
    "较重": "serious",
    "紧急": "urgent",
    "general": "general",
    "minor": "general",
    "normal": "general",
    "serious": "serious",
    "urgent": "urgent",
    "1": "general",
    "2": "serious",
    "3": "urgent",
}
HANDLERS_ROLES = ("admin", "duty_leader")
# What a reporter or a handler may type (the columns' sizes).
MAX_TEXT, MAX_PLACE, MAX_NOTE = incidents.MAX_TEXT, incidents.MAX_PLACE, incidents.MAX_NOTE
DEFAULT_POLICY = ZeroReportSettings()


def today_of(now: dt.datetime, ctx: Context) -> dt.date:
    return now.astimezone(ctx.tz).date()


def hhmm(moment: dt.datetime, tz: dt.tzinfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def people_text(names: Sequence[str], lang: str) -> str:
    if not names:
        return t(lang, "zero.nobody_responsible")
    return t(lang, "zero.responsible", names="、".join(names))
