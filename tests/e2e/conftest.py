from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.settings import Settings
from tests.conftest import settings_for


@pytest.fixture
def small_school(shipped_settings: Settings, database_url: str, tmp_path: Path) -> Settings:
    """Four grade-3 classes (dismissal 16:00, so the 1530 prompt is at 15:50)."""
    classes = [{"slug": f"3-{n}", "name": f"三({n})班", "grade": 3} for n in range(1, 5)]
    return settings_for(shipped_settings, database_url, tmp_path, classes=classes)
