"""Incoming updates, stored before they are handled (the ``inbound`` table).

``receive`` is on every update's path: one INSERT … ON CONFLICT DO NOTHING, built once.
It says whether the update is new; a second delivery of the same ``update_id`` (a webhook
retried by Telegram, a batch fetched again after a crash) finds its row and is not handled.
``finish`` marks it handled (with the error, if its handler failed); ``unfinished`` are the
ones a process stored and died before handling, for the next start.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Inbound

# Telegram delivers an update again for at most a day; a week covers any restart.
KEEP = dt.timedelta(days=7)


@dataclass(frozen=True)
class Received:
    bot_id: int
    update_id: int
    tg_user_id: int | None
    tg_chat_id: int | None
    payload: dict[str, Any]


def _insert(insert: Any) -> Any:
    statement = (
        insert(Inbound)
        .values(
            bot_id=bindparam("bot_id"),
            update_id=bindparam("update_id"),
            tg_user_id=bindparam("tg_user_id"),
            tg_chat_id=bindparam("tg_chat_id"),
            payload=bindparam("payload"),
            received_at=bindparam("received_at"),
            handled=False,
        )
        .on_conflict_do_nothing(index_elements=[Inbound.bot_id, Inbound.update_id])
    )
    return statement


# PostgreSQL says whether a row went in by RETURNING it (asyncpg gives no rowcount);
# sqlite3's rowcount is exact.
_INSERT = {
    "postgresql": _insert(postgresql.insert).returning(Inbound.id),
    "sqlite": _insert(sqlite.insert),
}
_FINISH = (
    update(Inbound)
    .where(Inbound.bot_id == bindparam("w_bot"), Inbound.update_id == bindparam("w_update"))
    .values(handled=True, error=bindparam("w_error"))
)


async def receive(
    session: AsyncSession, updates: Sequence[Received], now: dt.datetime
) -> list[int]:
    """Stores the updates not stored yet; returns their ids (the others were delivered
    before)."""
    connection = await session.connection()
    statement = _INSERT[connection.dialect.name]
    new: list[int] = []
    for item in updates:
        params = {
            "bot_id": item.bot_id,
            "update_id": item.update_id,
            "tg_user_id": item.tg_user_id,
            "tg_chat_id": item.tg_chat_id,
            "payload": item.payload,
            "received_at": now,
        }
        result = await connection.execute(statement, params)
        inserted = (
            result.first() is not None
            if connection.dialect.name == "postgresql"
            else result.rowcount == 1
        )
        if inserted:
            new.append(item.update_id)
    return new


async def finish(
    session: AsyncSession, bot_id: int, update_id: int, error: str | None = None
) -> None:
    connection = await session.connection()
    await connection.execute(
        _FINISH,
        {"w_bot": bot_id, "w_update": update_id, "w_error": error[:200] if error else None},
    )


async def unfinished(session: AsyncSession, bot_id: int) -> list[dict[str, Any]]:
    """The payloads of updates stored and never handled, oldest first."""
    rows = await session.scalars(
        select(Inbound.payload)
        .where(Inbound.bot_id == bot_id, Inbound.handled.is_(False))
        .order_by(Inbound.update_id)
    )
    return [dict(payload) for payload in rows]


async def prune(session: AsyncSession, now: dt.datetime) -> int:
    """Forgets handled updates older than ``KEEP``: no delivery comes again after that."""
    result = await session.execute(
        delete(Inbound).where(Inbound.handled.is_(True), Inbound.received_at < now - KEEP)
    )
    return int(getattr(result, "rowcount", 0) or 0)
