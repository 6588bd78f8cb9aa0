"""The hazard register (隐患台账) of the record book: one row per hazard raised in the range or
still open in it, with every step's who and when, and its before and after photos."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from storage import hazards as store
from storage.exports.parts import Photo, utc_bounds
from storage.exports.parts import local as _local
from storage.exports.parts import photos_of as _photos
from storage.hazards import Hazard
from storage.models import Attachment


@dataclass(frozen=True)
class HazardRecord:
    id: int
    day: dt.date  # the day it was raised, school zone
    category: str
    item: str
    place: str
    what: str
    found_by: str
    found_at: dt.datetime | None
    severity: str
    owner: str
    deadline: dt.date | None
    fixed_at: dt.datetime | None
    verified_by: str
    signed_by: str
    days_to_fix: int | None  # raised → fixed (the last fix), in days
    status: str
    rejected: int
    reopened: int
    before: tuple[Photo, ...]
    after: tuple[Photo, ...]  # the last fix's
    rejected_fixes: tuple[Photo, ...] = ()  # the photos of the fixes rejected before it
    # Every step as (kind, day in the school zone, the deadline it set): what the month's
    # figures count.
    events: tuple[tuple[str, dt.date, dt.date | None], ...] = ()

    def steps_within(self, kind: str, start: dt.date, end: dt.date) -> bool:
        return any(k == kind and start <= day <= end for k, day, _ in self.events)

    def fixed_on_time(self, start: dt.date, end: dt.date) -> bool:
        """A fix accepted in the range that was made by the deadline then in force (a
        rejection sets a new one; a reopening clears the hazard's own)."""
        deadline: dt.date | None = None
        fixed: dt.date | None = None
        on_time = False
        for kind, day, set_to in self.events:
            if set_to is not None and kind in ("assigned", "rejected"):
                deadline = set_to
            elif kind == "fixed":
                fixed = day
            elif kind == "verified" and start <= day <= end and fixed and deadline:
                on_time = on_time or fixed <= deadline  # any round of the range
        return on_time


@dataclass(frozen=True)
class HazardFigures:
    """A month's figures (or any range's): raised in it; fixes accepted in it (复查验收), and of
    those the ones fixed by their deadline; hazards that went overdue in it (the duty leader
    was told); hazards reopened in it."""

    raised: int
    fixed: int
    fixed_on_time: int
    overdue: int
    reopened: int


def figures(records: Sequence[HazardRecord], start: dt.date, end: dt.date) -> HazardFigures:
    fixed = [r for r in records if r.steps_within("verified", start, end)]
    return HazardFigures(
        raised=sum(start <= r.day <= end for r in records),
        fixed=len(fixed),
        fixed_on_time=sum(r.fixed_on_time(start, end) for r in fixed),
        overdue=sum(r.steps_within("escalated", start, end) for r in records),
        reopened=sum(r.steps_within("reopened", start, end) for r in records),
    )


def active_within(
    records: Sequence[HazardRecord], start: dt.date, end: dt.date
) -> list[HazardRecord]:
    """The hazards with a step in the range: raised, fixed, verified, signed …"""
    return [r for r in records if any(start <= day <= end for _, day, _ in r.events)]


async def hazard_records(
    session: AsyncSession,
    school_id: int,
    start: dt.date,
    end: dt.date,
    tz: ZoneInfo,
    names: dict[int, str],
) -> tuple[HazardRecord, ...]:
    first, after = utc_bounds(start, end, tz)
    found = await store.in_period(session, school_id, first, after)
    return tuple([await _record(session, hazard, tz, names) for hazard in found])


async def _record(
    session: AsyncSession, hazard: Hazard, tz: ZoneInfo, names: dict[int, str]
) -> HazardRecord:
    raised = _local(hazard.raised_at, tz)
    assert raised is not None  # in_period keeps raised hazards only
    events = await store.events_of(session, hazard.id)
    fixes = [e for e in events if e.kind == "fixed"]
    last_fix = fixes[-1] if fixes else None
    fixed_at = _local(hazard.fixed_at or (last_fix.at if last_fix else None), tz)
    finder = names.get(hazard.raised_by, "")
    owner = names.get(hazard.owner_id, "") if hazard.owner_id else ""
    return HazardRecord(
        id=hazard.id,
        day=raised.date(),
        category=hazard.category,
        item=hazard.item,
        place=hazard.place,
        what=hazard.what,
        found_by=finder,
        found_at=raised,
        severity=hazard.severity,
        owner=owner,
        deadline=hazard.deadline,
        fixed_at=fixed_at,
        verified_by=names.get(hazard.verified_by, "") if hazard.verified_by else "",
        signed_by=names.get(hazard.signed_by, "") if hazard.signed_by else "",
        days_to_fix=(fixed_at.date() - raised.date()).days if fixed_at else None,
        status=hazard.status,
        rejected=hazard.rejected,
        reopened=hazard.reopened,
        before=_photos(await _attachments(session, hazard.submission_id), tz, finder),
        after=_photos(
            await _attachments(session, last_fix.submission_id if last_fix else None), tz, owner
        ),
        rejected_fixes=tuple(
            [
                photo
                for fix in fixes[:-1]
                for photo in _photos(await _attachments(session, fix.submission_id), tz, owner)
            ]
        ),
        events=tuple((e.kind, e.at.astimezone(tz).date(), e.deadline) for e in events),
    )


async def _attachments(session: AsyncSession, submission_id: int | None) -> list[Attachment]:
    return await store.photos_of(session, submission_id)
