"""The drill's buttons: typed callback data (``Press``): the commander's 开始演练 and
结束演练, each naming the drill."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.i18n import t
from storage.messages import Button

PREFIX = "dr"
Rows = tuple[tuple[Button, ...], ...]


class Action(StrEnum):
    START = "go"
    END = "end"


@dataclass(frozen=True)
class Press:
    action: Action
    drill_id: int

    def pack(self) -> str:
        return f"{PREFIX}:{self.action.value}:{self.drill_id}"

    @classmethod
    def parse(cls, data: str | None) -> Press | None:
        """The press, or None for anything that is not one of ours (forged, truncated)."""
        parts = (data or "").split(":")
        if len(parts) != 3 or parts[0] != PREFIX or not parts[2].isdigit() or len(parts[2]) > 9:
            return None
        try:
            return cls(Action(parts[1]), int(parts[2]))
        except ValueError:
            return None


def start_rows(drill_id: int, lang: str) -> Rows:
    return ((Button(t(lang, "drill.button.start"), Press(Action.START, drill_id).pack()),),)


def end_rows(drill_id: int, lang: str) -> Rows:
    return ((Button(t(lang, "drill.button.end"), Press(Action.END, drill_id).pack()),),)
