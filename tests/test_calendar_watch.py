"""The December warning that next year's national holidays are missing reaches each admin in
their own language, and only in it."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.app import App
from bot.core.clock import FakeClock
from storage.models import Outbox, Person
from tests.conftest import add_person, local


async def test_each_admin_reads_the_missing_holidays_warning_in_their_own_language(
    app: App, clock: FakeClock
) -> None:
    principal = await add_person(app, "校长", "admin", None, 9001)
    deputy = await add_person(app, "Deputy", "admin", None, 9002)
    async with app.sessions.begin() as session:
        (await session.get(Person, deputy.id)).language = "en"  # type: ignore[union-attr]
    clock.set(local("2026-12-07 09:00"))  # 2027's holidays are not announced yet
    await app.tick()
    async with app.sessions() as session:
        rows = await session.scalars(select(Outbox).where(Outbox.key.startswith("calendar-")))
        texts = {row.person_id: row.payload["text"] for row in rows}
    chinese, english = texts[principal.id], texts[deputy.id]
    assert "2027" in chinese and "周末" in chinese
    assert re.findall(r"[A-Za-z]{2,}", chinese) == ["chinesecalendar", "calendar"]
    assert "2027" in english and "weekends-only" in english
    assert re.findall(r"[\u4e00-\u9fff]", english) == []
