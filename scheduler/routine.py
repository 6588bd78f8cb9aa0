"""What a routine (1530, zero report, duty …) tells the generic task engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from storage.messages import OutMessage
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
