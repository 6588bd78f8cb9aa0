"""The callback ids of the zero report's buttons and the button rows built from them."""

from __future__ import annotations

from bot.core.i18n import t
from bot.core.messages import Button

# -- callback ids (ASCII, far below Telegram's 64 bytes) ---------------------------------------


def zero_callback(task_id: int) -> str:
    return f"z:{task_id}:zero"


def incident_callback(task_id: int) -> str:
    return f"z:{task_id}:inc"


def unit_incident_callback(unit_id: int) -> str:
    """有情况 on a day without a task (a weekend, a holiday): the unit, not a task."""
    return f"zu:{unit_id}:inc"


def severity_callback(incident_id: int, severity: str) -> str:
    return f"zs:{incident_id}:{severity}"


def photos_done_callback(incident_id: int) -> str:
    return f"zp:{incident_id}:done"


def confirm_callback(incident_id: int, choice: str) -> str:
    return f"zc:{incident_id}:{choice}"  # send | drop


def answer_buttons(task_id: int, lang: str) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            Button(t(lang, "zero.button.zero"), zero_callback(task_id)),
            Button(t(lang, "zero.button.incident"), incident_callback(task_id)),
        ),
    )


def incident_only(task_id: int, lang: str) -> tuple[tuple[Button, ...], ...]:
    """After the unit has answered: something may still happen today."""
    return ((Button(t(lang, "zero.button.incident"), incident_callback(task_id)),),)
