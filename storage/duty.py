"""24-hour duty: the roster (who holds which post on which day), the handover log (交接班记录)
and shift swaps. Patrols (巡查) are submissions of kind ``patrol``; photos are attachments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Select,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    delete,
    exists,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, Chat, Person, Role, Submission

LEADER_POST = "leader"  # the post whose holder is the leader on duty (带班领导)
PATROL_KIND = "patrol"


class RosterEntry(Base):
    """One person holding one post on one duty day."""

    __tablename__ = "duty_roster"
    __table_args__ = (
        UniqueConstraint("school_id", "day", "post", "person_id"),
        Index("ix_duty_roster_school_day", "school_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    post: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # import | command | swap
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[dt.datetime]


class Handover(Base):
    """The handover at the end of one post's shifts: the outgoing person's checklist, note and
    photos, then the incoming person's confirmation (接班确认), each with its time."""

    __tablename__ = "duty_handover"
    __table_args__ = (
        UniqueConstraint("school_id", "key"),
        Index("ix_duty_handover_status", "school_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    key: Mapped[str] = mapped_column(String(80))  # "<duty day>:<post>"
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)  # the outgoing post's duty day
    post: Mapped[str] = mapped_column(String(32))
    to_post: Mapped[str] = mapped_column(String(32))
    outgoing_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    incoming_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    ends_at: Mapped[dt.datetime]  # when the outgoing shift ended
    # pending → submitted → confirmed
    status: Mapped[str] = mapped_column(String(16), default="pending")
    checks: Mapped[list[str]] = mapped_column(JSON, default=list)  # checklist ids ticked
    note: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[dt.datetime | None]
    confirmed_at: Mapped[dt.datetime | None]
    handover_alerted_at: Mapped[dt.datetime | None]
    confirm_alerted_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]


class Swap(Base):
    """A request to swap a post: the partner takes the requester's post on ``day`` and, when
    ``partner_day`` is set, the requester takes the partner's post on that day."""

    __tablename__ = "duty_swap"
    __table_args__ = (Index("ix_duty_swap_school_status", "school_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    post: Mapped[str] = mapped_column(String(32))
    requester_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    partner_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    partner_day: Mapped[dt.date | None] = mapped_column(Date)
    # pending → accepted | declined | expired
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[dt.datetime]
    decided_at: Mapped[dt.datetime | None]


# --- roster ------------------------------------------------------------------------------


async def roster(
    session: AsyncSession, school_id: int, days: Iterable[dt.date]
) -> list[RosterEntry]:
    wanted = sorted(set(days))
    if not wanted:
        return []
    rows = await session.scalars(
        select(RosterEntry)
        .where(RosterEntry.school_id == school_id, RosterEntry.day.in_(wanted))
        .order_by(RosterEntry.day, RosterEntry.post, RosterEntry.id)
    )
    return list(rows.all())


async def holders(session: AsyncSession, school_id: int, day: dt.date, post: str) -> list[Person]:
    return list((await session.scalars(_HOLDERS, _on_duty(school_id, day, post))).all())


async def reachable_holders(
    session: AsyncSession, school_id: int, day: dt.date, post: str
) -> list[tuple[int, str | None, int]]:
    """(person id, language, private chat) of the post's holders the bot can reach in
    private, in the roster's order, each person once: who an escalation goes to, in one
    statement of plain rows (every incident alert asks)."""
    connection = await session.connection()
    rows = (await connection.execute(_REACHABLE_HOLDERS, _on_duty(school_id, day, post))).all()
    return list(
        {person_id: (person_id, language, chat) for person_id, language, chat in rows}.values()
    )


def _on_duty(school_id: int, day: dt.date, post: str) -> dict[str, object]:
    """The parameters of ``_ON_DUTY``."""
    return {"w_school": school_id, "w_day": day, "w_post": post}


# Built once: every incident alert and escalation asks, and building it cost more than
# running it (bench.ingest).
_ON_DUTY = (
    RosterEntry.school_id == bindparam("w_school"),
    RosterEntry.day == bindparam("w_day"),
    RosterEntry.post == bindparam("w_post"),
)
_HOLDERS = (
    select(Person)
    .join(RosterEntry, RosterEntry.person_id == Person.id)
    .where(*_ON_DUTY)
    .order_by(RosterEntry.id)
)
_REACHABLE_HOLDERS = (
    select(Person.id, Person.language, Chat.tg_chat_id)
    .join(RosterEntry, RosterEntry.person_id == Person.id)
    .join(Chat, (Chat.person_id == Person.id) & (Chat.kind == "private"))
    .where(*_ON_DUTY, Chat.unreachable.is_(False))
    .order_by(RosterEntry.id)
)


async def posts_of(
    session: AsyncSession, school_id: int, person_id: int, day: dt.date
) -> list[str]:
    rows = await session.scalars(
        select(RosterEntry.post).where(
            RosterEntry.school_id == school_id,
            RosterEntry.person_id == person_id,
            RosterEntry.day == day,
        )
    )
    return list(rows.all())


def add_entries(
    session: AsyncSession,
    school_id: int,
    entries: Iterable[tuple[dt.date, str, int]],
    source: str,
    created_by: int | None,
    now: dt.datetime,
) -> None:
    for day, post, person_id in entries:
        session.add(
            RosterEntry(
                school_id=school_id,
                day=day,
                post=post,
                person_id=person_id,
                source=source,
                created_by=created_by,
                created_at=now,
            )
        )


async def clear_days(session: AsyncSession, school_id: int, days: Iterable[dt.date]) -> int:
    result = await session.execute(
        delete(RosterEntry).where(
            RosterEntry.school_id == school_id, RosterEntry.day.in_(sorted(set(days)))
        )
    )
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


async def clear_post(session: AsyncSession, school_id: int, day: dt.date, post: str) -> int:
    result = await session.execute(
        delete(RosterEntry).where(
            RosterEntry.school_id == school_id, RosterEntry.day == day, RosterEntry.post == post
        )
    )
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


async def entry(
    session: AsyncSession, school_id: int, day: dt.date, post: str, person_id: int
) -> RosterEntry | None:
    return await session.scalar(
        select(RosterEntry).where(
            RosterEntry.school_id == school_id,
            RosterEntry.day == day,
            RosterEntry.post == post,
            RosterEntry.person_id == person_id,
        )
    )


# --- handovers ---------------------------------------------------------------------------


async def handover_by_key(session: AsyncSession, school_id: int, key: str) -> Handover | None:
    return await session.scalar(
        select(Handover).where(Handover.school_id == school_id, Handover.key == key)
    )


async def handover_for_update(
    session: AsyncSession, school_id: int, handover_id: int
) -> Handover | None:
    """The row locked for this transaction (PostgreSQL), so two quick presses never lose a
    tick; SQLite's single writer does the same."""
    return await session.scalar(
        select(Handover)
        .where(Handover.school_id == school_id, Handover.id == handover_id)
        .with_for_update()
    )


async def handovers_awaiting_handover(
    session: AsyncSession, school_id: int, ended_before: dt.datetime
) -> list[Handover]:
    rows = await session.scalars(
        select(Handover)
        .where(
            Handover.school_id == school_id,
            Handover.status == "pending",
            Handover.handover_alerted_at.is_(None),
            Handover.ends_at <= ended_before,
        )
        .order_by(Handover.ends_at, Handover.id)
    )
    return list(rows.all())


async def handovers_awaiting_confirmation(
    session: AsyncSession, school_id: int, submitted_before: dt.datetime
) -> list[Handover]:
    rows = await session.scalars(
        select(Handover)
        .where(
            Handover.school_id == school_id,
            Handover.status == "submitted",
            Handover.incoming_id.is_not(None),
            Handover.confirm_alerted_at.is_(None),
            Handover.submitted_at <= submitted_before,
        )
        .order_by(Handover.submitted_at, Handover.id)
    )
    return list(rows.all())


async def recent_handovers(session: AsyncSession, school_id: int, limit: int) -> list[Handover]:
    rows = await session.scalars(
        select(Handover)
        .where(Handover.school_id == school_id)
        .order_by(Handover.ends_at.desc(), Handover.id.desc())
        .limit(limit)
    )
    return list(rows.all())


async def handover_photos(session: AsyncSession, handover: Handover) -> list[Submission]:
    if handover.task_id is None:
        return []
    rows = await session.scalars(
        select(Submission)
        .where(Submission.task_id == handover.task_id, Submission.kind == "photo")
        .order_by(Submission.id)
    )
    return list(rows.all())


# --- swaps -------------------------------------------------------------------------------


async def pending_swap(
    session: AsyncSession, school_id: int, requester_id: int, day: dt.date, post: str
) -> Swap | None:
    return await session.scalar(
        select(Swap).where(
            Swap.school_id == school_id,
            Swap.requester_id == requester_id,
            Swap.day == day,
            Swap.post == post,
            Swap.status == "pending",
        )
    )


# --- people ------------------------------------------------------------------------------


async def staff_named(
    session: AsyncSession, school_id: int, name: str, *, parents: bool = False
) -> list[Person]:
    """People of the school with this display name who may be on duty (anyone who is not
    only a parent; with ``parents``, parents too: a post open to volunteers), compared
    without case."""
    query = _staff_query(school_id, parents)
    rows = await session.scalars(
        query.where(func.lower(Person.display_name) == name.strip().lower())
    )
    return list(rows.all())


async def duty_staff(session: AsyncSession, school_id: int) -> list[Person]:
    return list((await session.scalars(_staff_query(school_id))).all())


def _staff_query(school_id: int, parents: bool = False) -> Select[Person]:
    has_role = exists().where(Role.person_id == Person.id)
    if not parents:  # a named volunteer (not in the bot) stands only where parents may
        has_role = has_role.where(Role.role.not_in(("parent", "volunteer")))
    return (
        select(Person)
        .where(Person.school_id == school_id, has_role)
        .order_by(Person.display_name, Person.id)
    )
