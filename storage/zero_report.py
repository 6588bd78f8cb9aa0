"""Incidents reported with the daily report (有情况): the table and its queries.

An incident is written step by step while its reporter answers the bot's questions, so it
starts as a ``draft`` row: every step is saved at once, a restart loses nothing, and photos
of an album arriving at the same moment are separate attachment rows instead of a race on
one list. Its photos are attachments of one submission (kind ``incident``), so the record
book finds them the way it finds every other photo.

Status: draft → open → handled; a draft can also end ``cancelled``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Date, ForeignKey, Index, String, Text, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.media import StoredFile
from storage.models import Attachment, Base, Person, Submission, Unit
from storage.submissions import attachment

SEVERITIES = ("general", "serious", "urgent")  # 一般 / 较重 / 紧急
REPORTED = ("open", "handled")
MAX_TEXT = 1000
MAX_PLACE = 100
MAX_NOTE = 500


class Incident(Base):
    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_school_day", "school_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    reported_by: Mapped[int] = mapped_column(ForeignKey("person.id"))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    text: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(MAX_PLACE), default="")
    severity: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[dt.datetime]
    reported_at: Mapped[dt.datetime | None]
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    handled_at: Mapped[dt.datetime | None]
    handled_note: Mapped[str] = mapped_column(String(MAX_NOTE), default="")


async def create_draft(
    session: AsyncSession,
    school_id: int,
    unit_id: int,
    task_id: int | None,
    day: dt.date,
    person_id: int,
    now: dt.datetime,
    tg_chat_id: int | None = None,
) -> Incident:
    submission = Submission(
        school_id=school_id,
        task_id=task_id,
        person_id=person_id,
        kind="incident",
        text="",
        data={},
        tg_chat_id=tg_chat_id,
        created_at=now,
        attachments=[],
    )
    session.add(submission)
    await session.flush()
    incident = Incident(
        school_id=school_id,
        unit_id=unit_id,
        task_id=task_id,
        submission_id=submission.id,
        day=day,
        reported_by=person_id,
        status="draft",
        text="",
        place="",
        severity="",
        created_at=now,
        handled_note="",
    )
    session.add(incident)
    await session.flush()
    submission.data = {"incident_id": incident.id}
    return incident


async def get(session: AsyncSession, school_id: int, incident_id: int) -> Incident | None:
    incident = await session.get(Incident, incident_id)
    return incident if incident is not None and incident.school_id == school_id else None


async def add_photo(
    session: AsyncSession,
    incident: Incident,
    stored: StoredFile,
    file_id: str,
    unique_id: str,
    mime: str,
    now: dt.datetime,
) -> Attachment:
    row = attachment((stored, file_id, unique_id, mime), now)
    row.submission_id = incident.submission_id
    session.add(row)
    await session.flush()
    return row


async def photos(session: AsyncSession, incident: Incident) -> list[Attachment]:
    rows = await session.scalars(
        select(Attachment)
        .where(Attachment.submission_id == incident.submission_id)
        .order_by(Attachment.id)
    )
    return list(rows.all())


async def photo_counts(session: AsyncSession, incidents: Sequence[Incident]) -> dict[int, int]:
    """incident id → number of photos, in one query."""
    by_submission = {i.submission_id: i.id for i in incidents}
    if not by_submission:
        return {}
    rows = await session.execute(
        select(Attachment.submission_id, func.count(Attachment.id))
        .where(Attachment.submission_id.in_(list(by_submission)))
        .group_by(Attachment.submission_id)
    )
    counts = {by_submission[submission_id]: count for submission_id, count in rows.all()}
    return {i.id: counts.get(i.id, 0) for i in incidents}


async def submission_of(session: AsyncSession, incident: Incident) -> Submission | None:
    return await session.get(Submission, incident.submission_id)


async def reported_on(
    session: AsyncSession, school_id: int, day: dt.date
) -> list[tuple[Incident, Unit, Person]]:
    """The day's reported incidents (drafts and cancelled ones left out), oldest first."""
    rows = await session.execute(
        select(Incident, Unit, Person)
        .join(Unit, Unit.id == Incident.unit_id)
        .join(Person, Person.id == Incident.reported_by)
        .where(
            Incident.school_id == school_id,
            Incident.day == day,
            Incident.status.in_(REPORTED),
        )
        .order_by(Incident.id)
    )
    return [(incident, unit, person) for incident, unit, person in rows.all()]


async def open_drafts_of(session: AsyncSession, school_id: int, person_id: int) -> list[Incident]:
    rows = await session.scalars(
        select(Incident).where(
            Incident.school_id == school_id,
            Incident.reported_by == person_id,
            Incident.status == "draft",
        )
    )
    return list(rows.all())


async def count_by_status(session: AsyncSession, school_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(Incident.status, func.count(Incident.id))
        .where(Incident.school_id == school_id)
        .group_by(Incident.status)
    )
    return {status: int(count) for status, count in rows.all()}
