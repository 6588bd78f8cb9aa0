"""Demo scenes, one per routine: ``async def scene(school, log) -> list[str]`` (summary lines).

``SCENE_MODULES`` gives the order; every scene runs on the same simulated day, interleaved
by the demo's timeline.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import Any

SCENE_MODULES = (
    "education",
    "zero_report",
    "duty",
    "notices",
    "pupils",
    "hazards",
    "bus_drills",
)

Scene = Callable[[Any, Callable[[str], None]], Awaitable[list[str]]]


def scenes() -> list[tuple[str, Scene]]:
    return [
        (name, importlib.import_module(f"bot.demo_scenes.{name}").scene) for name in SCENE_MODULES
    ]
