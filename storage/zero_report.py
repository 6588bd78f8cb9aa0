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
from typing import Any, NamedTuple

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

from bot.core.text import clean_text
from storage.models import Attachment, Base, Person, Submission, Unit
from storage.submissions import ReceivedFile

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
) -> int:
    """A new draft and its (still empty) submission; returns the draft's id."""
    connection = await session.connection()
    submission_id = (
        await connection.execute(
            _NEW_SUBMISSION,
            {
                "v_school": school_id,
                "v_task": task_id,
                "v_person": person_id,
                "v_chat": tg_chat_id,
                "v_created_at": now,
            },
        )
    ).scalar_one()
    incident_id = (
        await connection.execute(
            _NEW_DRAFT,
            {
                "v_school": school_id,
                "v_unit": unit_id,
                "v_task": task_id,
                "v_submission": submission_id,
                "v_day": day,
                "v_person": person_id,
                "v_created_at": now,
            },
        )
    ).scalar_one()
    await connection.execute(
        _LINK_SUBMISSION, {"w_submission": submission_id, "v_data": {"incident_id": incident_id}}
    )
    return int(incident_id)


async def cancel_drafts_of(session: AsyncSession, school_id: int, person_id: int) -> None:
    """One conversation at a time: a new 有情况 cancels the person's unfinished drafts."""
    connection = await session.connection()
    await connection.execute(_CANCEL_DRAFTS, {"w_school": school_id, "w_person": person_id})


_NEW_SUBMISSION = (
    insert(Submission)
    .values(
        school_id=bindparam("v_school"),
        task_id=bindparam("v_task"),
        person_id=bindparam("v_person"),
        kind="incident",
        text="",
        data={},
        tg_chat_id=bindparam("v_chat"),
        created_at=bindparam("v_created_at"),
    )
    .returning(Submission.id)
)
_NEW_DRAFT = (
    insert(Incident)
    .values(
        school_id=bindparam("v_school"),
        unit_id=bindparam("v_unit"),
        task_id=bindparam("v_task"),
        submission_id=bindparam("v_submission"),
        day=bindparam("v_day"),
        reported_by=bindparam("v_person"),
        status="draft",
        text="",
        place="",
        severity="",
        created_at=bindparam("v_created_at"),
        handled_note="",
    )
    .returning(Incident.id)
)
_LINK_SUBMISSION = (
    update(Submission)
    .where(Submission.id == bindparam("w_submission"))
    .values(data=bindparam("v_data"))
)
_CANCEL_DRAFTS = (
    update(Incident)
    .where(
        Incident.school_id == bindparam("w_school"),
        Incident.reported_by == bindparam("w_person"),
        Incident.status == "draft",
    )
    .values(status="cancelled")
)


async def get(session: AsyncSession, school_id: int, incident_id: int) -> Incident | None:
    incident = await session.get(Incident, incident_id)
    return incident if incident is not None and incident.school_id == school_id else None


# The person's own draft (a submitted or cancelled one is not), as bound parameters: the hot
# statements below are built once, since building one cost as much as running it.
_OWN_DRAFT = (
    Incident.id == bindparam("w_incident"),
    Incident.school_id == bindparam("w_school"),
    Incident.reported_by == bindparam("w_person"),
    Incident.status == "draft",
)
DRAFT_WITH_UNIT = select(Incident, Unit).join(Unit, Unit.id == Incident.unit_id).where(*_OWN_DRAFT)
_UPDATES: dict[frozenset[str], Any] = {}
_DESCRIBE = (
    update(Submission)
    .where(Submission.id == bindparam("w_submission"))
    .values(text=bindparam("v_text"), data=bindparam("v_data"))
)
# A photo goes in only while its draft is the person's own: one statement, not a lookup and
# an insert (an album's photos arrive one after another, each in its own transaction).
_PHOTO_FIELDS = ("tg_file_id", "tg_file_unique_id", "sha256", "size", "mime", "path", "created_at")
_ADD_DRAFT_PHOTO = insert(Attachment).from_select(
    ["submission_id", *_PHOTO_FIELDS],
    select(
        Incident.submission_id,
        *(bindparam(f"v_{f}", type_=Attachment.__table__.c[f].type) for f in _PHOTO_FIELDS),
    ).where(*_OWN_DRAFT),
)


class DraftSummary(NamedTuple):
    text: str
    place: str
    severity: str
    unit_name: str
    photo_count: int


_SUMMARY = (
    select(
        Incident.text,
        Incident.place,
        Incident.severity,
        Unit.name,
        select(func.count(Attachment.id))
        .where(Attachment.submission_id == Incident.submission_id)
        .scalar_subquery(),
    )
    .join(Unit, Unit.id == Incident.unit_id)
    .where(*_OWN_DRAFT)
)


async def draft_summary(
    session: AsyncSession, school_id: int, incident_id: int, person_id: int
) -> DraftSummary | None:
    """The person's own draft as its summary shows it, in one query."""
    connection = await session.connection()
    row = (await connection.execute(_SUMMARY, own_draft(school_id, incident_id, person_id))).first()
    return None if row is None else DraftSummary(*row)


def own_draft(school_id: int, incident_id: int, person_id: int) -> dict[str, int]:
    """The parameters of ``DRAFT_WITH_UNIT`` (and of the statements below)."""
    return {"w_incident": incident_id, "w_school": school_id, "w_person": person_id}


async def update_draft(
    session: AsyncSession, school_id: int, incident_id: int, person_id: int, **values: str
) -> bool:
    """One UPDATE of the person's own draft; False when there is none."""
    names = frozenset(values)
    if names not in _UPDATES:
        _UPDATES[names] = (
            update(Incident)
            .where(*_OWN_DRAFT)
            .values({name: bindparam(f"v_{name}") for name in names})
        )
    connection = await session.connection()
    result = await connection.execute(
        _UPDATES[names],
        own_draft(school_id, incident_id, person_id)
        | {f"v_{name}": clean_text(value) for name, value in values.items()},
    )
    return bool(result.rowcount)


async def add_draft_photo(
    session: AsyncSession,
    school_id: int,
    incident_id: int,
    person_id: int,
    received: ReceivedFile,
    now: dt.datetime,
) -> bool:
    """One photo of the person's own draft; False when there is no such draft."""
    stored, file_id, unique_id, mime = received
    connection = await session.connection()
    result = await connection.execute(
        _ADD_DRAFT_PHOTO,
        own_draft(school_id, incident_id, person_id)
        | {
            "v_tg_file_id": file_id,
            "v_tg_file_unique_id": unique_id,
            "v_sha256": stored.sha256,
            "v_size": stored.size,
            "v_mime": mime,
            "v_path": str(stored.path),
            "v_created_at": now,
        },
    )
    return bool(result.rowcount)


async def open_draft(session: AsyncSession, incident: Incident, now: dt.datetime) -> bool:
    """The draft becomes an open (reported) incident; False when it is no longer a draft
    (sent twice at once). A Core UPDATE: the ORM's unit of work cost more than the rest of
    the submission."""
    connection = await session.connection()
    result = await connection.execute(_OPEN, {"w_incident": incident.id, "v_reported_at": now})
    if not result.rowcount:
        return False
    set_committed_value(incident, "status", "open")  # what the row now holds, not a change
    set_committed_value(incident, "reported_at", now)
    return True


_OPEN = (
    update(Incident)
    .where(Incident.id == bindparam("w_incident"), Incident.status == "draft")
    .values(status="open", reported_at=bindparam("v_reported_at"))
)


async def describe_submission(session: AsyncSession, incident: Incident) -> None:
    """The incident's submission says what was reported (the record book reads it)."""
    connection = await session.connection()
    await connection.execute(
        _DESCRIBE,
        {
            "w_submission": incident.submission_id,
            "v_text": incident.text,
            "v_data": {
                "incident_id": incident.id,
                "place": incident.place,
                "severity": incident.severity,
            },
        },
    )


async def photos(session: AsyncSession, incident: Incident) -> list[Attachment]:
    rows = await session.scalars(
        select(Attachment)
        .where(Attachment.submission_id == incident.submission_id)
        .order_by(Attachment.id)
    )
    return list(rows.all())


_PHOTO_PATHS = (
    select(Attachment.path)
    .where(Attachment.submission_id == bindparam("w_submission"))
    .order_by(Attachment.id)
)


async def photo_paths(session: AsyncSession, incident: Incident) -> list[str]:
    """Where the incident's photos are on disk, in the order they came."""
    connection = await session.connection()
    result = await connection.execute(_PHOTO_PATHS, {"w_submission": incident.submission_id})
    return list(result.scalars().all())


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


async def reported_on(
    session: AsyncSession, school_id: int, day: dt.date
) -> list[tuple[Incident, Unit, Person]]:
    """The day's reported incidents (drafts and cancelled ones left out), in the order they
    were sent (a draft begun first may be sent last)."""
    rows = await session.execute(
        select(Incident, Unit, Person)
        .join(Unit, Unit.id == Incident.unit_id)
        .join(Person, Person.id == Incident.reported_by)
        .where(
            Incident.school_id == school_id,
            Incident.day == day,
            Incident.status.in_(REPORTED),
        )
        .order_by(Incident.reported_at, Incident.id)
    )
    return [(incident, unit, person) for incident, unit, person in rows.all()]


async def count_by_status(session: AsyncSession, school_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(Incident.status, func.count(Incident.id))
        .where(Incident.school_id == school_id)
        .group_by(Incident.status)
    )
    return {status: int(count) for status, count in rows.all()}
