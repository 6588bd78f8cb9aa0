"""Who is talking: the person behind a Telegram user, looked up once per update.

Every update needs its sender with their roles, and people and roles change rarely (an
invite redeemed, /lang, a blocked chat). With one process owning the database
(SQLite) the answers are kept in memory and the whole cache is dropped whenever any
statement writes to ``person`` or ``role`` through this engine, ORM or not. Several
processes (PostgreSQL) must not cache: another one may have changed a role.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import people
from storage.db import SessionFactory
from storage.models import Person

_WRITES_PEOPLE = re.compile(
    r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(?:person|role)\b", re.I
)


class Actors:
    def __init__(
        self, sessions: SessionFactory, engine: AsyncEngine, school_id: int, *, cache: bool
    ) -> None:
        self.sessions = sessions
        self.school_id = school_id
        self._cache: dict[int, Person | None] | None = {} if cache else None
        self._generation = 0
        if cache:
            event.listen(engine.sync_engine, "after_cursor_execute", self._on_statement)

    async def person(self, tg_user_id: int) -> Person | None:
        """The person (detached, with roles loaded), or None for a stranger."""
        if self._cache is not None and tg_user_id in self._cache:
            return self._cache[tg_user_id]
        generation = self._generation
        async with self.sessions() as session:
            found = await people.actor_by_tg(session, self.school_id, tg_user_id)
        # A write while this lookup waited may have made it stale: keep it only if none came.
        if self._cache is not None and generation == self._generation:
            self._cache[tg_user_id] = found
        return found

    def forget(self) -> None:
        self._generation += 1
        if self._cache is not None:
            self._cache.clear()

    def _on_statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if _WRITES_PEOPLE.match(statement):
            self.forget()
