"""The duty routine's buttons: typed callback data (bot/core/callbacks.py) and the rows built
from it.

- ``SwapPress`` (``duty_swap:<swap id>:<y|n>``, once ``sw:``): the partner accepts or declines
  a swap;
- ``HandoverPress`` (``handover:<handover id>:<action>``, once ``dh:``): ``c<n>`` ticks or
  unticks checklist item n, ``n`` opens the note, ``s`` submits, ``ok`` is the incoming
  person's confirmation;
- ``PatrolPress`` (``patrol:<patrol id>:done``, once ``pt:``): the patrol is finished.

The old prefixes stay readable with the same fields, so buttons already sent keep working.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Self

from bot.core.callbacks import CallbackData, text
from bot.core.i18n import t
from bot.core.messages import Button

Rows = tuple[tuple[Button, ...], ...]


class SwapChoice(StrEnum):
    ACCEPT = "y"
    DECLINE = "n"


@dataclass(frozen=True)
class SwapPress(CallbackData, prefix="duty_swap", legacy=("sw",)):
    swap_id: int
    choice: SwapChoice

    @property
    def accept(self) -> bool:
        return self.choice is SwapChoice.ACCEPT


def swap_rows(swap_id: int, lang: str) -> Rows:
    return (
        (
            Button(t(lang, "duty.button.accept"), SwapPress(swap_id, SwapChoice.ACCEPT).pack()),
            Button(t(lang, "duty.button.decline"), SwapPress(swap_id, SwapChoice.DECLINE).pack()),
        ),
    )


class HandoverStep(StrEnum):
    TICK = "c"  # c<n>: tick or untick checklist item n
    NOTE = "n"
    SUBMIT = "s"
    CONFIRM = "ok"


_TICK = re.compile(r"c([0-9]{1,3})")


@dataclass(frozen=True)
class HandoverPress(CallbackData, prefix="handover", legacy=("dh",)):
    """One field for the action, as the old ``dh:`` data had: ``c12`` is item 12's tick."""

    handover_id: int
    action: str = field(
        metadata=text(4, check=lambda action: _step(action), largest=f"{HandoverStep.TICK}999")
    )

    @classmethod
    def tick(cls, handover_id: int, item: int) -> Self:
        return cls(handover_id, f"{HandoverStep.TICK.value}{item}")

    @classmethod
    def of(cls, handover_id: int, step: HandoverStep) -> Self:
        return cls(handover_id, step.value)

    @property
    def step(self) -> HandoverStep | None:
        return _step(self.action)

    @property
    def item(self) -> int:
        """The checklist item a tick is for (-1 for the other actions)."""
        found = _TICK.fullmatch(self.action)
        return int(found.group(1)) if found else -1


def _step(action: str) -> HandoverStep | None:
    """The action, or None for one the bot never sends (``c``, ``c1234``, ``x``): such a press
    does not unpack."""
    if _TICK.fullmatch(action):
        return HandoverStep.TICK
    if action == HandoverStep.TICK.value:
        return None
    try:
        return HandoverStep(action)
    except ValueError:
        return None


class PatrolAction(StrEnum):
    DONE = "done"


@dataclass(frozen=True)
class PatrolPress(CallbackData, prefix="patrol", legacy=("pt",)):
    patrol_id: int
    action: PatrolAction = PatrolAction.DONE


def patrol_done_rows(patrol_id: int, lang: str) -> Rows:
    return ((Button(t(lang, "duty.button.patrol_done"), PatrolPress(patrol_id).pack()),),)
