"""School buses (校车): the escort teacher (跟车老师) counts the riders at boarding and at
arrival (应到 / 实到, ticking who is missing) and checks the empty bus (车厢检查) before it
leaves; the riders' head teachers learn at once who did not board or arrive; a child who
boarded and did not arrive, or a count or check still missing [bus].check_minutes after the
scheduled arrival, alerts the duty leader and the admins at once.

Buses and riders are in config.toml ([[bus.buses]]); the trips are rows of
``storage.bus``. The steps take a session and the clock's ``now`` and never touch Telegram
(``counting``); what handlers/bus.py calls opens its own transaction and returns an outcome
(``counting.pressed``, ``absences.mark_absent`` …, ``riders.import_file``,
``views.listing``); the tick makes the trips and sends the prompts and the late alert
(``trips``); /bus and /today read ``views``; the callback data is typed in ``buttons``.
"""

from __future__ import annotations

from scheduler.bus.absences import (
    MAX_DELAY_MINUTES,
    OwnRider,
    mark_absent,
    mark_own_child,
    own_buses,
    own_riders,
    report_delay,
)
from scheduler.bus.buttons import AbsencePress, Action, Press
from scheduler.bus.common import STAFF, Outcome, Result, Stage, bus_label, leg_label, stage_of
from scheduler.bus.counting import Pressed, candidates, pressed
from scheduler.bus.trips import run_buses
from scheduler.bus.views import bus_of, bus_overview, day_listing, listing, trip_line

__all__ = [
    "MAX_DELAY_MINUTES",
    "OVERVIEWS",
    "STAFF",
    "TICK_JOBS",
    "AbsencePress",
    "Action",
    "Outcome",
    "OwnRider",
    "Press",
    "Pressed",
    "Result",
    "Stage",
    "bus_label",
    "bus_of",
    "bus_overview",
    "candidates",
    "day_listing",
    "leg_label",
    "listing",
    "mark_absent",
    "mark_own_child",
    "own_buses",
    "own_riders",
    "pressed",
    "report_delay",
    "run_buses",
    "stage_of",
    "trip_line",
]

# What scheduler.registry collects from every routine module (here: this package).
TICK_JOBS = [run_buses]
OVERVIEWS = [bus_overview]
