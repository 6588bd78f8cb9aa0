"""Every schema change is a migration: the migrated database must equal the models."""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, select

import storage
from storage.db import alembic_config, make_engine, upgrade
from storage.models import AuditLog, Base, Person, School


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


async def test_people_who_never_chose_a_language_read_the_schools_after_the_upgrade(
    database_url: str,
) -> None:
    """Before 0007 a person's phone language was stored at join as if they had chosen it."""
    engine = make_engine(database_url)
    now = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    try:
        await upgrade(engine, "0006_role_index")
        async with engine.begin() as connection:
            await connection.execute(
                insert(School).values(id=1, slug="s", name="s", timezone="UTC", created_at=now)
            )
            await connection.execute(
                insert(Person).values(
                    created_at=now, school_id=1, language="en", unreachable=False
                ),
                [{"id": 1, "display_name": "phone"}, {"id": 2, "display_name": "chose"}],
            )
            await connection.execute(
                insert(AuditLog).values(
                    school_id=1, person_id=2, action="lang.set", detail={}, created_at=now
                )
            )
        await upgrade(engine)
        async with engine.connect() as connection:
            languages = dict((await connection.execute(select(Person.id, Person.language))).all())
    finally:
        await engine.dispose()
    assert languages == {1: None, 2: "en"}
