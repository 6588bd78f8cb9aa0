"""Small hand-built settings for tests where the shipped 24-class school is more than needed."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from bot.core.settings import Settings, load_settings, settings_from_dict

CONFIG = Path(__file__).resolve().parents[2] / "config.toml"


def shipped_settings() -> Settings:
    return load_settings(CONFIG)


def small_settings(
    *,
    terms: list[tuple[date, date]] | None = None,
    days_off: list[tuple[date, str]] | None = None,
    extra_days: list[tuple[date, str]] | None = None,
    themes: list[dict[str, Any]] | None = None,
    education: dict[str, Any] | None = None,
) -> Settings:
    """Two grades (dismissal 15:30 and 16:30), three classes, one term per (start, end)."""
    spans = terms or [(date(2026, 2, 2), date(2026, 7, 3))]
    raw: dict[str, Any] = {
        "school": {"name": "测试小学", "slug": "test"},
        "grades": [
            {"grade": 1, "dismissal": "15:30:00"},
            {"grade": 5, "dismissal": "16:30:00"},
        ],
        "classes": [
            {"slug": "1-1", "name": "一(1)班", "grade": 1},
            {"slug": "1-2", "name": "一(2)班", "grade": 1},
            {"slug": "5-1", "name": "五(1)班", "grade": 5},
        ],
        "terms": [
            {"name": f"term {i}", "start": start, "end": end}
            for i, (start, end) in enumerate(spans)
        ],
        "calendar": {
            "days_off": [{"date": d, "reason": r} for d, r in days_off or []],
            "extra_days": [{"date": d, "reason": r} for d, r in extra_days or []],
        },
        "education": {**(education or {}), "themes": themes or []},
    }
    return settings_from_dict(raw, base_dir=Path("."))
