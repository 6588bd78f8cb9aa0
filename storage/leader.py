"""Which process ticks a school: exactly one at a time, the others hot standbys.

On PostgreSQL the leader holds a session-level advisory lock (``pg_try_advisory_lock``) on a
connection of its own, kept open while the process lives. A process that dies (kill -9, a
crash) closes that connection and PostgreSQL frees the lock at once; a host that vanishes
without closing it is noticed by the server's TCP keepalives (set on the connection) within
half a minute. Each standby tries again before each of its ticks, so it takes over within a
tick interval (30 s) of the lock's release.

On SQLite one process owns the database: it always leads.

The tick itself stays idempotent (unique keys on tasks and outbox rows): the moment two
processes might overlap (a leader whose connection has just dropped, between its check and
its tick) queues nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# pg_try_advisory_lock(int, int): this namespace, then the school's id.
TICK_LOCK_SPACE = 0x5AFE
CHECK_TIMEOUT_S = 5.0


class Leadership(Protocol):
    async def leads(self) -> bool:
        """True when this process may tick now (taking the lead if it is free)."""
        ...

    async def resign(self) -> None: ...


class AlwaysLeads:
    """One process owns the database (SQLite)."""

    async def leads(self) -> bool:
        return True

    async def resign(self) -> None:
        return None


class NeverLeads:
    """A web process: handlers may ask for a tick (/resume); a worker does it."""

    async def leads(self) -> bool:
        return False

    async def resign(self) -> None:
        return None


class AdvisoryLock:
    """A PostgreSQL session-level advisory lock held on one connection of the engine."""

    def __init__(self, engine: AsyncEngine, key: int, name: str = "") -> None:
        self.engine = engine
        self.key = key
        self.name = name or f"school {key}"
        self._connection: AsyncConnection | None = None
        self._announced_standby = False

    @property
    def held(self) -> bool:
        return self._connection is not None

    async def leads(self) -> bool:
        if self._connection is not None:
            if await self._still_connected():
                return True
            log.warning("lost the tick lock of %s (its connection dropped)", self.name)
            await self._drop()
        return await self._try()

    async def _still_connected(self) -> bool:
        assert self._connection is not None
        try:
            await asyncio.wait_for(
                self._connection.exec_driver_sql("SELECT 1"), timeout=CHECK_TIMEOUT_S
            )
            await self._connection.commit()
            return True
        except Exception:
            return False

    async def _try(self) -> bool:
        try:
            connection = await self.engine.connect()
        except Exception:
            log.warning("cannot reach the database to take the tick lock", exc_info=True)
            return False
        try:
            # If this host vanishes, the server ends the session (and frees the lock) within
            # ~25 s instead of the system's default of hours.
            for setting in (
                "SET tcp_keepalives_idle = 10",
                "SET tcp_keepalives_interval = 5",
                "SET tcp_keepalives_count = 3",
            ):
                await connection.exec_driver_sql(setting)
            got = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:space, :key)"),
                {"space": TICK_LOCK_SPACE, "key": self.key},
            )
            await connection.commit()  # the lock is the session's: it outlives the transaction
        except Exception:
            log.warning("could not try the tick lock of %s", self.name, exc_info=True)
            await connection.invalidate()
            return False
        if got:
            self._connection = connection
            self._announced_standby = False
            log.info("this process ticks %s (it holds the tick lock)", self.name)
            return True
        await connection.close()
        if not self._announced_standby:
            self._announced_standby = True
            log.info("standby: another process ticks %s", self.name)
        return False

    async def resign(self) -> None:
        if self._connection is None:
            return
        try:
            await self._connection.scalar(
                text("SELECT pg_advisory_unlock(:space, :key)"),
                {"space": TICK_LOCK_SPACE, "key": self.key},
            )
            await self._connection.commit()
            await self._connection.close()
        except Exception:
            await self._drop()
        self._connection = None

    async def _drop(self) -> None:
        """Never back to the pool with the lock: the connection is thrown away."""
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.invalidate()
            except Exception:
                log.debug("invalidating the tick lock's connection failed", exc_info=True)


def tick_leadership(engine: AsyncEngine, school_id: int, name: str = "") -> Leadership:
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine, school_id, name)
    return AlwaysLeads()
