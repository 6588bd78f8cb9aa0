"""School buses (校车): the escort teacher (跟车老师) counts the riders at boarding and at
arrival (应到 / 实到, ticking who is missing) and checks the empty bus (车厢检查) before it
leaves; the riders' head teachers learn at once who did not board or arrive; a child who
boarded and did not arrive, or a count or check still missing [bus].check_minutes after the
scheduled arrival, alerts the duty leader and the admins at once.

Buses and riders are in config.toml ([[bus.buses]]); the trips are rows of
``storage.bus``. The services take a session and the clock's ``now`` and never touch
Telegram (``counting``); the tick makes the trips and sends the prompts and the late alert
(``trips``); /bus and /today read ``views``; the callback data is typed in ``buttons``.
"""

from __future__ import annotations

from scheduler.bus.absences import (
    MAX_DELAY_MINUTES,
    mark_absent,
    mark_own_child,
    own_riders,
    report_delay,
)
from scheduler.bus.buttons import Action, Press
from scheduler.bus.common import Outcome, Result, Stage, bus_label, leg_label, stage_of
from scheduler.bus.counting import candidates, check_empty, confirm, record_all, show_missing, tick
from scheduler.bus.trips import run_buses
from scheduler.bus.views import bus_overview, day_listing, trip_line

__all__ = [
    "MAX_DELAY_MINUTES",
    "OVERVIEWS",
    "TICK_JOBS",
    "Action",
    "Outcome",
    "Press",
    "Result",
    "Stage",
    "bus_label",
    "bus_overview",
    "candidates",
    "check_empty",
    "confirm",
    "day_listing",
    "leg_label",
    "mark_absent",
    "mark_own_child",
    "own_riders",
    "report_delay",
    "record_all",
    "run_buses",
    "show_missing",
    "stage_of",
    "tick",
    "trip_line",
]

# What scheduler.registry collects from every routine module (here: this package).
TICK_JOBS = [run_buses]
OVERVIEWS = [bus_overview]
