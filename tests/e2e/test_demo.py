"""The demo's seeding of its school: what it prints while 106 people join and 24 class groups
are bound, and the count it ends with."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select

from bot.core.clock import FakeClock
from bot.core.settings import Settings
from bot.demo import populate
from storage.models import Chat, Person
from tests.conftest import settings_for
from tests.e2e.harness import running_school

pytestmark = pytest.mark.slow


async def test_seeding_the_demo_school_says_how_far_it_got_and_counts_each_person_once(
    shipped_settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    settings = settings_for(
        shipped_settings, f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}", tmp_path
    )
    clock.set(dt.datetime.combine(settings.demo.date, dt.time(7, 0), settings.school.tz))
    output = io.StringIO()
    async with running_school(
        settings, clock, flood=True
    ) as school:  # flood limits on, as the demo
        await populate(school, Console(file=output, width=200))
        async with school.app.sessions() as session:
            people = await session.scalar(select(func.count(Person.id)))
            bound = await session.scalar(
                select(func.count(Chat.id)).where(Chat.unit_id.is_not(None))
            )

    printed = output.getvalue()
    assert "Seeding the demo school: " in printed and "/106 people joined, " in printed
    # The principal, the duty leader, 24 head teachers, 72 parents and 8 staff: 106, not 107
    # (the principal is also school.people["admin"]).
    assert people == 106 and bound == 24
    assert "Joined: 106 people" in printed and "24 class groups bound with /bind" in printed
