"""Hazards (隐患) and their history: the tables and their queries.

A hazard is written step by step while its finder answers the bot's questions, so it starts
as a ``draft`` row (every answer saved at once: a restart loses nothing). Its photos are
attachments of submissions of kind ``hazard`` (the "before" photos of the raise, one
submission per fix for the "after" photos), so the record book finds them like every other
photo. Nothing is deleted: every step is a ``hazard_event`` row, and the hazard row holds the
current state.

Status: draft → reported → assigned (waiting for the principal's list) → open (the owner's)
→ fixed → verified → closed; a rejected fix goes back to open, a reopened hazard to
reported. A draft can end ``cancelled``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Attachment, Base, Submission
from storage.submissions import ReceivedFile, attachment

MAX_WHAT = 1000
MAX_PLACE = 100
MAX_NOTE = 500
# Not closed: what /hazards lists and the tick chases.
OPEN = ("reported", "assigned", "open", "fixed", "verified")


class Hazard(Base):
    __tablename__ = "hazard"
    __table_args__ = (Index("ix_hazard_school_status", "school_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    what: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(MAX_PLACE), default="")
    category: Mapped[str] = mapped_column(String(24), default="")
    severity: Mapped[str] = mapped_column(String(16), default="")
    item: Mapped[str] = mapped_column(String(60), default="")  # an inspection's item
    raised_by: Mapped[int] = mapped_column(ForeignKey("person.id"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"))  # "before" photos
    created_at: Mapped[dt.datetime]
    raised_at: Mapped[dt.datetime | None]
    measure: Mapped[str] = mapped_column(Text, default="")  # 临时管控措施
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    assigned_at: Mapped[dt.datetime | None]
    listed_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))  # 责任清单 signed
    listed_at: Mapped[dt.datetime | None]
    fix_submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))
    fix_note: Mapped[str] = mapped_column(Text, default="")
    fixed_at: Mapped[dt.datetime | None]
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    verified_at: Mapped[dt.datetime | None]
    signed_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    signed_at: Mapped[dt.datetime | None]
    # Every assignment, rejection and reopening starts a new round: buttons carry it, so a
    # button of an earlier round is stale, and the tick reminds and escalates once a round.
    round: Mapped[int] = mapped_column(Integer, default=0)
    reminded_round: Mapped[int] = mapped_column(Integer, default=0)
    escalated_round: Mapped[int] = mapped_column(Integer, default=0)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)


class HazardEvent(Base):
    """One step of a hazard's life: raised, measure, assigned, listed, reminded, escalated,
    fixed, rejected, verified, signed, reopened."""

    __tablename__ = "hazard_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazard.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    at: Mapped[dt.datetime]
    note: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))


async def create_draft(
    session: AsyncSession,
    school_id: int,
    person_id: int,
    now: dt.datetime,
    *,
    item: str = "",
    category: str = "",
    place: str = "",
    tg_chat_id: int | None = None,
) -> Hazard:
    """A new draft and its (still empty) submission of "before" photos."""
    submission = await new_photo_submission(session, school_id, person_id, "before", now)
    submission.tg_chat_id = tg_chat_id
    hazard = Hazard(
        school_id=school_id,
        raised_by=person_id,
        submission_id=submission.id,
        created_at=now,
        item=item,
        category=category,
        place=place,
    )
    session.add(hazard)
    await session.flush()
    submission.data = {"hazard_id": hazard.id, "stage": "before"}
    return hazard


async def new_photo_submission(
    session: AsyncSession, school_id: int, person_id: int, stage: str, now: dt.datetime
) -> Submission:
    submission = Submission(
        school_id=school_id,
        person_id=person_id,
        kind="hazard",
        data={"stage": stage},
        created_at=now,
        attachments=[],
    )
    session.add(submission)
    await session.flush()
    return submission


async def cancel_drafts_of(session: AsyncSession, school_id: int, person_id: int) -> None:
    """One conversation at a time: a new /hazard cancels the person's unfinished drafts."""
    await session.execute(
        update(Hazard)
        .where(
            Hazard.school_id == school_id,
            Hazard.raised_by == person_id,
            Hazard.status == "draft",
        )
        .values(status="cancelled")
    )


async def own_draft(
    session: AsyncSession, school_id: int, hazard_id: int, person_id: int
) -> Hazard | None:
    return await session.scalar(
        select(Hazard).where(
            Hazard.id == hazard_id,
            Hazard.school_id == school_id,
            Hazard.raised_by == person_id,
            Hazard.status == "draft",
        )
    )


async def get(
    session: AsyncSession, school_id: int, hazard_id: int, *, for_update: bool = False
) -> Hazard | None:
    """A hazard that is not a draft (nor a cancelled one); ``for_update`` locks the row on
    PostgreSQL, so two presses at once cannot both move it."""
    query = select(Hazard).where(
        Hazard.id == hazard_id,
        Hazard.school_id == school_id,
        Hazard.status.not_in(("draft", "cancelled")),
    )
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


def add_photo(
    session: AsyncSession, submission_id: int, received: ReceivedFile, now: dt.datetime
) -> None:
    row = attachment(received, now)
    row.submission_id = submission_id
    session.add(row)


async def copy_photos(session: AsyncSession, from_submission: int, to_submission: int) -> int:
    """A patrol's or an incident's photos become a hazard's "before" photos too (the same
    files: rows point at them, nothing is copied on disk)."""
    found = await photos_of(session, from_submission)
    for a in found:
        session.add(
            Attachment(
                submission_id=to_submission,
                tg_file_id=a.tg_file_id,
                tg_file_unique_id=a.tg_file_unique_id,
                sha256=a.sha256,
                size=a.size,
                mime=a.mime,
                path=a.path,
                created_at=a.created_at,
            )
        )
    return len(found)


async def photos_of(session: AsyncSession, submission_id: int | None) -> list[Attachment]:
    if submission_id is None:
        return []
    rows = await session.scalars(
        select(Attachment).where(Attachment.submission_id == submission_id).order_by(Attachment.id)
    )
    return list(rows.all())


async def photo_count(session: AsyncSession, submission_id: int | None) -> int:
    return len(await photos_of(session, submission_id))


def add_event(
    session: AsyncSession,
    hazard: Hazard,
    kind: str,
    person_id: int | None,
    now: dt.datetime,
    *,
    note: str = "",
    deadline: dt.date | None = None,
    submission_id: int | None = None,
) -> HazardEvent:
    event = HazardEvent(
        hazard_id=hazard.id,
        kind=kind,
        person_id=person_id,
        at=now,
        note=note,
        deadline=deadline,
        submission_id=submission_id,
    )
    session.add(event)
    return event


async def events_of(session: AsyncSession, hazard_id: int) -> list[HazardEvent]:
    rows = await session.scalars(
        select(HazardEvent)
        .where(HazardEvent.hazard_id == hazard_id)
        .order_by(HazardEvent.at, HazardEvent.id)
    )
    return list(rows.all())


async def open_hazards(session: AsyncSession, school_id: int) -> Sequence[Hazard]:
    rows = await session.scalars(
        select(Hazard)
        .where(Hazard.school_id == school_id, Hazard.status.in_(OPEN))
        .order_by(Hazard.id)
    )
    return rows.all()


async def in_period(
    session: AsyncSession, school_id: int, start: dt.datetime, end: dt.datetime
) -> Sequence[Hazard]:
    """Hazards raised before ``end`` and not closed before ``start``: the register's rows."""
    rows = await session.scalars(
        select(Hazard)
        .where(
            Hazard.school_id == school_id,
            Hazard.status.not_in(("draft", "cancelled")),
            Hazard.raised_at < end,
        )
        .order_by(Hazard.id)
    )
    return [h for h in rows.all() if h.status != "closed" or (h.signed_at or end) >= start]
