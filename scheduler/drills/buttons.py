"""The drill's buttons: typed callback data (``Press``, packed by bot/core/callbacks.py):
the commander's 开始演练 and 结束演练, each naming the drill (``drill:go:12``; the prefix was
``dr`` before: buttons already sent keep working)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.core.callbacks import CallbackData
from bot.core.i18n import t
from bot.core.messages import Button

Rows = tuple[tuple[Button, ...], ...]


class Action(StrEnum):
    START = "go"
    END = "end"


@dataclass(frozen=True)
class Press(CallbackData, prefix="drill", legacy=("dr",)):
    action: Action
    drill_id: int


def start_rows(drill_id: int, lang: str) -> Rows:
    return ((Button(t(lang, "drill.button.start"), Press(Action.START, drill_id).pack()),),)


def end_rows(drill_id: int, lang: str) -> Rows:
    return ((Button(t(lang, "drill.button.end"), Press(Action.END, drill_id).pack()),),)
