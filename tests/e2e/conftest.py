from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.settings import Settings
from tests.conftest import settings_for


@pytest.fixture
def small_school(shipped_settings: Settings, database_url: str, tmp_path: Path) -> Settings:
    """Four grade-3 classes (dismissal 16:00, so the 1530 prompt is at 15:50)."""
    classes = [{"slug": f"3-{n}", "name": f"三({n})班", "grade": 3} for n in range(1, 5)]
    return settings_for(shipped_settings, database_url, tmp_path, classes=classes)


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A Redis key prefix of the test's own (the real processes' flood budget, FSM, events
    isolation), its keys deleted afterwards."""
    from redis.asyncio import Redis

    prefix = f"test-{uuid.uuid4().hex[:10]}"
    yield prefix
    client = Redis.from_url(os.environ.get("SAFETY_BOT_TEST_REDIS_URL", ""))
    try:
        keys = [key async for key in client.scan_iter(match=prefix + ":*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
