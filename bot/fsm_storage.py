"""Where aiogram keeps conversation state: the bot's own database by default, Redis for a
district running several bot processes.

A conversation (the 有情况 incident report, for one) must survive a restart, which aiogram's
MemoryStorage does not. ``DatabaseStorage`` keeps one row per chat and user in ``fsm_state``
(storage/fsm.py). aiogram reads the state of every update before any handler runs, so with
one process (SQLite) the rows are also cached in memory, written through: the database stays
the truth a restarted process starts from, and a busy bot does not read it on every update.
The cache starts with every row at once (only conversations under way have one), so a person
without a conversation costs no read either.
Several processes must not cache (another process may have moved the conversation on): on
PostgreSQL the cache is off, and with ``[redis].url`` (or ``REDIS_URL``, ``FSM_REDIS_URL``;
bot/core/settings.py) aiogram's RedisStorage keeps the conversations instead, so a chat's next
message may reach any web worker (bot/app.py also sets RedisEventIsolation then: one update
of a chat at a time across workers).

A handler that saves an answer and moves the conversation on does both in one transaction
with handlers/conversation.py's ``move_to`` (which calls ``write_in``): the step can never be ahead of, or behind, what was saved, and a busy bot
commits once per answer instead of twice (bench/ingest.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.core.clock import Clock
from storage import fsm
from storage.db import SessionFactory

# Cache entries written inside a caller's transaction wait here until it commits.
_PENDING = "fsm_cache_writes"

Entry = tuple[str | None, dict[str, Any]]


class DatabaseStorage(BaseStorage):
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        *,
        cache: bool = True,
        key_builder: KeyBuilder | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.key_builder = key_builder or DefaultKeyBuilder(with_bot_id=True, with_destiny=True)
        self._cache: dict[str, Entry] | None = {} if cache else None
        self._cache_complete = False  # once every row is in it, a key not in it has none

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = state.state if isinstance(state, State) else state
        _, data = await self._load(key)
        await self._save(key, name, data)

    async def get_state(self, key: StorageKey) -> str | None:
        state, _ = await self._load(key)
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        state, _ = await self._load(key)
        await self._save(key, state, dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        _, data = await self._load(key)
        return dict(data)  # a copy: callers mutate what they get

    async def close(self) -> None:
        if self._cache is not None:
            self._cache.clear()
            self._cache_complete = False

    async def write_in(
        self,
        session: AsyncSession,
        key: StorageKey,
        state: StateType,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        """Sets the state (and the data, unless None: kept) inside ``session``'s transaction;
        the cache follows once it commits."""
        name = state.state if isinstance(state, State) else state
        text_key = self.key_builder.build(key)
        if data is None:
            cached = self._cached(text_key)
            _, data = cached if cached is not None else await fsm.load(session, text_key)
        entry = (name, dict(data))
        await fsm.save(session, text_key, name, entry[1], self.clock.now())
        if self._cache is not None:
            session.info.setdefault(_PENDING, []).append((self._cache, text_key, entry))

    async def _load(self, key: StorageKey) -> Entry:
        text_key = self.key_builder.build(key)
        cached = self._cached(text_key)
        if cached is not None:
            return cached
        if self._cache is None:
            async with self.sessions() as session:
                return await fsm.load(session, text_key)
        async with self.sessions() as session:
            rows = await fsm.load_all(session)
        for row_key, entry in rows.items():
            # A write committed meanwhile is in the cache already, and newer than this read.
            self._cache.setdefault(row_key, entry)
        self._cache_complete = True
        return self._cached(text_key) or (None, {})

    def _cached(self, text_key: str) -> Entry | None:
        if self._cache is None:
            return None
        if self._cache_complete:
            return self._cache.get(text_key, (None, {}))
        return self._cache.get(text_key)

    async def _save(self, key: StorageKey, state: str | None, data: dict[str, Any]) -> None:
        text_key = self.key_builder.build(key)
        async with self.sessions.begin() as session:
            await fsm.save(session, text_key, state, data, self.clock.now())
        if self._cache is not None:
            self._cache[text_key] = (state, dict(data))


@event.listens_for(Session, "after_commit")
def _cache_committed(session: Session) -> None:
    for cache, text_key, entry in session.info.pop(_PENDING, ()):
        cache[text_key] = entry


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


def make_fsm_storage(
    sessions: SessionFactory,
    clock: Clock,
    *,
    single_process: bool,
    redis_url: str = "",
    redis: Any = None,
    prefix: str = "fsm",
) -> BaseStorage:
    """RedisStorage when Redis is configured (``redis``: the App's client, or a URL), else the
    database, cached in memory only when one process owns it (SQLite)."""
    if redis is not None or redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        keys = DefaultKeyBuilder(prefix=prefix, with_bot_id=True, with_destiny=True)
        if redis is None:
            return RedisStorage.from_url(redis_url, key_builder=keys)
        return RedisStorage(redis, key_builder=keys)
    return DatabaseStorage(sessions, clock, cache=single_process)
