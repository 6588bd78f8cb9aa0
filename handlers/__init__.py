"""aiogram routers, one module per audience or routine; ``routers()`` gives them in order."""

from __future__ import annotations

import importlib

from aiogram import Router

# Order matters: conversations (FSM states) and specific buttons before the generic photo
# handler of education, and the fallback last. The daily report comes first because most
# updates of a school day are its answers, and an update is checked against every handler
# of the routers before the one that takes it; none of the routers it now precedes has a
# handler that one of its updates would have matched (commands, own states, own buttons).
ROUTER_MODULES = (
    "zero_report",
    "hazards",  # before onboarding: its /cancel while raising also unchecks an inspection item
    "onboarding",
    "admin",
    "export",
    "notices",
    "inspections",
    "bus",
    "drills",
    "duty",
    "education",
    "fallback",
)


def routers() -> list[Router]:
    found = []
    for name in ROUTER_MODULES:
        router: Router = importlib.import_module(f"handlers.{name}").router
        # Module-level routers can be attached once; tests build several dispatchers.
        router._parent_router = None
        found.append(router)
    return found
