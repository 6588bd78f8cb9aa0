"""The zero report's buttons: typed callback data (packed by bot/core/callbacks.py) and the
rows built from it.

Each family keeps the field layout of the f-string ids it replaces (``z:<task>:zero``,
``zu:<unit>:inc``, ``zs:<incident>:<severity>``, ``zp:<incident>:done``,
``zc:<incident>:send|drop``), and answers to that old prefix too: buttons already sent to
chats keep working.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.core.callbacks import CallbackData
from bot.core.i18n import t
from bot.core.messages import Button
from scheduler.zero_report.common import SEVERITY_LABELS

Rows = tuple[tuple[Button, ...], ...]


class TaskAction(StrEnum):
    ZERO = "zero"  # 零报告
    INCIDENT = "inc"  # 有情况: the incident conversation begins


@dataclass(frozen=True)
class TaskPress(CallbackData, prefix="zero", legacy=("z",)):
    """A prompt's 零报告 or 有情况, for the unit's task of the day."""

    task_id: int
    action: TaskAction


class UnitAction(StrEnum):
    INCIDENT = "inc"


@dataclass(frozen=True)
class UnitPress(CallbackData, prefix="zero_unit", legacy=("zu",)):
    """有情况 from /report on a day without a task (a weekend, a holiday): the unit's id."""

    unit_id: int
    action: UnitAction = UnitAction.INCIDENT


class Severity(StrEnum):
    GENERAL = "general"
    SERIOUS = "serious"
    URGENT = "urgent"


@dataclass(frozen=True)
class SeverityPress(CallbackData, prefix="zero_sev", legacy=("zs",)):
    """The conversation's severity step."""

    incident_id: int
    severity: Severity


class PhotosAction(StrEnum):
    DONE = "done"


@dataclass(frozen=True)
class PhotosPress(CallbackData, prefix="zero_pics", legacy=("zp",)):
    """The conversation's photos step: no (more) photos, show the summary."""

    incident_id: int
    action: PhotosAction = PhotosAction.DONE


class Choice(StrEnum):
    SEND = "send"
    DROP = "drop"


@dataclass(frozen=True)
class ConfirmPress(CallbackData, prefix="zero_send", legacy=("zc",)):
    """The summary's 发送 or 取消."""

    incident_id: int
    choice: Choice


def answer_buttons(task_id: int, lang: str) -> Rows:
    return (
        (
            Button(t(lang, "zero.button.zero"), TaskPress(task_id, TaskAction.ZERO).pack()),
            Button(t(lang, "zero.button.incident"), TaskPress(task_id, TaskAction.INCIDENT).pack()),
        ),
    )


def incident_only(task_id: int, lang: str) -> Rows:
    """After the unit has answered: something may still happen today."""
    return (
        (Button(t(lang, "zero.button.incident"), TaskPress(task_id, TaskAction.INCIDENT).pack()),),
    )


def unit_incident_only(unit_id: int, lang: str) -> Rows:
    """有情况 for a unit without a task today."""
    return ((Button(t(lang, "zero.button.incident"), UnitPress(unit_id).pack()),),)


def severity_rows(incident_id: int, lang: str) -> Rows:
    return (
        tuple(
            Button(t(lang, key), SeverityPress(incident_id, Severity(severity)).pack())
            for severity, key in SEVERITY_LABELS.items()
        ),
    )


def photos_rows(incident_id: int, lang: str) -> Rows:
    return ((Button(t(lang, "zero.button.photos_done"), PhotosPress(incident_id).pack()),),)


def confirm_rows(incident_id: int, lang: str) -> Rows:
    return (
        (
            Button(t(lang, "zero.button.send"), ConfirmPress(incident_id, Choice.SEND).pack()),
            Button(t(lang, "zero.button.drop"), ConfirmPress(incident_id, Choice.DROP).pack()),
        ),
    )
