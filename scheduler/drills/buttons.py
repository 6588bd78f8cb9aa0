"""The drill's buttons: typed callback data (``Press``): the commander's 开始演练 and
结束演练, each naming the drill."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.core.callbacks import parse_id
from bot.core.i18n import t
from bot.core.messages import Button

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
        drill_id = parse_id(parts[2]) if len(parts) == 3 and parts[0] == PREFIX else None
        try:
            return None if drill_id is None else cls(Action(parts[1]), drill_id)
        except ValueError:
            return None


def start_rows(drill_id: int, lang: str) -> Rows:
    return ((Button(t(lang, "drill.button.start"), Press(Action.START, drill_id).pack()),),)


def end_rows(drill_id: int, lang: str) -> Rows:
    return ((Button(t(lang, "drill.button.end"), Press(Action.END, drill_id).pack()),),)
