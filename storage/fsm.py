"""Conversation state (which question a person is answering, and what they said so far),
kept in the database so that a restart resumes a conversation where it was.

The key is opaque here: the bot builds it from the chat and the user (bot/fsm_storage.py).
A row with no state and no data is deleted rather than kept empty.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class FsmState(Base):
    __tablename__ = "fsm_state"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[dt.datetime]


# Built once: on a busy bot, building the statement cost as much as running it.
_SELECT = select(FsmState.state, FsmState.data).where(FsmState.key == bindparam("key"))
_DELETE = delete(FsmState).where(FsmState.key == bindparam("key"))


def _upsert(insert: Any) -> Any:
    statement = insert(FsmState).values(
        key=bindparam("key"),
        state=bindparam("state"),
        data=bindparam("data"),
        updated_at=bindparam("updated_at"),
    )
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[FsmState.key],
        set_={"state": excluded.state, "data": excluded.data, "updated_at": excluded.updated_at},
    )


_UPSERT = {"postgresql": _upsert(postgresql.insert), "sqlite": _upsert(sqlite.insert)}


async def load(session: AsyncSession, key: str) -> tuple[str | None, dict[str, Any]]:
    connection = await session.connection()
    row = (await connection.execute(_SELECT, {"key": key})).first()
    if row is None:
        return None, {}
    return row.state, dict(row.data or {})


async def save(
    session: AsyncSession,
    key: str,
    state: str | None,
    data: dict[str, Any],
    now: dt.datetime,
) -> None:
    """Write both parts at once (an upsert), or delete the row when both are empty.

    Core statements on the session's connection, in the session's transaction.
    """
    connection = await session.connection()
    if state is None and not data:
        await connection.execute(_DELETE, {"key": key})
        return
    await connection.execute(
        _UPSERT[connection.dialect.name],
        {"key": key, "state": state, "data": data, "updated_at": now},
    )


async def load_all(session: AsyncSession) -> dict[str, tuple[str | None, dict[str, Any]]]:
    """Every conversation under way (a row exists only while one is)."""
    connection = await session.connection()
    rows = await connection.execute(select(FsmState.key, FsmState.state, FsmState.data))
    return {row.key: (row.state, dict(row.data or {})) for row in rows}
