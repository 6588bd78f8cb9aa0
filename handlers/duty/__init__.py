"""24-hour duty's routers, in one place of handlers.ROUTERS: /duty, /roster, roster files
and /swap (``roster``), the handover's buttons and note (``handover``), then patrols
(``patrol``); ``common`` holds who may use them and the conversation helpers. Each
handler calls one service of scheduler/duty/services.py."""

from __future__ import annotations

from aiogram import Router

from handlers.duty import handover, patrol, roster

router = Router(name="duty")
# In this order, as when the roster's handlers were this router's own and the handover's
# and patrols' its sub-routers.
router.include_router(roster.router)
router.include_router(handover.router)
router.include_router(patrol.router)
