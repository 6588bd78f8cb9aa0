"""Alembic environment: run with a connection handed in by storage.db.upgrade, or a URL."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import storage
from storage.models import Base

# Routine modules keep their own tables (storage/<routine>.py); import them all so the
# metadata is complete for autogenerate.
for _info in pkgutil.iter_modules(storage.__path__):
    if _info.name != "migrations":
        importlib.import_module(f"storage.{_info.name}")

config = context.config
target_metadata = Base.metadata


def run_with(connection: Connection) -> None:
    # Batch mode lets later migrations ALTER tables on SQLite too.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_url(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(run_with)
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    run_with(connection)
elif context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(run_from_url(config.get_main_option("sqlalchemy.url") or ""))
