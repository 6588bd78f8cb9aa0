"""The bus's buttons: typed callback data (``Press``, ``AbsencePress``, packed by
bot/core/callbacks.py) and the rows built from it.

A press names its action, the trip and an argument: the stage it was made for (``Stage``),
and for a tick the rider's index (``b.3``), so a press from an earlier stage changes nothing.
The prefixes were ``bs`` and ``ba`` before: buttons already sent keep working.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum

from bot.core.callbacks import CallbackData, parse_id, text
from bot.core.i18n import t
from bot.core.messages import Button
from scheduler.bus.common import Stage
from storage.bus import BusTrip

Rows = tuple[tuple[Button, ...], ...]
PER_ROW = 3
MAX_INDEX = 999  # a tick's rider index: a bus holds at most 80 riders


class Action(StrEnum):
    ALL = "all"  # everyone expected is here (实到 = 应到)
    MISSING = "miss"  # someone is missing: show the riders to tick
    TICK = "t"  # tick or untick one rider as missing (arg: stage.index)
    CONFIRM = "ok"  # the ticked riders are missing: record the count
    CHECK = "chk"  # 车厢检查: nobody left on board


@dataclass(frozen=True)
class Press(CallbackData, prefix="bus", legacy=("bs",)):
    """``bus:t:12:b.3``: the action, the trip, and ``arg``: the stage, with a tick's rider
    index after a dot. ``Press.of`` builds one; a press whose ``arg`` is no stage (and
    index) does not unpack."""

    action: Action
    trip_id: int
    arg: str = field(
        metadata=text(5, check=lambda arg: _stage_and_index(arg), largest=f"b.{MAX_INDEX}")
    )

    @classmethod
    def of(cls, action: Action, trip_id: int, stage: Stage, index: int = -1) -> Press:
        return cls(action, trip_id, stage.value if index < 0 else f"{stage.value}.{index}")

    @property
    def stage(self) -> Stage:
        found = _stage_and_index(self.arg)
        assert found is not None  # unpack refuses any other
        return found[0]

    @property
    def index(self) -> int:
        """The ticked rider's index; -1 for a press of no rider."""
        found = _stage_and_index(self.arg)
        assert found is not None
        return found[1]


def _stage_and_index(arg: str) -> tuple[Stage, int] | None:
    stage_text, _, index_text = arg.partition(".")
    index = parse_id(index_text) if index_text else -1
    try:
        stage = Stage(stage_text)
    except ValueError:
        return None
    if index is None or index > MAX_INDEX:
        return None
    return stage, index


def button(text: str, action: Action, trip_id: int, stage: Stage, index: int = -1) -> Button:
    return Button(text, Press.of(action, trip_id, stage, index).pack())


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


@dataclass(frozen=True)
class AbsencePress(CallbackData, prefix="busabsent", legacy=("ba",)):
    """A parent's 「今天/明天不坐校车」: the rider and the day (``ymd``: YYYYMMDD); a press
    whose day is no date does not unpack."""

    rider_id: int
    ymd: str = field(metadata=text(8, check=lambda ymd: _day(ymd), largest="20991231"))

    @classmethod
    def of(cls, rider_id: int, day: dt.date) -> AbsencePress:
        return cls(rider_id, f"{day:%Y%m%d}")

    @property
    def day(self) -> dt.date:
        found = _day(self.ymd)
        assert found is not None  # unpack refuses any other
        return found


def _day(ymd: str) -> dt.date | None:
    if not re.fullmatch(r"[0-9]{8}", ymd):
        return None
    try:
        return dt.datetime.strptime(ymd, "%Y%m%d").date()
    except ValueError:
        return None


def absence_rows(riders: list[tuple[int, str]], days: list[tuple[str, dt.date]], lang: str) -> Rows:
    """One row per child: a button per day (its words given: 今天, 明天, 11-30), 「张小明
    明天不坐校车」."""
    return tuple(
        tuple(
            Button(
                t(lang, "bus.button.absent", name=name, when=when),
                AbsencePress.of(rider_id, day).pack(),
            )
            for when, day in days
        )
        for rider_id, name in riders
    )
