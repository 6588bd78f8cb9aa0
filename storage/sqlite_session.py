"""The session for SQLite's one inline connection (storage/sqlite_driver.py).

``AsyncSession`` runs each call (execute, get, flush, commit, close) in a greenlet of its
own, so that a driver can await the network halfway. On the inline connection nothing
waits: sqlite3 answers at once on the loop's thread, and the greenlets are all the cost. An
empty transaction took 160–170 µs through ``AsyncSession`` against 75 µs through a sync
``Session`` on the same file; one with two statements, 374 against 177 µs.

So ``SQLiteSession`` calls its sync session directly whenever nothing could wait: the
calling task holds the connection already, or the connection is idle in the pool. Only the
first checkout of a busy (or not yet opened) connection goes through SQLAlchemy's greenlet,
which waits for it. The results are the same buffered results ``AsyncSession`` gives.

On leaving ``async with``, SQLAlchemy also commits and closes in a task of its own, shielded,
so that a cancelled caller cannot abandon the close halfway. That cost two tasks per
transaction, and the connection stayed taken until the loop got round to them: every
transaction queued behind the last one's close. Here commit and close never wait, so there
is no moment at which a cancellation could interrupt them, and they run in the caller's task.

PostgreSQL keeps SQLAlchemy's own ``AsyncSession``: there every call may wait on the network.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.ext.asyncio.result import _ensure_sync_result
from sqlalchemy.ext.asyncio.session import _EXECUTE_OPTIONS
from sqlalchemy.util import EMPTY_DICT, immutabledict
from sqlalchemy.util.concurrency import greenlet_spawn

from storage.sqlite_driver import OneConnectionPool

_T = TypeVar("_T")


class SQLiteSession(AsyncSession):
    async def _call(self, method: Callable[..., _T], *args: Any, **kw: Any) -> _T:
        """What ``AsyncSession`` does for each call, ``greenlet_spawn(method, …)``, but
        only when the call may have to wait for the connection."""
        pool = getattr(self.sync_session.bind, "pool", None)
        if isinstance(pool, OneConnectionPool) and pool.serves_at_once():
            return method(*args, **kw)
        return await greenlet_spawn(method, *args, **kw)

    async def execute(  # type: ignore[override]
        self,
        statement: Any,
        params: Any = None,
        *,
        execution_options: Any = EMPTY_DICT,
        bind_arguments: Any = None,
        **kw: Any,
    ) -> Any:
        result = await self._call(
            self.sync_session.execute,
            statement,
            params=params,
            execution_options=_buffered(execution_options),
            bind_arguments=bind_arguments,
            **kw,
        )
        return await _ensure_sync_result(result, self.execute)

    async def scalar(  # type: ignore[override]
        self,
        statement: Any,
        params: Any = None,
        *,
        execution_options: Any = EMPTY_DICT,
        bind_arguments: Any = None,
        **kw: Any,
    ) -> Any:
        result = await self.execute(
            statement,
            params,
            execution_options=execution_options,
            bind_arguments=bind_arguments,
            **kw,
        )
        return result.scalar()

    async def get(self, entity: Any, ident: Any, **kw: Any) -> Any:  # type: ignore[override]
        return await self._call(self.sync_session.get, entity, ident, **kw)

    async def connection(self, **kw: Any) -> AsyncConnection:  # type: ignore[override]
        # Once the session holds the connection, its statements never wait.
        assert isinstance(self.bind, AsyncEngine)
        return _AtOnceConnection(self.bind, await self._call(self.sync_session.connection, **kw))

    async def flush(self, objects: Sequence[Any] | None = None) -> None:
        await self._call(self.sync_session.flush, objects)

    async def refresh(
        self,
        instance: object,
        attribute_names: Iterable[str] | None = None,
        with_for_update: Any = None,
    ) -> None:
        await self._call(self.sync_session.refresh, instance, attribute_names, with_for_update)

    async def delete(self, instance: object) -> None:
        await self._call(self.sync_session.delete, instance)

    async def commit(self) -> None:
        await self._call(self.sync_session.commit)

    async def rollback(self) -> None:
        await self._call(self.sync_session.rollback)

    async def close(self) -> None:
        await self._call(self.sync_session.close)

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        await self.close()

    def _maker_context_manager(self) -> Any:
        return _Transaction(self)


class _Transaction:
    """``async with sessions.begin()``: begun, committed (or rolled back) and closed in the
    caller's task. Beginning takes no connection: the first statement does."""

    __slots__ = ("session",)

    def __init__(self, session: SQLiteSession) -> None:
        self.session = session

    async def __aenter__(self) -> SQLiteSession:
        self.session.sync_session.begin()
        return self.session

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        try:
            if type_ is None:
                await self.session.commit()
            else:
                await self.session.rollback()
        finally:
            await self.session.close()


class _AtOnceConnection(AsyncConnection):
    """The connection a ``SQLiteSession`` holds: its statements run at once."""

    async def execute(  # type: ignore[override]
        self, statement: Any, parameters: Any = None, *, execution_options: Any = None
    ) -> Any:
        result = self.sync_connection.execute(  # type: ignore[union-attr]
            statement, parameters, execution_options=execution_options
        )
        return await _ensure_sync_result(result, self.execute)


def _buffered(execution_options: Any) -> Any:
    # What AsyncSession.execute adds: results are read in full before the call returns.
    if execution_options:
        return immutabledict(execution_options).union(_EXECUTE_OPTIONS)
    return _EXECUTE_OPTIONS
