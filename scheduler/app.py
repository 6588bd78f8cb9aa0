"""What a handler may use of the school's running app: the interface, not the class.

The composition root (bot/app.py) builds ``App`` with the engine, the sender, the scheduler
and Redis; handlers sit below it and only need the school, its settings, the clock, the
session factory to hand to a service, and a few hooks. They annotate the injected ``app``
with this protocol, so no handler imports the root (tests/test_layers.py checks it), and
bot.app.App satisfies it structurally (mypy checks that where the dispatcher is built).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from bot.core.clock import Clock
from bot.core.settings import Settings
from scheduler.engine import Engine
from storage.db import SessionFactory
from storage.media import MediaStore


class App(Protocol):
    settings: Settings
    sessions: SessionFactory
    clock: Clock
    media: MediaStore
    school_id: int
    bot_username: str
    ticker: Engine | None
    extras: dict[str, Any]

    @property
    def tz(self) -> dt.tzinfo: ...

    def now(self) -> dt.datetime: ...

    def today(self) -> dt.date: ...

    def wake_sender(self) -> None:
        """Tell the outbox sender a message is waiting (rows a service queued)."""

    async def tick(self) -> None:
        """Run the routines' tick now (an admin's /tick, after a calendar change)."""
