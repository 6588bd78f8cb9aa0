"""Two schools on one database (a district): every button one school's bot sent during a
whole day, pressed by the other school's principal in the other school's bot (a forwarded
prompt, a modified client), changes none of the first school's rows."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from bot.core.callbacks import FAMILIES
from bot.core.clock import FakeClock
from bot.core.settings import Settings
from bot.demo import populate
from bot.demo_scenes import SCENES
from bot.demo_scenes.bus_drills import with_buses_and_drill
from bot.simulation import Timeline
from tests.conftest import settings_for
from tests.e2e.harness import running_school
from tests.e2e.test_zero_report import forged_press

pytestmark = pytest.mark.slow

OTHER_TOKEN = "535353:SIMULATED-second-school-token-0123456789"


def rows(path: Path) -> dict[tuple[str, int], tuple[Any, ...]]:
    """Every row of every table, by table and rowid."""
    with sqlite3.connect(path) as db:
        tables = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            (table, row[0]): row[1:]
            for table in tables
            for row in db.execute(f'SELECT rowid, * FROM "{table}"')  # noqa: S608 - our names
        }


def buttons_sent(world: Any) -> list[str]:
    """The callback data of every button still on a message the bot sent, in every chat."""
    found: set[str] = set()
    for chat in world.chats():
        for message in chat.messages.values():
            markup = message.data.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                found.update(b["callback_data"] for b in row if b.get("callback_data"))
    return sorted(found)


async def test_every_button_of_one_school_pressed_in_another_schools_bot_changes_none_of_its_rows(
    shipped_settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    # SQLite: the rows are compared file to file; tenancy on PostgreSQL has its own tests.
    path = tmp_path / "district.db"
    url = f"sqlite+aiosqlite:///{path}"
    first = with_buses_and_drill(settings_for(shipped_settings, url, tmp_path / "first"))
    day = first.demo.date
    clock.set(dt.datetime.combine(day, dt.time(7, 0), first.school.tz))
    async with running_school(first, clock) as school:
        await populate(school, Console(file=io.StringIO()))
        school.timeline = Timeline(school)
        await school.timeline.run([scene(school, lambda _: None) for _, scene in SCENES])
        school.timeline = None
        pressed = buttons_sent(school.world)
    families = {FAMILIES[data.split(":")[0]].__name__ for data in pressed}
    # The day's buttons cover the routines a school runs every day, and then some.
    assert len(families) >= 10, families

    before = rows(path)
    second = settings_for(
        shipped_settings,
        url,
        tmp_path / "second",
        school__slug="second",
        school__name="第二小学",
    )
    async with running_school(second, clock, token=OTHER_TOKEN) as other:
        principal = await other.admin("王校长")
        welcome = (await other.received(principal.chat_id))[-1]
        answers = {data: await forged_press(other, principal, welcome, data) for data in pressed}
    after = rows(path)

    changed = sorted(
        {table for key, row in before.items() if after.get(key) != row for table in [key[0]]}
    )
    assert changed == [], f"the first school's rows changed in {changed}"
    assert all(answers.values()), [data for data, text in answers.items() if not text]
