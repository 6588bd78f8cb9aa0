"""aiogram routers, one module per audience or routine, listed in ROUTERS in dispatch order
(as aiogram's examples/multi_file_bot does); ``routers()`` gives them to a dispatcher."""

from __future__ import annotations

from aiogram import Router

from handlers import (
    admin,
    bus,
    district,
    drills,
    duty,
    education,
    export,
    fallback,
    hazards,
    inspections,
    leave,
    notices,
    onboarding,
    privacy,
    pupils,
    zero_report,
)

# Order matters: conversations (FSM states) and specific buttons before the generic photo
# handler of education, and the fallback last. The daily report comes first because most
# updates of a school day are its answers, and an update is checked against every handler
# of the routers before the one that takes it; none of the routers it now precedes has a
# handler that one of its updates would have matched (commands, own states, own buttons).
ROUTERS: tuple[Router, ...] = (
    zero_report.router,
    privacy.router,  # before the rest: a guardian who has not consented gets only the consent
    hazards.router,  # before onboarding: its /cancel while raising also unchecks an inspection item
    onboarding.router,
    admin.router,
    export.router,
    notices.router,
    pupils.router,  # before duty: a class list sent with the caption /pupils is not a roster
    inspections.router,
    bus.router,
    drills.router,
    duty.router,
    education.router,
    leave.router,
    district.router,
    fallback.router,
)


def routers() -> list[Router]:
    for router in ROUTERS:
        # Module-level routers can be attached once; tests build several dispatchers
        # (aiogram's private Router._parent_router: tests/test_library_internals.py).
        router._parent_router = None
    return list(ROUTERS)
