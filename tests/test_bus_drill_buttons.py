"""The bus's and the drill's buttons on the one callback codec: readable prefixes, and the
old ones (bs, ba, dr) still unpack, so buttons already in chats keep working."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduler.bus.buttons import AbsencePress, Action, Press
from scheduler.bus.common import Stage
from scheduler.drills.buttons import Action as DrillAction
from scheduler.drills.buttons import Press as DrillPress


def test_a_bus_press_carries_the_stage_and_a_ticks_rider() -> None:
    tick = Press.of(Action.TICK, 12, Stage.BOARD, 3)
    assert tick.pack() == "bus:t:12:b.3"
    assert (tick.stage, tick.index) == (Stage.BOARD, 3)
    assert Press.unpack("bs:t:12:b.3") == tick  # a button sent before
    whole = Press.unpack("bs:all:7:a")
    assert whole is not None and (whole.action, whole.trip_id) == (Action.ALL, 7)
    assert (whole.stage, whole.index) == (Stage.ARRIVE, -1)


@pytest.mark.parametrize(
    "forged", ["bs:all:1:z", "bs:t:1:b.1000", "bs:t:1:b.²", "bus:t:1:b.x", "bs:all:1", "bs:no:1:b"]
)
def test_a_bus_press_of_no_stage_or_rider_does_not_unpack(forged: str) -> None:
    assert Press.unpack(forged) is None


def test_a_parents_absence_press_carries_the_day() -> None:
    press = AbsencePress.of(41, dt.date(2026, 11, 26))
    assert press.pack() == "busabsent:41:20261126"
    assert AbsencePress.unpack("ba:41:20261126") == press
    assert press.day == dt.date(2026, 11, 26)
    for forged in ("ba:1:2026xx26", "ba:1:20261332", "busabsent:1:2026112", "ba::20261126"):
        assert AbsencePress.unpack(forged) is None


def test_the_drill_press_names_the_drill() -> None:
    assert DrillPress(DrillAction.START, 5).pack() == "drill:go:5"
    assert DrillPress.unpack("dr:end:5") == DrillPress(DrillAction.END, 5)
    assert DrillPress.unpack("dr:go:²") is None
