"""What a ``safety-bot run`` process does: ``--role web|worker|all``.

- ``web`` takes updates (webhook, or polling) and answers them; what handlers queue in the
  outbox is sent by a worker. Several web processes may sit behind a load balancer.
- ``worker`` runs the routines' tick and the outbox sender. Several may run: they all send
  (each claim a lease, ``SKIP LOCKED`` on PostgreSQL), and exactly one ticks each school
  (storage/leader.py), the others hot standbys that take over within a tick interval.
- ``all`` (the default) is both in one process: one school on SQLite changes nothing.

``web`` and ``worker`` need PostgreSQL: SQLite belongs to one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import App

log = logging.getLogger(__name__)

SENDER_STOP_S = 25.0  # the sends in flight finish (each at most REQUEST_TIMEOUT_S, 20 s)


class Role(StrEnum):
    WEB = "web"
    WORKER = "worker"
    ALL = "all"

    @property
    def takes_updates(self) -> bool:
        return self is not Role.WORKER

    @property
    def works(self) -> bool:
        """Ticks (when it leads) and sends."""
        return self is not Role.WEB


def refusal(role: Role, engine: AsyncEngine) -> str | None:
    """Why this role cannot run on this database, or None."""
    if role is not Role.ALL and engine.dialect.name != "postgresql":
        return (
            f"--role {role.value} shares the database with other processes, which needs "
            "PostgreSQL (DATABASE_URL=postgresql+asyncpg://…); with SQLite run one process, "
            "--role all (the default)"
        )
    return None


async def wait_for_stop_signal() -> None:
    """A worker has no server to run: it waits for SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


async def stop_sender(app: App, sending: asyncio.Task[None]) -> None:
    """Let the sends in flight finish and give back the rows claimed and not sent, so
    another worker (or the next run) sends them at once instead of after their lease."""
    if app.sender is not None:
        app.sender.stop()
    try:
        await asyncio.wait_for(asyncio.shield(sending), SENDER_STOP_S)
    except TimeoutError:
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sending
    except Exception:
        log.exception("the outbox sender stopped with an error")
