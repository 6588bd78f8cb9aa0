"""aiogram routers, one module per audience or routine; ``routers()`` gives them in order."""

from __future__ import annotations

import importlib

from aiogram import Router

# Order matters: conversations (FSM states) and specific buttons before the generic photo
# handler of education, and the fallback last.
ROUTER_MODULES = (
    "onboarding",
    "admin",
    "export",
    "notices",
    "zero_report",
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
