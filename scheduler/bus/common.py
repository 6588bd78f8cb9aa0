"""What the bus modules share: the routine's name, the outcomes, the trip's stage, who the
escort is, the riders of a day, and how a bus and a leg are named."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.core.i18n import t
from bot.core.settings import BusSettings, BusSettingsEntry
from storage.bus import BusTrip
from storage.models import Person
from storage.people import has_role

ROUTINE = "bus"
STAFF = ("admin", "duty_leader", "safety_officer", "teacher", "head_teacher", "guard", "staff")


class Stage(StrEnum):
    """Where a trip is: each button carries the stage it was made for, so a press left over
    from an earlier stage (or pressed twice) changes nothing."""

    BOARD = "b"  # 上车清点
    ARRIVE = "a"  # 到达清点
    CHECK = "c"  # 车厢检查
    DONE = "d"


class Outcome(StrEnum):
    DONE = "done"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"  # only the bus's escort counts its riders
    STALE = "stale"  # a button of another stage, or pressed twice
    BAD_COUNT = "bad_count"
    PAST_DAY = "past_day"  # an absence for a day gone by
    NO_RIDER = "no_rider"  # nobody of that name (and class) rides a bus
    AMBIGUOUS = "ambiguous"  # riders of that name in several classes: name the class
    NO_BUS_DAY = "no_bus_day"  # an absence for a day the buses do not run
    NO_CHILD = "no_child"  # a parent's /absent 明天 before the bot knows their child


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    trip: BusTrip | None = None
    bus: BusSettingsEntry | None = None
    missing: tuple[str, ...] = field(default_factory=tuple)


def stage_of(trip: BusTrip) -> Stage:
    if trip.arrived is None:
        return Stage.BOARD if trip.boarded is None else Stage.ARRIVE
    return Stage.CHECK if trip.checked_at is None else Stage.DONE


def rider_label(unit_name: str, name: str) -> str:
    return f"{unit_name} {name}"


def riders_of(
    bus: BusSettingsEntry, class_names: dict[str, str], absent: set[str]
) -> tuple[list[str], list[str]]:
    """The riders expected on ``bus`` (``班级 姓名``), and those marked absent for the day."""
    expected: list[str] = []
    away: list[str] = []
    for rider in bus.riders:
        label = rider_label(class_names.get(rider.unit, rider.unit), rider.name)
        (away if f"{rider.unit} {rider.name}" in absent else expected).append(label)
    return expected, away


def on_board(trip: BusTrip) -> list[str]:
    """Who the arrival count expects: the riders who boarded (all, if boarding was not
    counted)."""
    gone = set(trip.board_missing) if trip.boarded is not None else set()
    return [r for r in trip.riders if r not in gone]


def is_escort(person: Person | None, bus: BusSettingsEntry) -> bool:
    return (
        person is not None
        and has_role(person, *STAFF)
        and person.display_name.strip().lower() == bus.escort.strip().lower()
    )


def times(bus: BusSettingsEntry, leg: str) -> tuple[dt.time, dt.time]:
    if leg == "am":
        return bus.morning_board, bus.morning_arrive
    return bus.afternoon_board, bus.afternoon_arrive


def bus_label(bus: BusSettingsEntry | None, number: int, lang: str) -> str:
    plate = bus.plate if bus else "?"
    return t(lang, "bus.label", number=number, plate=plate)


def leg_label(leg: str, lang: str) -> str:
    return t(lang, f"bus.leg.{leg}")


def trip_text(
    key: str, bus: BusSettingsEntry | None, number: int, leg: str, **params: Any
) -> Callable[[str], str]:
    """The message ``key`` naming bus ``number`` and the leg, in each reader's language."""

    def text(lang: str) -> str:
        return t(lang, key, bus=bus_label(bus, number, lang), leg=leg_label(leg, lang), **params)

    return text


def find_bus(policy: BusSettings, number: int) -> BusSettingsEntry | None:
    return policy.bus(number)
