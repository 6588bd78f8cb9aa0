"""Substitutes (代班): a head teacher on leave for some days, and who stands in for them.

A row covers every class the absent teacher is head teacher of, from ``first_day`` to
``last_day`` (school-zone dates, inclusive). A teacher's own request waits (``pending``) for an
admin's approval; an admin's /leave is ``active`` at once; ``refused`` and ``cancelled`` rows
are kept for the record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import Date, ForeignKey, Index, String, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, Person, Role

PENDING, ACTIVE, REFUSED, CANCELLED = "pending", "active", "refused", "cancelled"


class Substitution(Base):
    __tablename__ = "substitution"
    __table_args__ = (Index("ix_substitution_school_last_day", "school_id", "last_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))  # on leave
    substitute_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[dt.datetime]
    decided_at: Mapped[dt.datetime | None]


# Built once: recipients ask it for every unit a routine addresses.
_ACTIVE_ON = (
    select(Substitution.person_id, Substitution.substitute_id)
    .where(
        Substitution.school_id == bindparam("w_school"),
        Substitution.status == ACTIVE,
        Substitution.first_day <= bindparam("w_day"),
        Substitution.last_day >= bindparam("w_day"),
    )
    .order_by(Substitution.id)
)


async def standing_in(session: AsyncSession, school_id: int, day: dt.date) -> dict[int, int]:
    """{absent person: their substitute} on ``day``; the latest approval wins an overlap."""
    rows = await session.execute(_ACTIVE_ON, {"w_school": school_id, "w_day": day})
    return {absent: substitute for absent, substitute in rows.all()}


async def covered_units(
    session: AsyncSession, school_id: int, substitute_id: int, day: dt.date
) -> list[tuple[int, int]]:
    """(unit, absent head teacher) of each class ``substitute_id`` stands in for on ``day``."""
    rows = await session.execute(
        select(Role.unit_id, Substitution.person_id)
        .join(Role, (Role.person_id == Substitution.person_id) & (Role.role == "head_teacher"))
        .where(
            Substitution.school_id == school_id,
            Substitution.substitute_id == substitute_id,
            Substitution.status == ACTIVE,
            Substitution.first_day <= day,
            Substitution.last_day >= day,
            Role.unit_id.is_not(None),
        )
        .order_by(Substitution.id)
    )
    return [(unit_id, absent) for unit_id, absent in rows.all() if unit_id is not None]


async def acting_between(
    session: AsyncSession, school_id: int, start: dt.date, end: dt.date
) -> list[tuple[Substitution, list[int]]]:
    """Each active substitution overlapping [start, end] with the absent teacher's classes."""
    found = list(
        (
            await session.scalars(
                select(Substitution)
                .where(
                    Substitution.school_id == school_id,
                    Substitution.status == ACTIVE,
                    Substitution.first_day <= end,
                    Substitution.last_day >= start,
                )
                .order_by(Substitution.id)
            )
        ).all()
    )
    units = await head_teacher_units(session, [s.person_id for s in found])
    return [(s, units.get(s.person_id, [])) for s in found]


async def head_teacher_units(
    session: AsyncSession, person_ids: Iterable[int]
) -> dict[int, list[int]]:
    wanted = sorted(set(person_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(Role.person_id, Role.unit_id).where(
            Role.person_id.in_(wanted), Role.role == "head_teacher", Role.unit_id.is_not(None)
        )
    )
    found: dict[int, list[int]] = {}
    for person_id, unit_id in rows.all():
        if unit_id is not None:
            found.setdefault(person_id, []).append(unit_id)
    return found


async def upcoming(
    session: AsyncSession, school_id: int, today: dt.date, person_id: int | None = None
) -> list[Substitution]:
    """Pending and active substitutions that have not ended; only ``person_id``'s (on leave,
    standing in or asking) when given."""
    query = select(Substitution).where(
        Substitution.school_id == school_id,
        Substitution.status.in_((PENDING, ACTIVE)),
        Substitution.last_day >= today,
    )
    if person_id is not None:
        query = query.where(
            (Substitution.person_id == person_id)
            | (Substitution.substitute_id == person_id)
            | (Substitution.requested_by == person_id)
        )
    return list((await session.scalars(query.order_by(Substitution.first_day))).all())


async def get(session: AsyncSession, school_id: int, substitution_id: int) -> Substitution | None:
    row = await session.get(Substitution, substitution_id, with_for_update=True)
    return row if row is not None and row.school_id == school_id else None


async def names(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(person_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(Person.id, Person.display_name).where(Person.id.in_(wanted))
    )
    return {pid: name for pid, name in rows.all()}


async def classes_covered(
    session: AsyncSession, school_id: int, day: dt.date
) -> dict[int, list[int]]:
    """{substitute: the classes they stand in for on ``day``} (the absent teachers')."""
    rows = await session.execute(
        select(Substitution.substitute_id, Role.unit_id)
        .join(Role, (Role.person_id == Substitution.person_id) & (Role.role == "head_teacher"))
        .where(
            Substitution.school_id == school_id,
            Substitution.status == ACTIVE,
            Substitution.first_day <= day,
            Substitution.last_day >= day,
            Role.unit_id.is_not(None),
        )
    )
    found: dict[int, list[int]] = {}
    for substitute_id, unit_id in rows.all():
        if unit_id is not None:
            found.setdefault(substitute_id, []).append(unit_id)
    return found
