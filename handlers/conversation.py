"""A conversation's next step, moved in the same transaction as the answer it follows.

A service that saves an answer (an incident's place, a hazard's photo) names the next step;
the handler binds ``move_to`` to its chat so the step is written inside the service's own
transaction: the step can never be ahead of, or behind, what was saved. Where the state
lives in the bot's database (bot/fsm_storage.py's ``DatabaseStorage``, which has
``write_in``), it joins that transaction; with Redis (several processes) it is written at
once, outside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StateType, StorageKey
from sqlalchemy.ext.asyncio import AsyncSession


@runtime_checkable
class WritesInTransaction(Protocol):
    async def write_in(
        self,
        session: AsyncSession,
        key: StorageKey,
        state: StateType,
        data: Mapping[str, Any] | None = None,
    ) -> None: ...


async def move_to(
    session: AsyncSession,
    context: FSMContext,
    state: StateType,
    data: Mapping[str, Any] | None = None,
) -> None:
    """The conversation's next step (``None`` and ``{}`` end it), in the caller's transaction
    when the state lives in this database. Redis is written at once, outside it."""
    if isinstance(context.storage, WritesInTransaction):
        await context.storage.write_in(session, context.key, state, data)
        return
    await context.set_state(state)
    if data is not None:
        await context.set_data(data)
