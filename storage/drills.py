"""Emergency drills (应急疏散演练): one row per planned drill day, made when its first step
comes (the notice the day before, the start), holding when it started and ended, who led it,
the feedback that closes it (存在问题, 改进措施), and each class's headcount at the assembly
point (应到 / 实到, the reason for a difference).

Status: planned → started → ended → closed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import insert_rows_ignore
from storage.models import Base

MAX_TEXT = 1000


class Drill(Base):
    __tablename__ = "drill"
    __table_args__ = (UniqueConstraint("school_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    theme: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[str] = mapped_column(String(16), default="planned")
    started_at: Mapped[dt.datetime | None]
    started_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    ended_at: Mapped[dt.datetime | None]
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    silent_named_at: Mapped[dt.datetime | None]  # the classes that did not report, told once
    problems: Mapped[str] = mapped_column(Text, default="")  # 存在问题
    measures: Mapped[str] = mapped_column(Text, default="")  # 改进措施
    feedback_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    feedback_at: Mapped[dt.datetime | None]
    # The plan of config.toml this drill is (its date there); ``day`` differs once it is moved.
    plan_day: Mapped[dt.date | None] = mapped_column(Date)
    at: Mapped[str | None] = mapped_column(String(5))  # "HH:MM" once moved; None: the plan's
    moves: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def evacuation_seconds(self) -> int | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds())


class DrillCount(Base):
    """A class's headcount at the assembly point; a second report replaces the first."""

    __tablename__ = "drill_count"
    __table_args__ = (UniqueConstraint("drill_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    drill_id: Mapped[int] = mapped_column(ForeignKey("drill.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    expected: Mapped[int] = mapped_column(Integer)
    present: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200), default="")
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    at: Mapped[dt.datetime]


async def ensure(session: AsyncSession, school_id: int, day: dt.date, theme: str) -> Drill:
    """The drill of ``day``, made once however often it is asked for."""
    row = {"school_id": school_id, "day": day, "theme": theme, "status": "planned"}
    row |= {"problems": "", "measures": "", "plan_day": day, "moves": 0}
    await insert_rows_ignore(session, Drill, [row])
    found = await on_day(session, school_id, day, for_update=True)
    assert found is not None
    return found


async def on_day(
    session: AsyncSession, school_id: int, day: dt.date, *, for_update: bool = False
) -> Drill | None:
    query = select(Drill).where(Drill.school_id == school_id, Drill.day == day)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def by_id(
    session: AsyncSession, school_id: int, drill_id: int, *, for_update: bool = True
) -> Drill | None:
    query = select(Drill).where(Drill.id == drill_id, Drill.school_id == school_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def between(
    session: AsyncSession, school_id: int, start: dt.date, end: dt.date
) -> list[Drill]:
    rows = await session.scalars(
        select(Drill)
        .where(Drill.school_id == school_id, Drill.day >= start, Drill.day <= end)
        .order_by(Drill.day)
    )
    return list(rows.all())


async def counts_of(session: AsyncSession, drill_id: int) -> list[DrillCount]:
    rows = await session.scalars(
        select(DrillCount).where(DrillCount.drill_id == drill_id).order_by(DrillCount.unit_id)
    )
    return list(rows.all())


async def count_of(session: AsyncSession, drill_id: int, unit_id: int) -> DrillCount | None:
    return await session.scalar(
        select(DrillCount).where(DrillCount.drill_id == drill_id, DrillCount.unit_id == unit_id)
    )


class DrillNote(Base):
    """What a floor marshal (or the commander) sent after the drill: a problem (问题), a
    suggestion (建议), or a photo (its file kept under its sha256)."""

    __tablename__ = "drill_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    drill_id: Mapped[int] = mapped_column(ForeignKey("drill.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(12))  # problem | suggestion | photo
    text: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    path: Mapped[str] = mapped_column(String(300), default="")
    at: Mapped[dt.datetime]


NOTE_KINDS = ("problem", "suggestion", "photo")
MAX_PHOTOS = 12


async def all_drills(session: AsyncSession, school_id: int) -> list[Drill]:
    rows = await session.scalars(
        select(Drill).where(Drill.school_id == school_id).order_by(Drill.day)
    )
    return list(rows.all())


async def notes_of(session: AsyncSession, drill_id: int) -> list[DrillNote]:
    rows = await session.scalars(
        select(DrillNote).where(DrillNote.drill_id == drill_id).order_by(DrillNote.id)
    )
    return list(rows.all())
