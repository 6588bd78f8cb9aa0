"""SQLite for the async engine without a thread hop per call.

aiosqlite runs every call (cursor, execute, fetch, commit) on a worker thread and wakes the
event loop when it is done: two thread wake-ups per call. Where waking a thread is cheap
that costs ~50 µs; on this project's machines (a virtual machine inside another) it was
190 µs a wake-up, and ``session.get()`` cost 2.5 ms against 8 µs for the query itself
(bench/ingest.py: 20 ms of CPU per update, 40 updates/s).

A local SQLite query takes microseconds, less than the hop, so this connection runs
aiosqlite's calls on the event loop's own thread instead. SQLAlchemy's aiosqlite dialect is
unchanged; only the connection it is given differs. The engine keeps exactly one connection
(storage/db.py): transactions queue for it in order instead of fighting over SQLite's write
lock, which also means a busy wait can only come from another process.

SQLAlchemy's adapter for aiosqlite still awaits each step of a statement (open a cursor,
execute, fetch, close) and each commit: a greenlet switch and a coroutine apiece, for calls
that now finish at once. ``InlineDBAPI`` (the engine's ``module=``) hands SQLAlchemy cursors
that call sqlite3 directly and await once per statement, which SQLAlchemy's
``AsyncConnection.execute`` insists on, or not at all when called straight from a coroutine
(storage/sqlite_session.py). A transaction of two statements took 290 µs here
against 360 µs (a select and an update by key, prebuilt).
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry
from sqlalchemy.util.concurrency import await_, in_greenlet


class _RunNow:
    """Stands in for aiosqlite's queue to its worker thread: runs each call at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:  # handed to the caller, as aiosqlite does
            if future is not None and not future.done():
                future.set_exception(exc)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunNow()  # type: ignore[assignment]

    def __await__(self) -> Any:
        return self._connect().__await__()  # no worker thread to start

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


async def _done(value: Any) -> Any:
    return value


def _awaited_once(result: Any) -> Any:
    # In SQLAlchemy's greenlet, AsyncConnection.execute insists that the driver awaited;
    # called straight from a coroutine (storage/sqlite_session.py) there is nothing to await.
    return await_(_done(result)) if in_greenlet() else result


class InlineCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor for SQLAlchemy that runs sqlite3 itself. One connection serves one task at
    a time (``OneConnectionPool``), so the adapter's per-connection mutex is not needed."""

    __slots__ = ()
    _awaitable_cursor_close = False

    def _make_new_cursor(self, connection: Any) -> Any:
        return connection._conn.cursor()

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        cursor: Any = self._cursor  # sqlite3's, not the awaitable kind the base class types
        try:
            result = cursor.execute(operation, () if parameters is None else parameters)
            if cursor.description:
                self._rows = collections.deque(cursor.fetchall())
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        return _awaited_once(result)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        try:
            cursor: Any = self._cursor
            result = cursor.executemany(operation, seq_of_parameters)
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        return _awaited_once(result)

    def close(self) -> None:
        self._rows.clear()
        cursor: Any = self._cursor
        cursor.close()


class InlineAdaptedConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = InlineCursor

    def commit(self) -> None:
        self._end(sqlite3.Connection.commit)

    def rollback(self) -> None:
        self._end(sqlite3.Connection.rollback)

    def _end(self, step: Callable[[sqlite3.Connection], None]) -> None:
        if self._connection._connection:  # closed already: nothing to end, as in aiosqlite's
            try:
                step(self._connection._conn)
            except Exception as error:
                self._handle_exception(error)


class InlineDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module SQLAlchemy's aiosqlite dialect gets (``create_async_engine(module=)``)."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *args: Any, **kwargs: Any) -> InlineAdaptedConnection:
        creator = kwargs.pop("async_creator_fn")
        return InlineAdaptedConnection(self, await_(creator(*args, **kwargs)))


class NestedSession(RuntimeError):
    """A task asked for the database while it already holds the one connection."""


class OneConnectionPool(AsyncAdaptedQueuePool):
    """The engine's single connection, handed to one task at a time in the order they ask.

    A task that asks again while it holds it (a session opened inside another) would wait
    for itself until the pool's timeout: it gets ``NestedSession`` at once instead.
    """

    inline = True  # storage.db.make_session_factory gives its engine a SQLiteSession
    _holder: asyncio.Task[Any] | None = None
    _idle: ConnectionPoolEntry | None = None

    def _do_get(self) -> ConnectionPoolEntry:
        task = _current_task()
        if task is not None and task is self._holder:
            raise NestedSession(
                "this task already holds the database connection: finish that session first"
            )
        entry = super()._do_get()
        self._holder, self._idle = task, None
        return entry

    def serves_at_once(self) -> bool:
        """A checkout now would not wait: this task holds the connection (a second session
        of it gets ``NestedSession``), or the connection is idle and open (one that must be
        opened again, after an error invalidated it, has to be awaited)."""
        if self._holder is not None and self._holder is _current_task():
            return True
        return self._idle is not None and self._idle.dbapi_connection is not None

    def _do_return_conn(self, record: ConnectionPoolEntry) -> None:
        self._holder = None
        super()._do_return_conn(record)
        self._idle = record


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop (engine disposal at exit)
        return None


def connector(path: str, timeout_s: float) -> Callable[[], Any]:
    """The ``async_creator`` of ``create_async_engine`` for the file at ``path``."""

    async def connect() -> InlineConnection:
        return await InlineConnection(partial(sqlite3.connect, path, timeout=timeout_s))

    return connect
