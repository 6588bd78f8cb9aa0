"""The bus's buttons: typed callback data (``Press``) and the rows built from it.

A press names its action, the trip and an argument: the stage it was made for (``Stage``),
and for a tick the rider's index, so a press from an earlier stage changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from bot.core.callbacks import parse_id
from bot.core.i18n import t
from bot.core.messages import Button
from scheduler.bus.common import Stage
from storage.bus import BusTrip

PREFIX = "bs"
Rows = tuple[tuple[Button, ...], ...]
PER_ROW = 3


class Action(StrEnum):
    ALL = "all"  # everyone expected is here (实到 = 应到)
    MISSING = "miss"  # someone is missing: show the riders to tick
    TICK = "t"  # tick or untick one rider as missing (arg: stage.index)
    CONFIRM = "ok"  # the ticked riders are missing: record the count
    CHECK = "chk"  # 车厢检查: nobody left on board


@dataclass(frozen=True)
class Press:
    action: Action
    trip_id: int
    stage: Stage
    index: int = -1

    def pack(self) -> str:
        arg = self.stage.value if self.index < 0 else f"{self.stage.value}.{self.index}"
        return f"{PREFIX}:{self.action.value}:{self.trip_id}:{arg}"

    @classmethod
    def parse(cls, data: str | None) -> Press | None:
        """The press, or None for anything that is not one of ours (forged, truncated)."""
        parts = (data or "").split(":")
        if len(parts) != 4 or parts[0] != PREFIX:
            return None
        trip_id = parse_id(parts[2])
        stage_text, _, index_text = parts[3].partition(".")
        index = parse_id(index_text) if index_text else -1
        try:
            action, stage = Action(parts[1]), Stage(stage_text)
        except ValueError:
            return None
        if trip_id is None or index is None or index > 999:
            return None
        return cls(action, trip_id, stage, index)


def button(text: str, action: Action, trip_id: int, stage: Stage, index: int = -1) -> Button:
    return Button(text, Press(action, trip_id, stage, index).pack())


def count_rows(trip_id: int, stage: Stage, expected: int, lang: str) -> Rows:
    """The prompt's two buttons: all here, or tick who is missing."""
    return (
        (
            button(t(lang, "bus.button.all", n=expected), Action.ALL, trip_id, stage),
            button(t(lang, "bus.button.missing"), Action.MISSING, trip_id, stage),
        ),
    )


def tick_rows(trip: BusTrip, stage: Stage, candidates: list[str], lang: str) -> Rows:
    """One button per rider (☑ when ticked as missing), then the confirmation with the count
    it will record."""
    ticked = set(trip.ticked)
    riders = [
        button(("☑ " if i in ticked else "☐ ") + candidates[i], Action.TICK, trip.id, stage, i)
        for i in range(len(candidates))
    ]
    rows = [tuple(riders[i : i + PER_ROW]) for i in range(0, len(riders), PER_ROW)]
    present = len(candidates) - len(ticked)
    confirm = t(lang, "bus.button.confirm", present=present, expected=len(candidates))
    rows.append((button(confirm, Action.CONFIRM, trip.id, stage),))
    return tuple(rows)


def check_rows(trip_id: int, lang: str) -> Rows:
    return ((button(t(lang, "bus.button.check"), Action.CHECK, trip_id, Stage.CHECK),),)


ABSENCE_PREFIX = "ba"


@dataclass(frozen=True)
class AbsencePress:
    """A parent's 「今天/明天不坐校车」: the rider and the day (YYYYMMDD)."""

    rider_id: int
    day: dt.date

    def pack(self) -> str:
        return f"{ABSENCE_PREFIX}:{self.rider_id}:{self.day:%Y%m%d}"

    @classmethod
    def parse(cls, data: str | None) -> AbsencePress | None:
        parts = (data or "").split(":")
        if len(parts) != 3 or parts[0] != ABSENCE_PREFIX or not re.fullmatch(r"\d{8}", parts[2]):
            return None
        rider_id = parse_id(parts[1])
        try:
            day = dt.datetime.strptime(parts[2], "%Y%m%d").date()
        except ValueError:
            return None
        return None if rider_id is None else cls(rider_id, day)


def absence_rows(riders: list[tuple[int, str]], days: list[tuple[str, dt.date]], lang: str) -> Rows:
    """One row per child: a button per day (its words given: 今天, 明天, 11-30), 「张小明
    明天不坐校车」."""
    return tuple(
        tuple(
            Button(
                t(lang, "bus.button.absent", name=name, when=when),
                AbsencePress(rider_id, day).pack(),
            )
            for when, day in days
        )
        for rider_id, name in riders
    )
