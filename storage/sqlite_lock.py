"""Another process holding SQLite's write lock never freezes the bot.

The bot's one SQLite connection runs on the event loop's thread (storage/sqlite_driver.py).
With SQLite's own busy handler, a write that met a lock held by another process (a backup,
``sqlite3`` in a shell with ``BEGIN EXCLUSIVE``, a second bot started by mistake) slept on
that thread for up to its ``busy_timeout``: the whole bot stopped answering, /help included,
for as long as the lock was held (8.5 s for 8 s, 40 s for 40 s; then "database is locked").

So the connection waits for a lock only briefly (``busy_timeout`` of ``LOCK_WAIT_MS``, 50 ms,
storage/db.py: another process's short write): a write that still meets one fails with
SQLITE_BUSY and its transaction is rolled back, changing nothing.
Reads need no lock in WAL mode and go on. Whoever wrote waits here, off the loop's thread,
and tries again when the lock is gone: an update is kept (bot/updates_once.py), a send's
outcome is kept until it is written (scheduler/sender.py), a tick runs again at the next.

``LockWatch`` (one per database file) notices the lock once: one log line names the
processes that have the file open, another every ``REPEAT_S`` says how long so far, and one
says when it is free again. It finds that out itself by trying the write lock every
``PROBE_S`` on a connection of its own (``BEGIN IMMEDIATE`` and ``ROLLBACK``: microseconds,
on the loop's thread, so it never holds the lock across an await).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SQLITE_BUSY = 5
PROBE_S = (0.05, 0.25)  # first and longest wait between two tries of the lock
REPEAT_S = 10.0  # how often a lock still held is logged again


def is_locked(error: BaseException | None) -> bool:
    """Whether this error (or one it wraps) is SQLite's "database is locked" (SQLITE_BUSY)."""
    seen: set[int] = set()
    stack: list[Any] = [error]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, sqlite3.OperationalError):
            code = getattr(item, "sqlite_errorcode", None)
            if (code is not None and code & 0xFF == SQLITE_BUSY) or "database is locked" in str(
                item
            ):
                return True
        stack.extend((getattr(item, "orig", None), item.__cause__, item.__context__))
    return False


class LockWatch:
    """The lock on one database file as this process sees it."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.since: float | None = None  # monotonic time the lock was first met
        self._free = asyncio.Event()
        self._free.set()
        self._probe: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def locked(self) -> bool:
        return self.since is not None

    def held_for(self) -> float:
        return 0.0 if self.since is None else time.monotonic() - self.since

    def met(self) -> None:
        """A write met the lock: from now on, wait for it to go."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (tests): nothing of the last one counts
            self._loop, self._probe, self.since = loop, None, None
        if self.since is None:
            self.since = time.monotonic()
            self._free = asyncio.Event()
        if self._probe is None or self._probe.done():
            self._probe = loop.create_task(self._watch(), name="sqlite-lock-watch")

    async def until_free(self) -> None:
        """Returns once the lock is gone (at once when none was met)."""
        if self.since is None:
            return
        if self.path is None:  # an in-memory database: nothing else can lock it
            await asyncio.sleep(PROBE_S[1])
            self._released()
            return
        await self._free.wait()

    async def _watch(self) -> None:
        holders = await asyncio.to_thread(holders_of, self.path) if self.path else ""
        log.warning(
            "the SQLite database %s is locked by another process%s: the bot goes on "
            "answering; what needs writing is kept and written when the lock is gone",
            self.path,
            f" ({holders})" if holders else "",
        )
        delay, logged = PROBE_S[0], time.monotonic()
        while not self._try_lock():
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, PROBE_S[1])
            if time.monotonic() - logged >= REPEAT_S:
                logged = time.monotonic()
                log.warning(
                    "the SQLite database %s is still locked by another process, for %.0f s so far",
                    self.path,
                    self.held_for(),
                )
        log.warning("the SQLite database %s is free again after %.1f s", self.path, self.held_for())
        self._released()

    def _released(self) -> None:
        self.since = None
        self._free.set()

    def _try_lock(self) -> bool:
        if self.path is None:
            return True
        try:
            connection = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        except sqlite3.Error:
            return False
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError as error:
            if is_locked(error):
                return False
            raise
        finally:
            connection.close()


_WATCHES: dict[str | None, LockWatch] = {}


def watch(path: str | None) -> LockWatch:
    """The watch of this database file (``None``: in memory)."""
    found = _WATCHES.get(path)
    if found is None:
        found = _WATCHES[path] = LockWatch(path)
    return found


def watch_of(sessions: Any) -> LockWatch:
    """The watch of the database a session factory (or engine) works on."""
    bind = getattr(sessions, "kw", {}).get("bind", sessions)
    url = getattr(bind, "url", None)
    database = getattr(url, "database", None)
    if not database or database == ":memory:" or database.startswith(":"):
        return watch(None)
    return watch(str(Path(database).resolve()))


async def wait_free(sessions: Any) -> None:
    """After a write met the lock: note it, and wait until it is gone."""
    lock = watch_of(sessions)
    lock.met()
    await lock.until_free()


def holders_of(path: str) -> str:
    """The other processes that have this database (or its WAL) open, as ``pid 12 sqlite3
    db.sqlite``; empty when none can be seen (another user's, or not Linux)."""
    names = {path, path + "-wal", path + "-shm", path + "-journal"}
    found: list[str] = []
    me = os.getpid()
    with contextlib.suppress(OSError):
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == me:
                continue
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                continue
            for fd in fds:
                try:
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                except OSError:
                    continue
                if target in names:
                    found.append(f"pid {pid} {_command(pid)}")
                    break
    return ", ".join(found[:5])


def _command(pid: str) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    return " ".join(raw.replace(b"\0", b" ").decode(errors="replace").split())[:120]
