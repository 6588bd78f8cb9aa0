"""Demo scenes, one per routine: ``async def scene(school, log) -> list[str]`` (summary lines).

``SCENES`` gives the order; every scene runs on the same simulated day, interleaved by the
demo's timeline.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.demo_scenes import bus_drills, duty, education, hazards, notices, pupils, zero_report

Scene = Callable[[Any, Callable[[str], None]], Awaitable[list[str]]]

SCENES: tuple[tuple[str, Scene], ...] = (
    ("education", education.scene),
    ("zero_report", zero_report.scene),
    ("duty", duty.scene),
    ("notices", notices.scene),
    ("pupils", pupils.scene),
    ("hazards", hazards.scene),
    ("bus_drills", bus_drills.scene),
)
