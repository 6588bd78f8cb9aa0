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
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry


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


class NestedSession(RuntimeError):
    """A task asked for the database while it already holds the one connection."""


class OneConnectionPool(AsyncAdaptedQueuePool):
    """The engine's single connection, handed to one task at a time in the order they ask.

    A task that asks again while it holds it (a session opened inside another) would wait
    for itself until the pool's timeout: it gets ``NestedSession`` at once instead.
    """

    _holder: asyncio.Task[Any] | None = None

    def _do_get(self) -> ConnectionPoolEntry:
        task = _current_task()
        if task is not None and task is self._holder:
            raise NestedSession(
                "this task already holds the database connection: finish that session first"
            )
        entry = super()._do_get()
        self._holder = task
        return entry

    def _do_return_conn(self, record: ConnectionPoolEntry) -> None:
        self._holder = None
        super()._do_return_conn(record)


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
