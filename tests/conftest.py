"""Shared fixtures: the shipped settings, a database on SQLite or PostgreSQL, an App.

PostgreSQL runs when SAFETY_BOT_TEST_PG_URL is set (``make test`` sets it). If it is set and
the server cannot be reached, the tests that need it fail: they never skip silently.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import App, close_app, open_app
from bot.core.clock import FakeClock
from bot.core.settings import Settings, load_settings, settings_from_dict
from emulator.spec import BUNDLED_SPEC
from storage import people
from storage.models import Person, Unit

ROOT = Path(__file__).resolve().parents[1]
SPEC_PATH = BUNDLED_SPEC
PG_URL = os.environ.get("SAFETY_BOT_TEST_PG_URL", "")
SHANGHAI = ZoneInfo("Asia/Shanghai")

BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def local(text: str) -> dt.datetime:
    """'2026-11-25 15:20' in the school's zone, as an aware datetime."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def shipped_settings() -> Settings:
    return load_settings(ROOT / "config.toml")


async def _pg_database() -> tuple[str, str]:
    import asyncpg

    name = f"sbtest_{uuid.uuid4().hex[:12]}"
    admin_dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    base = PG_URL.rsplit("/", 1)[0]
    return f"{base}/{name}", name


async def _drop_pg_database(name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    url, name = await _pg_database()
    try:
        yield url
    finally:
        await _drop_pg_database(name)


def settings_for(
    base: Settings, database_url: str, tmp_path: Path, **overrides: object
) -> Settings:
    raw = base.model_dump(mode="json", exclude={"base_dir"})
    raw["storage"] = {
        **raw["storage"],
        "database_url": database_url,
        "media_dir": str(tmp_path / "media"),
        "export_dir": str(tmp_path / "exports"),
    }
    for dotted, value in overrides.items():
        target = raw
        *parents, leaf = dotted.split("__")
        for part in parents:
            target = target[part]
        target[leaf] = value
    return settings_from_dict(raw, base_dir=tmp_path)


@pytest.fixture
def fast_sqlite(request: pytest.FixtureRequest, database_url: str) -> bool:
    """SQLite's fast path (storage/sqlite_driver.py), but for the tests marked
    ``stock_sqlite_too``: they run once more on the stock aiosqlite and AsyncSession path
    that ``[storage] fast_sqlite = false`` falls back to (PostgreSQL has only one path)."""
    fast: bool = getattr(request, "param", True)
    if not fast and not database_url.startswith("sqlite"):
        pytest.skip("the stock path is SQLite's; PostgreSQL always runs AsyncSession")
    return fast


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("stock_sqlite_too") and (
        "fast_sqlite" in metafunc.fixturenames
    ):
        metafunc.parametrize("fast_sqlite", [True, False], ids=["fast", "stock"], indirect=True)


@pytest.fixture
def settings(
    shipped_settings: Settings, database_url: str, fast_sqlite: bool, tmp_path: Path
) -> Settings:
    return settings_for(shipped_settings, database_url, tmp_path, storage__fast_sqlite=fast_sqlite)


DAILY_ROUTINES = ("education", "zero_report", "duty")


@pytest.fixture
def routines_off(
    shipped_settings: Settings, database_url: str, fast_sqlite: bool, tmp_path: Path
) -> Callable[..., Settings]:
    """Builds the shipped school with the named routines off, so a test's chats hold only the
    messages it is about; keyword overrides as settings_for takes them."""

    def build(*routines: str, **overrides: object) -> Settings:
        off: dict[str, object] = {f"{name}__enabled": False for name in routines}
        overrides.setdefault("storage__fast_sqlite", fast_sqlite)
        return settings_for(shipped_settings, database_url, tmp_path, **off, **overrides)

    return build


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(local("2026-11-25 08:00"))  # a Wednesday in the autumn 2026 term


@pytest.fixture
async def app(settings: Settings, clock: FakeClock) -> AsyncIterator[App]:
    application = await open_app(settings, clock=clock)
    try:
        yield application
    finally:
        await close_app(application)


async def unit_by_slug(app: App, slug: str) -> Unit | None:
    async with app.sessions() as session:
        return await session.scalar(
            select(Unit).where(Unit.school_id == app.school_id, Unit.slug == slug)
        )


async def add_person(
    app: App,
    name: str,
    role: str,
    unit: Unit | None,
    tg_id: int,
    *,
    chat: bool = True,
    blocked: bool = False,
) -> Person:
    """Someone known to the bot with one role: with their private chat opened (``chat``),
    or blocked since (``blocked``)."""
    now = app.now()
    async with app.sessions.begin() as session:
        person = Person(
            school_id=app.school_id,
            display_name=name,
            tg_user_id=tg_id,
            unreachable=False,
            created_at=now,
            roles=[],
        )
        session.add(person)
        await session.flush()
        await people.grant_role(session, person, role, unit.id if unit else None, now)
        if chat:
            await people.remember_private_chat(session, app.school_id, person, tg_id, now)
        if blocked:
            await people.mark_unreachable(session, app.school_id, tg_id)
    return person
