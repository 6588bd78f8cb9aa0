"""What a routine (1530, zero report, duty …) tells the generic task engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import OutMessage
from bot.core.settings import Settings
from scheduler.calendar import SchoolCalendar
from storage.models import Task, Unit


@dataclass(frozen=True)
class Recipient:
    tg_chat_id: int
    person_id: int | None
    language: str


@dataclass(frozen=True)
class Context:
    school_id: int
    school_language: str
    tz: dt.tzinfo


class Routine(Protocol):
    name: str

    async def recipients(
        self, session: AsyncSession, ctx: Context, task: Task, unit: Unit | None
    ) -> list[Recipient]: ...

    def prompt(self, task: Task, unit: Unit | None, lang: str, ctx: Context) -> OutMessage: ...

    def reminder(self, task: Task, unit: Unit | None, lang: str, ctx: Context) -> OutMessage: ...

    def alert(
        self, day: dt.date, missing: Sequence[tuple[Task, Unit | None]], lang: str, ctx: Context
    ) -> OutMessage: ...


@dataclass(frozen=True)
class TickContext:
    """What a tick or settle job (``TICK_JOBS``, ``SETTLE_JOBS`` of a routine module) gets."""

    session: AsyncSession
    ctx: Context
    settings: Settings
    calendar: SchoolCalendar
    today: dt.date
    now: dt.datetime
    day_end: dt.datetime


TickJob = Callable[[TickContext], Awaitable[int]]

# A section of /today (``OVERVIEWS``): (session, ctx, day, lang) -> its text, or None.
Overview = Callable[[AsyncSession, Context, dt.date, str], Awaitable[str | None]]
