"""School-bus trips (校车): one row per bus, day and leg (am: to school, pm: home), holding the
escort's counts (应到 / 实到 and who was missing) at boarding and at arrival, the empty-bus
check (车厢检查) and whether the duty leader was alerted; and the absences marked ahead.

Riders come from config.toml; a trip keeps the names it expected that day ("班级 姓名"), so
the record stays right when the list changes later. Nothing here is deleted by the bot.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    delete,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import insert_rows_ignore
from storage.models import Base

LEGS = ("am", "pm")


class BusTrip(Base):
    __tablename__ = "bus_trip"
    __table_args__ = (UniqueConstraint("school_id", "day", "bus", "leg"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    bus: Mapped[int] = mapped_column(Integer)
    leg: Mapped[str] = mapped_column(String(2))
    riders: Mapped[list[Any]] = mapped_column(JSON, default=list)  # expected, "班级 姓名"
    absent: Mapped[list[Any]] = mapped_column(JSON, default=list)  # marked absent ahead
    # The rider indexes (into ``riders``) the escort has ticked as missing so far.
    ticked: Mapped[list[Any]] = mapped_column(JSON, default=list)
    boarded: Mapped[int | None] = mapped_column(Integer)
    board_missing: Mapped[list[Any]] = mapped_column(JSON, default=list)
    boarded_at: Mapped[dt.datetime | None]
    boarded_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    arrived: Mapped[int | None] = mapped_column(Integer)
    arrive_missing: Mapped[list[Any]] = mapped_column(JSON, default=list)
    arrived_at: Mapped[dt.datetime | None]
    arrived_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    checked_at: Mapped[dt.datetime | None]
    checked_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    alerted_at: Mapped[dt.datetime | None]  # the check was late: duty leader and admins told

    @property
    def expected(self) -> int:
        return len(self.riders)


class BusAbsence(Base):
    """A rider who will not ride that day (/absent): the count expects one fewer."""

    __tablename__ = "bus_absence"
    __table_args__ = (UniqueConstraint("school_id", "day", "unit", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    unit: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(20))
    marked_by: Mapped[int] = mapped_column(ForeignKey("person.id"))
    marked_at: Mapped[dt.datetime]


class BusRider(Base):
    """A pupil who rides a bus, imported from a file (/bus import): the minimum a school
    needs (class, name, bus, stop; a guardian's phone if the school gives one; no ID
    number). A parent who marks the child absent once is remembered as the guardian, so the
    next time a date alone (/absent 明天) or a button is enough."""

    __tablename__ = "bus_rider"
    __table_args__ = (UniqueConstraint("school_id", "unit", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    bus: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(32))  # the class's slug
    name: Mapped[str] = mapped_column(String(20))
    stop: Mapped[str] = mapped_column(String(40), default="")
    guardian_phone: Mapped[str] = mapped_column(String(20), default="")
    guardian_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    imported_at: Mapped[dt.datetime]


async def riders(session: AsyncSession, school_id: int) -> list[BusRider]:
    rows = await session.scalars(
        select(BusRider).where(BusRider.school_id == school_id).order_by(BusRider.id)
    )
    return list(rows.all())


async def riders_of_guardian(
    session: AsyncSession, school_id: int, person_id: int
) -> list[BusRider]:
    rows = await session.scalars(
        select(BusRider)
        .where(BusRider.school_id == school_id, BusRider.guardian_id == person_id)
        .order_by(BusRider.id)
    )
    return list(rows.all())


async def rider_by_id(session: AsyncSession, school_id: int, rider_id: int) -> BusRider | None:
    return await session.scalar(
        select(BusRider).where(BusRider.school_id == school_id, BusRider.id == rider_id)
    )


async def replace_riders(
    session: AsyncSession, school_id: int, rows: list[dict[str, Any]], now: dt.datetime
) -> None:
    """The imported list replaces the last one whole; a guardian already linked to a pupil of
    the same class and name stays linked."""
    old = {(r.unit, r.name): r.guardian_id for r in await riders(session, school_id)}
    await session.execute(delete(BusRider).where(BusRider.school_id == school_id))
    session.add_all(
        BusRider(
            school_id=school_id,
            guardian_id=old.get((row["unit"], row["name"])),
            imported_at=now,
            **row,
        )
        for row in rows
    )
    await session.flush()


async def ensure_trip(
    session: AsyncSession,
    school_id: int,
    day: dt.date,
    bus: int,
    leg: str,
    riders: list[str],
    absent: list[str],
) -> BusTrip:
    """The day's trip, made once (a second tick or process makes nothing twice)."""
    row = {
        "school_id": school_id,
        "day": day,
        "bus": bus,
        "leg": leg,
        "riders": riders,
        "absent": absent,
        "ticked": [],
        "board_missing": [],
        "arrive_missing": [],
    }
    await insert_rows_ignore(session, BusTrip, [row])
    found = await trip(session, school_id, day, bus, leg, for_update=True)
    assert found is not None
    return found


async def trip(
    session: AsyncSession,
    school_id: int,
    day: dt.date,
    bus: int,
    leg: str,
    *,
    for_update: bool = False,
) -> BusTrip | None:
    query = select(BusTrip).where(
        BusTrip.school_id == school_id, BusTrip.day == day, BusTrip.bus == bus, BusTrip.leg == leg
    )
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def trip_by_id(
    session: AsyncSession, school_id: int, trip_id: int, *, for_update: bool = True
) -> BusTrip | None:
    query = select(BusTrip).where(BusTrip.id == trip_id, BusTrip.school_id == school_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def trips_between(
    session: AsyncSession, school_id: int, start: dt.date, end: dt.date
) -> list[BusTrip]:
    rows = await session.scalars(
        select(BusTrip)
        .where(BusTrip.school_id == school_id, BusTrip.day >= start, BusTrip.day <= end)
        .order_by(BusTrip.day, BusTrip.leg, BusTrip.bus)
    )
    return list(rows.all())


async def absent_on(session: AsyncSession, school_id: int, day: dt.date) -> set[str]:
    rows = await session.execute(
        select(BusAbsence.unit, BusAbsence.name).where(
            BusAbsence.school_id == school_id, BusAbsence.day == day
        )
    )
    return {f"{unit} {name}" for unit, name in rows.all()}


async def mark_absent(
    session: AsyncSession,
    school_id: int,
    day: dt.date,
    unit: str,
    name: str,
    person_id: int,
    now: dt.datetime,
) -> bool:
    """True when it is new (marking twice is harmless)."""
    row = {
        "school_id": school_id,
        "day": day,
        "unit": unit,
        "name": name,
        "marked_by": person_id,
        "marked_at": now,
    }
    return await insert_rows_ignore(session, BusAbsence, [row]) > 0
