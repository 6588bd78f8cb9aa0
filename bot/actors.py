"""Who is talking: the person behind a Telegram user, looked up once per update.

Every update needs its sender with their roles, and people and roles change rarely (an
invite redeemed, /lang, a blocked chat). With one process owning the database
(SQLite) the answers are kept in memory and the whole cache is dropped whenever any
statement writes to ``person`` or ``role`` through this engine, ORM or not. Several
processes (PostgreSQL) must not cache: another one may have changed a role.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import make_transient_to_detached

from storage import people, substitutes
from storage.db import SessionFactory
from storage.models import Person, Role

_WRITES_PEOPLE = re.compile(
    r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(?:person|role|substitution)\b", re.I
)
# Without the cache (several processes), who stands in for whom today is read again after
# this long: an approval made by another process holds within a minute.
COVERS_TTL_S = 30.0


class Actors:
    def __init__(
        self, sessions: SessionFactory, engine: AsyncEngine, school_id: int, *, cache: bool
    ) -> None:
        self.sessions = sessions
        self.school_id = school_id
        self._cache: dict[int, Person | None] | None = {} if cache else None
        self._generation = 0
        self._covers_of: tuple[dt.date, int, float, dict[int, list[int]]] | None = None
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

    async def acting(self, person: Person | None, today: dt.date) -> Person | None:
        """The person as they act today: a substitute (代班) has the head teacher's role of
        each class they stand in for (a copy; the cached person is unchanged)."""
        if person is None or person.id is None:
            return person
        units = (await self._covers(today)).get(person.id)
        if not units:
            return person
        return _with_classes(person, units)

    async def _covers(self, today: dt.date) -> dict[int, list[int]]:
        kept = self._covers_of
        if kept is not None and kept[0] == today and kept[1] == self._generation:
            cached_here = self._cache is not None  # writes through this engine drop it
            if cached_here or time.monotonic() - kept[2] < COVERS_TTL_S:
                return kept[3]
        generation = self._generation
        async with self.sessions() as session:
            found = await substitutes.classes_covered(session, self.school_id, today)
        if generation == self._generation:
            self._covers_of = (today, generation, time.monotonic(), found)
        return found

    def forget(self) -> None:
        self._generation += 1
        if self._cache is not None:
            self._cache.clear()

    def _on_statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if _WRITES_PEOPLE.match(statement):
            self.forget()


def _with_classes(person: Person, unit_ids: list[int]) -> Person:
    """A detached copy of ``person`` with a head teacher's role for each of ``unit_ids``."""
    copy = Person(**{c.key: getattr(person, c.key) for c in Person.__table__.c})
    roles = [Role(**{c.key: getattr(r, c.key) for c in Role.__table__.c}) for r in person.roles]
    held = {r.unit_id for r in roles if r.role == "head_teacher"}
    extra = [
        Role(
            person_id=person.id, role="head_teacher", unit_id=unit_id, created_at=person.created_at
        )
        for unit_id in unit_ids
        if unit_id not in held
    ]
    copy.roles = roles + extra
    for loaded in (copy, *roles):
        make_transient_to_detached(loaded)
    return copy
