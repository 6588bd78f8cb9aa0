from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.clock import AcceleratedClock, Clock, FakeClock, SystemClock, local_today

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_system_clock_is_aware_utc() -> None:
    clock: Clock = SystemClock()
    now = clock.now()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_fake_clock_converts_to_utc_and_moves_only_when_told() -> None:
    clock = FakeClock(datetime(2026, 3, 4, 15, 20, tzinfo=SHANGHAI))
    assert clock.now() == datetime(2026, 3, 4, 7, 20, tzinfo=UTC)
    assert clock.now().tzinfo is UTC
    assert clock.now() == clock.now()

    clock.advance(90)
    assert clock.now() == datetime(2026, 3, 4, 7, 21, 30, tzinfo=UTC)
    clock.advance(timedelta(hours=1))
    assert clock.now() == datetime(2026, 3, 4, 8, 21, 30, tzinfo=UTC)
    clock.set(datetime(2026, 3, 5, tzinfo=UTC))
    assert clock.now() == datetime(2026, 3, 5, tzinfo=UTC)


def test_clocks_refuse_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        FakeClock(datetime(2026, 3, 4, 15, 20))
    clock = FakeClock(datetime(2026, 3, 4, tzinfo=UTC))
    with pytest.raises(ValueError, match="aware"):
        clock.set(datetime(2026, 3, 4))
    with pytest.raises(ValueError, match="aware"):
        AcceleratedClock(datetime(2026, 3, 4), speed=10)


def test_accelerated_clock_runs_a_school_hour_in_two_seconds() -> None:
    ticks = iter([100.0, 102.0, 103.0, 103.0])
    start = datetime(2026, 11, 25, 7, 0, tzinfo=SHANGHAI)
    clock = AcceleratedClock(start, speed=1800, monotonic=lambda: next(ticks))

    assert clock.now() == start + timedelta(hours=1)
    assert clock.now() == start + timedelta(hours=1, minutes=30)
    assert clock.now().tzinfo is UTC


def test_accelerated_clock_needs_a_positive_speed() -> None:
    with pytest.raises(ValueError, match="speed"):
        AcceleratedClock(datetime(2026, 3, 4, tzinfo=UTC), speed=0)


def test_local_today_uses_the_school_zone() -> None:
    # 17:00 UTC on 1 March is already 2 March in Shanghai.
    clock = FakeClock(datetime(2026, 3, 1, 17, 0, tzinfo=UTC))
    assert local_today(clock, SHANGHAI) == date(2026, 3, 2)
    assert local_today(clock, UTC) == date(2026, 3, 1)
