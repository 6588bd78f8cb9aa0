"""Engines, sessions and the schema upgrade, for SQLite (WAL) and PostgreSQL alike."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.sql import Insert

from storage.models import Base

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
log = logging.getLogger(__name__)

SessionFactory = async_sessionmaker[AsyncSession]

# How long a write waits for SQLite's lock on the loop's thread: long enough for another
# process's short write (`safety-bot admin-code` beside the running bot), far too short to
# freeze the bot; a lock held longer is waited for off the loop (storage/sqlite_lock.py).
LOCK_WAIT_MS = 50


def make_engine(url: str, *, echo: bool = False, fast_sqlite: bool = True) -> AsyncEngine:
    """``fast_sqlite=False`` (config.toml ``[storage] fast_sqlite = false``): SQLite through
    stock aiosqlite and SQLAlchemy's own ``AsyncSession``, still one connection, for when an
    upgrade broke the private internals the fast path relies on
    (tests/test_library_internals.py); it costs the bot about 1.5 times the CPU per update
    (bench/ingest.py: 6.0 against 3.9 ms)."""
    if url.startswith("sqlite") and not fast_sqlite:
        log.warning(
            "SQLite on the stock path ([storage] fast_sqlite = false): aiosqlite's thread and "
            "AsyncSession, about 1.5 times the CPU per update"
        )
        _ensure_sqlite_dir(url)
        engine = create_async_engine(
            url, echo=echo, poolclass=AsyncAdaptedQueuePool, pool_size=1, max_overflow=0
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("sqlite"):
        # Imported here: with fast_sqlite off, an upgrade that removed a private name they
        # import cannot stop the bot from starting.
        from storage import sqlite_driver

        _ensure_sqlite_dir(url)
        database = make_url(url).database or ":memory:"
        # One connection, its calls on the loop's thread (storage/sqlite_driver.py). Several
        # pooled connections made transactions fight for SQLite's write lock, and its busy
        # handler sleeps (up to 100 ms a turn) while it waits: 30 replies/s with a p99 of 3 s
        # in bench/ingest.py. One connection queues transactions in order instead; each is
        # short and never waits on the network. Nor for long on a lock another process
        # holds (busy timeout LOCK_WAIT_MS, was 30 s): on the loop's thread that wait froze
        # the whole bot; a write that still meets it fails, changing nothing, and waits off
        # the loop (storage/sqlite_lock.py).
        engine = create_async_engine(
            url,
            echo=echo,
            module=sqlite_driver.InlineDBAPI(),
            async_creator=sqlite_driver.connector(database, LOCK_WAIT_MS / 1000),
            poolclass=sqlite_driver.OneConnectionPool,
            pool_size=1,
            max_overflow=0,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True)


def make_session_factory(engine: AsyncEngine) -> SessionFactory:
    if getattr(engine.pool, "inline", False):  # sqlite_driver.OneConnectionPool
        from storage.sqlite_session import SQLiteSession

        return async_sessionmaker(engine, expire_on_commit=False, class_=SQLiteSession)
    return async_sessionmaker(engine, expire_on_commit=False)


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:" and not path.startswith(":"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; NORMAL sync is safe with WAL and much faster.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={LOCK_WAIT_MS}")  # never long on the loop's thread
    cursor.close()


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


async def upgrade(engine: AsyncEngine, revision: str = "heads") -> None:
    """Apply the Alembic migrations on this engine's database (every head: branches added at
    the same time upgrade before their merge lands)."""

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Processes started together on one database (a web and a worker, a district's
            # workers) upgrade one after the other: the next finds the schema up to date.
            await connection.exec_driver_sql("SELECT pg_advisory_xact_lock(23294, 0)")
        await connection.run_sync(run)


async def insert_rows_ignore(
    session: AsyncSession, model: type[Base], rows: Sequence[Mapping[str, Any]]
) -> int:
    """Bulk INSERT … ON CONFLICT DO NOTHING as one executemany; returns the rows inserted.

    Core executemany on the table: ~20× faster than a multi-VALUES statement, whose compile
    cost grows with every row (a term of tasks for 100 schools: minutes against seconds).
    """
    if not rows:
        return 0
    connection = await session.connection()
    table = model.__table__
    values = list(rows)
    if connection.dialect.name == "postgresql":
        # asyncpg reports no rowcount for executemany: count what RETURNING gives back
        # (SQLAlchemy's insertmanyvalues batches it into a few cached statements).
        returning = postgresql.insert(table).on_conflict_do_nothing().returning(table.c.id)  # type: ignore[arg-type]
        return len((await connection.execute(returning, values)).all())
    # sqlite3 sums executemany's rowcount exactly, and is ~2.7× faster than RETURNING.
    result = await connection.execute(
        sqlite.insert(table).on_conflict_do_nothing(),  # type: ignore[arg-type]
        values,
    )
    return max(result.rowcount or 0, 0)


def insert_ignore(model: type[Base], rows: Iterable[Mapping[str, Any]], dialect: str) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING, so that planning twice inserts nothing twice."""
    values = list(rows)
    if dialect == "postgresql":
        return postgresql.insert(model).values(values).on_conflict_do_nothing()
    return sqlite.insert(model).values(values).on_conflict_do_nothing()
