"""End-to-end tests run a simulated school against the emulator (see bot/simulation.py)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from bot.core.clock import FakeClock
from bot.core.settings import Settings
from bot.simulation import TOKEN, SimPerson, SimulatedSchool, simulated_school
from tests.conftest import SPEC_PATH

__all__ = ["SimPerson", "SimulatedSchool", "running_school", "texts"]


@contextlib.asynccontextmanager
async def running_school(
    settings: Settings,
    clock: FakeClock,
    *,
    flood: bool = False,
    privacy_mode: bool = False,
    webhook: bool = False,
    token: str = TOKEN,
) -> AsyncIterator[SimulatedSchool]:
    if not SPEC_PATH.exists():
        raise FileNotFoundError(f"the Bot API spec is missing: {SPEC_PATH}")
    async with simulated_school(
        settings,
        clock,
        spec_path=SPEC_PATH,
        flood=flood,
        privacy_mode=privacy_mode,
        webhook=webhook,
        token=token,
    ) as school:
        yield school


def texts(messages: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return [m.get("text") or m.get("caption") or "" for m in messages]
