"""The tick that `safety-bot run` schedules: it runs on its interval from start-up, for real.

The rest of the suite drives ``app.tick()`` by hand; these tests run APScheduler on the real
loop and the real clock, so a job added paused (``next_run_time=None``) fails them.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.app import App, start_scheduler
from bot.core.clock import FakeClock
from tests.conftest import local


class CountingTicker:
    def __init__(self) -> None:
        self.ticks = 0

    async def tick(self) -> None:
        self.ticks += 1


async def _wait_for(condition, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.05)):
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


async def test_the_routines_are_checked_again_and_again_after_start_up(app: App) -> None:
    counter = CountingTicker()
    app.ticker = counter  # type: ignore[assignment]
    scheduler = start_scheduler(app, every_s=0.2)
    try:
        assert await _wait_for(lambda: counter.ticks >= 3, 10), "the tick never ran on its own"
        assert scheduler.get_job("tick").next_run_time is not None  # type: ignore[union-attr]
    finally:
        scheduler.shutdown(wait=False)
        app.scheduler = None


async def test_a_tick_that_fails_does_not_stop_the_next_ones(app: App) -> None:
    calls = 0

    class FailingOnce:
        async def tick(self) -> None:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise RuntimeError("the database went away for a moment")

    app.ticker = FailingOnce()  # type: ignore[assignment]
    scheduler = start_scheduler(app, every_s=0.2)
    try:
        assert await _wait_for(lambda: calls >= 3, 10)
    finally:
        scheduler.shutdown(wait=False)
        app.scheduler = None


async def test_the_engine_logs_each_tick_at_debug(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="scheduler.engine"):
        await app.tick()
    assert any(r.levelno == logging.DEBUG and "tick" in r.getMessage() for r in caplog.records)


async def test_the_log_says_when_the_daily_report_prompts_are_queued_and_who_cannot_get_them(
    app: App, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    clock.set(local("2026-11-25 14:30"))
    with caplog.at_level(logging.INFO, logger="scheduler.tasks"):
        await app.tick()
    lines = [r.getMessage() for r in caplog.records if "queued zero_report" in r.getMessage()]
    # Nobody has joined yet: every class and department is named as out of reach.
    assert sorted(lines) == [
        "queued zero_report class prompt: 24 task(s), 0 chat(s); nobody to tell for 24: "
        "1-1, 1-2, 1-3, 1-4, 2-1, 2-2, 2-3, 2-4, 3-1, 3-2…",
        "queued zero_report department prompt: 3 task(s), 0 chat(s); nobody to tell for 3: "
        "canteen, general, guard",
    ]


def test_at_info_the_log_has_no_line_per_tick_and_at_debug_it_has() -> None:
    from bot.logs import setup_logging

    executors = logging.getLogger("apscheduler.executors.default")
    try:
        setup_logging("INFO")
        assert not executors.isEnabledFor(logging.INFO)
        setup_logging("DEBUG")
        assert executors.isEnabledFor(logging.DEBUG)
    finally:
        setup_logging("WARNING")
        logging.getLogger().setLevel(logging.WARNING)
