from __future__ import annotations

import pytest

from bot.core.settings import Settings
from scheduler.calendar import SchoolCalendar
from tests.scheduler.factories import shipped_settings


@pytest.fixture(scope="session")
def shipped() -> Settings:
    return shipped_settings()


@pytest.fixture(scope="session")
def calendar(shipped: Settings) -> SchoolCalendar:
    # Pure and read-only, so one instance (and its per-date cache) serves every test.
    return SchoolCalendar(shipped)
