"""The hazards' buttons: typed callback data (``Press``, packed by bot/core/callbacks.py) and the rows built from it.

A press names its action, the hazard and an argument: the round of the step it belongs to
(``Hazard.round``), so a button left over from an earlier round changes nothing, or the
category or severity chosen while raising one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.core.callbacks import CallbackData, parse_id, text
from bot.core.i18n import t
from bot.core.messages import Button
from bot.core.settings import HazardSettings
from scheduler.zero_report.common import SEVERITY_LABELS

Rows = tuple[tuple[Button, ...], ...]


class Action(StrEnum):
    CATEGORY = "cat"  # raising: the category (arg: its id)
    SEVERITY = "sev"  # raising: the severity (arg: general | serious | urgent)
    PHOTOS_DONE = "pd"  # raising: no more photos, submit
    LIST = "list"  # the principal signs the assignment (责任清单)
    FIX = "fix"  # the owner starts the fix: after-photo, then note
    FIX_DONE = "fd"  # the owner's photos are all sent: ask for the note
    ACCEPT = "ok"  # the officer accepts the fix (复查验收)
    REJECT = "no"  # the officer rejects it: reason, then new deadline
    SIGN = "sign"  # the principal's final sign-off (审核)
    # 发现隐患 under one's patrol or daily-report incident: the press's id is the patrol's
    # (a submission) or the incident's, not a hazard's.
    FROM_PATROL = "fp"
    FROM_INCIDENT = "fi"


@dataclass(frozen=True)
class Press(CallbackData, prefix="hz"):
    action: Action
    hazard_id: int
    arg: str = field(default="", metadata=text(32))

    @property
    def round(self) -> int:
        found = parse_id(self.arg)
        return -1 if found is None else found


def button(text: str, action: Action, hazard_id: int, arg: str | int = "") -> Button:
    return Button(text, Press(action, hazard_id, str(arg)).pack())


def category_rows(hazard_id: int, lang: str, policy: HazardSettings) -> Rows:
    labels = [
        button(c.zh if lang == "zh" else c.en, Action.CATEGORY, hazard_id, c.id)
        for c in policy.categories
    ]
    return tuple(tuple(labels[i : i + 3]) for i in range(0, len(labels), 3))


def severity_rows(hazard_id: int, lang: str) -> Rows:
    return (
        tuple(
            button(t(lang, key), Action.SEVERITY, hazard_id, severity)
            for severity, key in SEVERITY_LABELS.items()
        ),
    )


def photos_done_rows(hazard_id: int, lang: str) -> Rows:
    return ((button(t(lang, "hazard.button.photos_done"), Action.PHOTOS_DONE, hazard_id),),)


def list_rows(hazard_id: int, round_: int, lang: str) -> Rows:
    return ((button(t(lang, "hazard.button.list"), Action.LIST, hazard_id, round_),),)


def fix_rows(hazard_id: int, round_: int, lang: str) -> Rows:
    return ((button(t(lang, "hazard.button.fix"), Action.FIX, hazard_id, round_),),)


def fix_done_rows(hazard_id: int, round_: int, lang: str) -> Rows:
    return (
        (button(t(lang, "hazard.button.fix_photos_done"), Action.FIX_DONE, hazard_id, round_),),
    )


def verify_rows(hazard_id: int, round_: int, lang: str) -> Rows:
    return (
        (
            button(t(lang, "hazard.button.accept"), Action.ACCEPT, hazard_id, round_),
            button(t(lang, "hazard.button.reject"), Action.REJECT, hazard_id, round_),
        ),
    )


def sign_rows(hazard_id: int, round_: int, lang: str) -> Rows:
    return ((button(t(lang, "hazard.button.sign"), Action.SIGN, hazard_id, round_),),)


def raise_from_row(action: Action, source_id: int, lang: str) -> tuple[Button, ...]:
    """发现隐患 under a patrol's confirmation or an incident's (``FROM_PATROL`` or
    ``FROM_INCIDENT``)."""
    return (button(t(lang, "hazard.button.raise_from"), action, source_id),)
