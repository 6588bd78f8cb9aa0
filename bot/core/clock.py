"""Clocks: the only place the domain learns what time it is.

Domain code takes a ``Clock`` instead of calling ``datetime.now()`` so that tests can freeze
time and the demo can run a school day in seconds. Every clock returns aware UTC datetimes;
callers convert to the school's zone when they need a local date or time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        ...


def _as_utc(moment: datetime) -> datetime:
    # A naive datetime is ambiguous (server zone? school zone?); refuse it rather than guess.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got naive {moment!r}")
    return moment.astimezone(UTC)


def local_today(clock: Clock, zone: tzinfo) -> date:
    """Today's date in the school's zone (which is what the calendar is keyed by)."""
    return clock.now().astimezone(zone).date()


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told to: for tests."""

    def __init__(self, start: datetime) -> None:
        self._now = _as_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = _as_utc(moment)

    def advance(self, delta: timedelta | float) -> datetime:
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        self._now += step
        return self._now


class AcceleratedClock:
    """Starts at ``start`` and runs ``speed`` times faster than real time: for the demo.

    Based on a monotonic timer so that a wall-clock jump (NTP, suspend) cannot move
    school time backwards.
    """

    def __init__(
        self,
        start: datetime,
        speed: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self._start = _as_utc(start)
        self._speed = speed
        self._monotonic = monotonic
        self._origin = monotonic()

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> datetime:
        elapsed = self._monotonic() - self._origin
        return self._start + timedelta(seconds=elapsed * self._speed)
