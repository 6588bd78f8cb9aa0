"""Every schema change is a migration: the migrated database must equal the models."""

from __future__ import annotations

import importlib
import pkgutil

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

import storage
from storage.db import alembic_config, make_engine, upgrade
from storage.models import Base


def _all_models() -> None:
    for info in pkgutil.iter_modules(storage.__path__):
        if info.name != "migrations":
            importlib.import_module(f"storage.{info.name}")


def test_the_history_has_one_head() -> None:
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


async def test_migrations_produce_exactly_the_models(database_url: str) -> None:
    _all_models()
    engine = make_engine(database_url)
    try:
        await upgrade(engine)
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert diff == []
