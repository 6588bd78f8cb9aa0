"""Pupils and their guardians: a pupil is a name in a class (nothing more is needed), a
guardian is a person linked to a pupil with their relation (妈妈, 爸爸 …).

A link is made when a parent opens the head teacher's invite that names the child
(``invite_pupil``), or by an import of the class lists (pupils only: their guardians still join
through the child's invite). Pupils are never deleted by the routines: one that leaves is
marked inactive, so the record book keeps its past receipts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, Invite, Person, Unit

MAX_NAME = 20


class Pupil(Base):
    __tablename__ = "pupil"
    __table_args__ = (Index("ix_pupil_unit_name", "unit_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    name: Mapped[str] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]


class Guardian(Base):
    """A person ↔ pupil link; ``relation`` as the guardian typed it when signing (or "")."""

    __tablename__ = "guardian"
    __table_args__ = (UniqueConstraint("person_id", "pupil_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id", ondelete="CASCADE"), index=True)
    relation: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[dt.datetime]


class InvitePupil(Base):
    """The child an invite link is for: whoever opens it becomes that child's guardian."""

    __tablename__ = "invite_pupil"

    invite_id: Mapped[int] = mapped_column(
        ForeignKey("invite.id", ondelete="CASCADE"), primary_key=True
    )
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id", ondelete="CASCADE"))


def clean_name(text: str) -> str:
    """A pupil's name as compared: no spaces (王 小明 = 王小明), at most MAX_NAME characters."""
    return "".join(text.split())[:MAX_NAME]


async def find_or_add(
    session: AsyncSession, school_id: int, unit: Unit, name: str, now: dt.datetime
) -> tuple[Pupil, bool]:
    """The class's pupil of that name, added if new; (pupil, added)."""
    name = clean_name(name)
    pupil = await session.scalar(
        select(Pupil)
        .where(Pupil.school_id == school_id, Pupil.unit_id == unit.id, Pupil.name == name)
        .order_by(Pupil.id)
        .limit(1)
    )
    if pupil is not None:
        added = not pupil.active
        pupil.active = True
        return pupil, added
    pupil = Pupil(school_id=school_id, unit_id=unit.id, name=name, active=True, created_at=now)
    session.add(pupil)
    await session.flush()
    return pupil, True


async def name_child_on_invite(session: AsyncSession, invite: Invite, pupil: Pupil) -> None:
    session.add(InvitePupil(invite_id=invite.id, pupil_id=pupil.id))
    await session.flush()


async def child_of_invite(session: AsyncSession, invite_id: int) -> Pupil | None:
    return await session.scalar(
        select(Pupil)
        .join(InvitePupil, InvitePupil.pupil_id == Pupil.id)
        .where(InvitePupil.invite_id == invite_id)
    )


async def link(
    session: AsyncSession, school_id: int, person: Person, pupil: Pupil, now: dt.datetime
) -> bool:
    """Make the person a guardian of the pupil; False if they already were."""
    found = await session.scalar(
        select(Guardian).where(Guardian.person_id == person.id, Guardian.pupil_id == pupil.id)
    )
    if found is not None:
        return False
    session.add(
        Guardian(
            school_id=school_id,
            person_id=person.id,
            pupil_id=pupil.id,
            relation="",
            created_at=now,
        )
    )
    await session.flush()
    return True


async def guardian_link(session: AsyncSession, person_id: int, pupil_id: int) -> Guardian | None:
    return await session.scalar(
        select(Guardian).where(Guardian.person_id == person_id, Guardian.pupil_id == pupil_id)
    )


@dataclass(frozen=True)
class Child:
    pupil_id: int
    name: str
    unit_id: int
    unit_name: str


async def children_of(session: AsyncSession, person_id: int) -> list[Child]:
    rows = await session.execute(
        select(Pupil.id, Pupil.name, Unit.id, Unit.name)
        .join(Guardian, Guardian.pupil_id == Pupil.id)
        .join(Unit, Unit.id == Pupil.unit_id)
        .where(Guardian.person_id == person_id, Pupil.active.is_(True))
        .order_by(Unit.grade, Unit.slug, Pupil.name)
    )
    return [Child(*row) for row in rows.all()]


async def class_pupils(session: AsyncSession, unit_id: int) -> list[Pupil]:
    rows = await session.scalars(
        select(Pupil)
        .where(Pupil.unit_id == unit_id, Pupil.active.is_(True))
        .order_by(Pupil.name, Pupil.id)
    )
    return list(rows.all())


async def import_pupils(
    session: AsyncSession,
    school_id: int,
    rows: Sequence[tuple[Unit, str]],
    now: dt.datetime,
) -> int:
    """Each (class, name) added unless the class has that pupil already; how many were new."""
    added = 0
    for unit, name in rows:
        _, new = await find_or_add(session, school_id, unit, name, now)
        added += new
    return added


async def link_invited_child(
    session: AsyncSession, school_id: int, invite: Invite, person: Person, now: dt.datetime
) -> Child | None:
    """The child an invite names, linked to whoever opened it (None: the invite names none,
    or the person was that child's guardian already)."""
    pupil = await child_of_invite(session, invite.id)
    if pupil is None or not await link(session, school_id, person, pupil, now):
        return None
    unit = await session.get(Unit, pupil.unit_id)
    return Child(pupil.id, pupil.name, pupil.unit_id, unit.name if unit else "")
