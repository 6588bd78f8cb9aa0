"""What the record book (台账) holds, read from the database into plain values.

Everything is read in one session before any file is written, so the writers (which are slow
and synchronous) can run in a thread and never touch the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import duty, substitutes, zero_report
from storage import notices as notice_store
from storage.exports.parts import Photo, utc_bounds
from storage.exports.parts import local as _local
from storage.exports.parts import photos_of as _photos
from storage.models import AuditLog, Person, School, Submission, Task, Unit

ANSWERED = ("done", "late")
BUTTON_KIND = "button"
# Every book has these routines' sheets and sections, in this order, even with no task: books
# of a district's schools are merged sheet by sheet.
BOOK_ROUTINES = ("education", "zero_report", "duty")
IN_CLAUSE_CHUNK = 500  # well under SQLite's and asyncpg's parameter limits


@dataclass(frozen=True)
class SubmissionRecord:
    person: str
    kind: str  # button | text | photo | incident …
    at: dt.datetime  # school zone
    text: str
    photos: tuple[Photo, ...]
    action: str = ""  # what a press said: zero, incident, a handover's submit or confirm


@dataclass(frozen=True)
class TaskRecord:
    id: int
    routine: str
    kind: str
    day: dt.date
    unit_slug: str
    unit_name: str
    grade: int | None
    theme: str
    minutes: int
    status: str
    due_at: dt.datetime
    deadline_at: dt.datetime
    done_at: dt.datetime | None
    done_by: str
    submissions: tuple[SubmissionRecord, ...]
    post: str = ""  # a duty task's post (a handover's outgoing post), not a unit
    to_post: str = ""

    @property
    def answered(self) -> bool:
        return self.status in ANSWERED

    @property
    def photos(self) -> list[Photo]:
        return [photo for s in self.submissions for photo in s.photos]


@dataclass(frozen=True)
class IncidentRecord:
    id: int
    day: dt.date
    unit_name: str
    reporter: str
    reported_at: dt.datetime | None
    place: str
    severity: str
    text: str
    status: str
    handled_by: str
    handled_at: dt.datetime | None
    handled_note: str
    photos: tuple[Photo, ...]


@dataclass(frozen=True)
class HandoverRecord:
    day: dt.date
    post: str
    to_post: str
    outgoing: str
    incoming: str
    ends_at: dt.datetime
    status: str
    checks: tuple[str, ...]
    note: str
    submitted_at: dt.datetime | None
    confirmed_at: dt.datetime | None


@dataclass(frozen=True)
class PatrolRecord:
    id: int
    day: dt.date  # school zone
    at: dt.datetime
    person: str
    posts: tuple[str, ...]  # the posts held when it started (slugs)
    text: str
    photos: tuple[Photo, ...]


@dataclass(frozen=True)
class RosterRecord:
    day: dt.date
    post: str  # slug
    person: str


@dataclass(frozen=True)
class NoticeRecord:
    id: int
    day: dt.date  # the day it went out (or was written), school zone
    author: str
    status: str
    text: str
    sent_at: dt.datetime | None
    deadline_at: dt.datetime | None
    recipients: int
    confirmed: int
    unreachable: int
    # Each class's receipts, per child: (class, pupils, confirmed, "留本地 12 / 出市 3", signed)
    classes: tuple[ClassReceiptRecord, ...] = ()

    @property
    def rate(self) -> float | None:
        return self.confirmed / self.recipients if self.recipients else None


@dataclass(frozen=True)
class ClassReceiptRecord:
    unit: str
    pupils: int
    confirmed: int
    choices: str  # "留本地 12 / 出市 3 / 出省 1"; "" when the notice asked for no choice
    signed: int | None  # None when the notice asked for no signature

    @property
    def rate(self) -> float | None:
        return self.confirmed / self.pupils if self.pupils else None


@dataclass(frozen=True)
class AuditRecord:
    at: dt.datetime
    person: str
    action: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class Records:
    school_name: str
    school_slug: str
    tz: ZoneInfo
    start: dt.date
    end: dt.date
    tasks: tuple[TaskRecord, ...]
    incidents: tuple[IncidentRecord, ...]
    handovers: tuple[HandoverRecord, ...]
    notices: tuple[NoticeRecord, ...]
    audit: tuple[AuditRecord, ...] = field(default=())
    patrols: tuple[PatrolRecord, ...] = field(default=())
    roster: tuple[RosterRecord, ...] = field(default=())
    hazards: tuple[Any, ...] = field(default=())  # HazardRecord (storage/exports/hazards.py)
    drills: tuple[Any, ...] = field(default=())  # DrillRecord (exports/drills_bus.py)
    bus_trips: tuple[Any, ...] = field(default=())  # BusTripRecord (exports/drills_bus.py)
    uncertain: tuple[Any, ...] = field(default=())  # UncertainRecord (exports/delivery.py)

    def within(self, start: dt.date, end: dt.date) -> Records:
        """The same records cut to a shorter range (for files split by month)."""

        def keep(day: dt.date) -> bool:
            return start <= day <= end

        def cut(rows: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(r for r in rows if keep(r.day))

        return replace(
            self,
            start=start,
            end=end,
            tasks=tuple(r for r in self.tasks if keep(r.day)),
            incidents=cut(self.incidents),
            handovers=cut(self.handovers),
            notices=cut(self.notices),
            patrols=cut(self.patrols),
            roster=cut(self.roster),
            hazards=cut(self.hazards),
            drills=cut(self.drills),
            bus_trips=cut(self.bus_trips),
            uncertain=cut(self.uncertain),
            audit=tuple(r for r in self.audit if keep(r.at.date())),
        )

    def routines(self) -> list[str]:
        """The book's routines, education first (the inspectors' first page), then any other
        routine with tasks in the range."""
        others = sorted({t.routine for t in self.tasks} - set(BOOK_ROUTINES))
        return [*BOOK_ROUTINES, *others]


async def collect(session: AsyncSession, school_id: int, start: dt.date, end: dt.date) -> Records:
    from storage.exports.delivery import uncertain_records
    from storage.exports.drills_bus import bus_records, drill_records
    from storage.exports.hazards import hazard_records

    school = await session.get(School, school_id)
    if school is None:
        raise ValueError(f"no school {school_id}")
    tz = ZoneInfo(school.timezone)
    names = await _person_names(session, school_id)
    tasks = await _tasks(session, school_id, start, end, tz, names)
    return Records(
        school_name=school.name,
        school_slug=school.slug,
        tz=tz,
        start=start,
        end=end,
        tasks=tuple(tasks),
        incidents=await _incidents(session, school_id, start, end, tz, names),
        handovers=await _handovers(session, school_id, start, end, tz, names),
        notices=await _notices(session, school_id, start, end, tz, names),
        audit=tuple(await _audit(session, school_id, start, end, tz, names)),
        patrols=await _patrols(session, school_id, start, end, tz, names),
        roster=await _roster(session, school_id, start, end, names),
        hazards=await hazard_records(session, school_id, start, end, tz, names),
        drills=await drill_records(session, school_id, start, end, tz, names),
        bus_trips=await bus_records(session, school_id, start, end, tz, names),
        uncertain=await uncertain_records(session, school_id, start, end, tz, names),
    )


async def _person_names(session: AsyncSession, school_id: int) -> dict[int, str]:
    rows = await session.execute(
        select(Person.id, Person.display_name).where(Person.school_id == school_id)
    )
    return {pid: name for pid, name in rows.all()}


async def _tasks(
    session: AsyncSession,
    school_id: int,
    start: dt.date,
    end: dt.date,
    tz: ZoneInfo,
    names: dict[int, str],
) -> list[TaskRecord]:
    rows = (
        await session.execute(
            select(Task, Unit)
            .outerjoin(Unit, Unit.id == Task.unit_id)
            .where(Task.school_id == school_id, Task.day >= start, Task.day <= end)
            .order_by(Task.day, Task.routine, Unit.grade, Unit.slug, Task.kind, Task.id)
        )
    ).all()
    by_task = await _submissions_by_task(session, [task.id for task, _ in rows], tz, names)
    acting = await _acting(session, school_id, start, end, names)
    found = [
        TaskRecord(
            id=task.id,
            routine=task.routine,
            kind=task.kind,
            day=task.day,
            unit_slug=unit.slug if unit else "",
            unit_name=unit.name if unit else str(task.payload.get("target", "")),
            grade=unit.grade if unit else None,
            theme=task.theme,
            minutes=int(task.payload.get("minutes") or 0),
            status=task.status,
            due_at=task.due_at.astimezone(tz),
            deadline_at=task.deadline_at.astimezone(tz),
            done_at=task.done_at.astimezone(tz) if task.done_at else None,
            done_by=names.get(task.done_by, "") if task.done_by else "",
            submissions=tuple(by_task.get(task.id, ())),
            post=str(task.payload.get("post", "")),
            to_post=str(task.payload.get("to_post", "")),
        )
        for task, unit in rows
    ]
    return [
        _acted_for(record, acting.get((task.unit_id, task.day), {}))
        for record, (task, _) in zip(found, rows, strict=True)
    ]


async def _acting(
    session: AsyncSession, school_id: int, start: dt.date, end: dt.date, names: dict[int, str]
) -> dict[tuple[int | None, dt.date], dict[str, str]]:
    """(class, day) → {a substitute's name: "李老师（代 张老师）"} for each day of a leave (代班)
    in [start, end]: the record says who acted for whom."""
    found: dict[tuple[int | None, dt.date], dict[str, str]] = {}
    for leave, unit_ids in await substitutes.acting_between(session, school_id, start, end):
        substitute = names.get(leave.substitute_id, "")
        label = f"{substitute}（代 {names.get(leave.person_id, '')}）"
        day = max(start, leave.first_day)
        while day <= min(end, leave.last_day):
            for unit_id in unit_ids:
                found.setdefault((unit_id, day), {})[substitute] = label
            day += dt.timedelta(days=1)
    return found


def _acted_for(record: TaskRecord, labels: dict[str, str]) -> TaskRecord:
    if not labels:
        return record
    submissions = tuple(
        replace(
            s,
            person=labels.get(s.person, s.person),
            photos=tuple(replace(p, person=labels.get(p.person, p.person)) for p in s.photos),
        )
        for s in record.submissions
    )
    return replace(
        record, done_by=labels.get(record.done_by, record.done_by), submissions=submissions
    )


async def _submissions_by_task(
    session: AsyncSession, task_ids: Sequence[int], tz: ZoneInfo, names: dict[int, str]
) -> dict[int, list[SubmissionRecord]]:
    found: dict[int, list[SubmissionRecord]] = {}
    for chunk in _chunks(task_ids):
        rows = await session.scalars(
            select(Submission)
            .where(Submission.task_id.in_(chunk))
            .order_by(Submission.created_at, Submission.id)
        )
        for submission in rows.all():
            assert submission.task_id is not None
            found.setdefault(submission.task_id, []).append(
                _submission_record(submission, tz, names)
            )
    return found


def _submission_record(
    submission: Submission, tz: ZoneInfo, names: dict[int, str]
) -> SubmissionRecord:
    person = names.get(submission.person_id, "") if submission.person_id else ""
    # A press's text is the answer's code (zero, incident), not words anyone typed; a
    # handover's presses say what they did in their data.
    pressed = submission.kind == BUTTON_KIND
    action = (submission.data or {}).get("action") or (submission.text if pressed else "")
    return SubmissionRecord(
        person=person,
        kind=submission.kind,
        at=submission.created_at.astimezone(tz),
        text="" if pressed else submission.text,
        photos=_photos(submission.attachments, tz, person),
        action=str(action),
    )


async def _incidents(
    session: AsyncSession,
    school_id: int,
    start: dt.date,
    end: dt.date,
    tz: ZoneInfo,
    names: dict[int, str],
) -> tuple[IncidentRecord, ...]:
    incident_cls = zero_report.Incident
    rows = (
        await session.execute(
            select(incident_cls, Unit, Submission)
            .join(Unit, Unit.id == incident_cls.unit_id)
            .join(Submission, Submission.id == incident_cls.submission_id)
            .where(
                incident_cls.school_id == school_id,
                incident_cls.day >= start,
                incident_cls.day <= end,
                incident_cls.status.in_(zero_report.REPORTED),
            )
            .order_by(incident_cls.day, incident_cls.id)
        )
    ).all()
    return tuple(
        IncidentRecord(
            id=incident.id,
            day=incident.day,
            unit_name=unit.name,
            reporter=names.get(incident.reported_by, ""),
            reported_at=_local(incident.reported_at, tz),
            place=incident.place,
            severity=incident.severity,
            text=incident.text,
            status=incident.status,
            handled_by=names.get(incident.handled_by, "") if incident.handled_by else "",
            handled_at=_local(incident.handled_at, tz),
            handled_note=incident.handled_note,
            photos=_photos(submission.attachments, tz, names.get(incident.reported_by, "")),
        )
        for incident, unit, submission in rows
    )


async def _handovers(
    session: AsyncSession,
    school_id: int,
    start: dt.date,
    end: dt.date,
    tz: ZoneInfo,
    names: dict[int, str],
) -> tuple[HandoverRecord, ...]:
    handover_cls = duty.Handover
    rows = await session.scalars(
        select(handover_cls)
        .where(
            handover_cls.school_id == school_id,
            handover_cls.day >= start,
            handover_cls.day <= end,
        )
        .order_by(handover_cls.ends_at, handover_cls.post, handover_cls.id)
    )
    return tuple(
        HandoverRecord(
            day=h.day,
            post=h.post,
            to_post=h.to_post,
            outgoing=names.get(h.outgoing_id, ""),
            incoming=names.get(h.incoming_id, "") if h.incoming_id else "",
            ends_at=h.ends_at.astimezone(tz),
            status=h.status,
            checks=tuple(h.checks or ()),
            note=h.note,
            submitted_at=_local(h.submitted_at, tz),
            confirmed_at=_local(h.confirmed_at, tz),
        )
        for h in rows.all()
    )


async def _patrols(
    session: AsyncSession,
    school_id: int,
    start: dt.date,
    end: dt.date,
    tz: ZoneInfo,
    names: dict[int, str],
) -> tuple[PatrolRecord, ...]:
    first, after = utc_bounds(start, end, tz)
    rows = await session.scalars(
        select(Submission)
        .where(
            Submission.school_id == school_id,
            Submission.kind == duty.PATROL_KIND,
            Submission.created_at >= first,
            Submission.created_at < after,
        )
        .order_by(Submission.created_at, Submission.id)
    )
    records = []
    for patrol in rows.all():
        at = patrol.created_at.astimezone(tz)
        person = names.get(patrol.person_id, "") if patrol.person_id else ""
        records.append(
            PatrolRecord(
                id=patrol.id,
                day=at.date(),
                at=at,
                person=person,
                posts=tuple((patrol.data or {}).get("posts", ())),
                text=patrol.text,
                photos=_photos(patrol.attachments, tz, person),
            )
        )
    return tuple(records)


async def _roster(
    session: AsyncSession,
    school_id: int,
    start: dt.date,
    end: dt.date,
    names: dict[int, str],
) -> tuple[RosterRecord, ...]:
    entry = duty.RosterEntry
    rows = await session.scalars(
        select(entry)
        .where(entry.school_id == school_id, entry.day >= start, entry.day <= end)
        .order_by(entry.day, entry.id)
    )
    return tuple(RosterRecord(e.day, e.post, names.get(e.person_id, "")) for e in rows.all())


async def _notices(
    session: AsyncSession,
    school_id: int,
    start: dt.date,
    end: dt.date,
    tz: ZoneInfo,
    names: dict[int, str],
) -> tuple[NoticeRecord, ...]:
    notice_cls, recipient_cls = notice_store.Notice, notice_store.NoticeRecipient
    first, after = utc_bounds(start, end, tz)
    went_out = func.coalesce(notice_cls.confirmed_at, notice_cls.created_at)
    notices = (
        await session.scalars(
            select(notice_cls)
            .where(
                notice_cls.school_id == school_id,
                notice_cls.status.not_in((notice_store.DRAFT, notice_store.CANCELLED)),
                went_out >= first,
                went_out < after,
            )
            .order_by(notice_cls.id)
        )
    ).all()
    counts = await _notice_counts(session, recipient_cls, [n.id for n in notices])
    records = []
    for notice in notices:
        total, confirmed, unreachable = counts.get(notice.id, (0, 0, 0))
        out = (notice.confirmed_at or notice.created_at).astimezone(tz)
        records.append(
            NoticeRecord(
                id=notice.id,
                day=out.date(),
                author=names.get(notice.author_id, ""),
                status=notice.status,
                text=notice.text,
                sent_at=_local(notice.sent_at or notice.confirmed_at, tz),
                deadline_at=_local(notice.deadline_at, tz),
                recipients=total,
                confirmed=confirmed,
                unreachable=unreachable,
                classes=await _class_receipts(session, school_id, notice),
            )
        )
    return tuple(records)


async def _class_receipts(
    session: AsyncSession, school_id: int, notice: Any
) -> tuple[ClassReceiptRecord, ...]:
    """Each class's receipts of a notice to parents (none for staff notices)."""
    if (notice.audience or {}).get("kind") == "staff":
        return ()
    rows = await notice_store.class_receipts(session, school_id, notice)
    ids = [r.unit_id for r in rows if r.unit_id is not None]
    units = (
        {u.id: u for u in await session.scalars(select(Unit).where(Unit.id.in_(ids)))}
        if ids
        else {}
    )
    options = list((notice.receipt or {}).get("options", ()))
    signature = bool((notice.receipt or {}).get("signature"))
    ordered = sorted(
        rows,
        key=lambda r: (
            r.unit_id not in units,
            units[r.unit_id].grade or 0 if r.unit_id in units else 0,
            units[r.unit_id].slug if r.unit_id in units else "",
        ),
    )
    return tuple(
        ClassReceiptRecord(
            units[r.unit_id].name if r.unit_id in units else "—",
            r.pupils,
            r.confirmed,
            " / ".join(f"{o} {n}" for o, n in zip(options, r.chose, strict=True)),
            r.signed if signature else None,
        )
        for r in ordered
    )


async def _notice_counts(
    session: AsyncSession, recipient_cls: Any, notice_ids: Sequence[int]
) -> dict[int, tuple[int, int, int]]:
    """notice id → (recipients, confirmed, unreachable), one query per chunk of notices."""
    counts: dict[int, tuple[int, int, int]] = {}
    for chunk in _chunks(notice_ids):
        rows = await session.execute(
            select(
                recipient_cls.notice_id,
                func.count(recipient_cls.id),
                func.count(recipient_cls.confirmed_at),
                func.sum(case((recipient_cls.reachable.is_(False), 1), else_=0)),
            )
            .where(recipient_cls.notice_id.in_(chunk))
            .group_by(recipient_cls.notice_id)
        )
        for notice_id, total, confirmed, unreachable in rows.all():
            counts[notice_id] = (int(total), int(confirmed), int(unreachable or 0))
    return counts


async def _audit(
    session: AsyncSession,
    school_id: int,
    start: dt.date,
    end: dt.date,
    tz: ZoneInfo,
    names: dict[int, str],
) -> list[AuditRecord]:
    first, after = utc_bounds(start, end, tz)
    rows = await session.scalars(
        select(AuditLog)
        .where(
            AuditLog.school_id == school_id,
            AuditLog.created_at >= first,
            AuditLog.created_at < after,
        )
        .order_by(AuditLog.created_at, AuditLog.id)
    )
    units = (
        await session.execute(
            select(Unit.id, Unit.slug, Unit.name).where(Unit.school_id == school_id)
        )
    ).all()
    # A substitute's actions on the days of a leave read 李老师（代 张老师）.
    by_day: dict[dt.date, dict[str, str]] = {}
    for (_, day), labels in (await _acting(session, school_id, start, end, names)).items():
        by_day.setdefault(day, {}).update(labels)

    def person(row: AuditLog) -> str:
        name = names.get(row.person_id, "") if row.person_id else ""
        return by_day.get(row.created_at.astimezone(tz).date(), {}).get(name, name)

    return [
        AuditRecord(
            at=row.created_at.astimezone(tz),
            person=person(row),
            action=row.action,
            detail=_named(dict(row.detail or {}), names, units),
        )
        for row in rows.all()
    ]


PERSON_DETAILS = ("people", "replaced")  # duty.roster.set: person ids
UNIT_DETAILS = ("unit",)  # a unit's slug


def _named(detail: dict[str, Any], names: dict[int, str], units: Sequence[Any]) -> dict[str, Any]:
    """An audit detail with its people and units by name: the log keeps ids and slugs."""
    by_slug = {slug: name for _, slug, name in units}
    by_id = {unit_id: name for unit_id, _, name in units}
    for key in PERSON_DETAILS:
        if isinstance(detail.get(key), list):
            detail[key] = [names.get(i, str(i)) for i in detail[key]]
    for key in UNIT_DETAILS:
        if isinstance(detail.get(key), str):
            detail[key] = by_slug.get(detail[key], detail[key])
    audience = detail.get("audience")
    if isinstance(audience, dict):  # notice.send: storage.notices.Audience.to_json()
        classes = [by_id.get(i, str(i)) for i in audience.get("unit_ids") or ()]
        detail["audience"] = {**audience, "classes": classes}
    return detail


def months(start: dt.date, end: dt.date) -> Iterator[tuple[dt.date, dt.date]]:
    """The calendar months the range touches, each cut to the range."""
    first = start
    while first <= end:
        next_month = (first.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        yield first, min(end, next_month - dt.timedelta(days=1))
        first = next_month


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    return [list(ids[i : i + IN_CLAUSE_CHUNK]) for i in range(0, len(ids), IN_CLAUSE_CHUNK)]
