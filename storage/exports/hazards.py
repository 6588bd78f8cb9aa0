"""The hazard register (隐患台账) of the record book: one row per hazard raised in the range or
still open in it, with every step's who and when, and its before and after photos."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import hazards as store
from storage.exports.records import Photo, _local, _photos, utc_bounds
from storage.hazards import Hazard, HazardEvent
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
    fixes = await session.scalars(
        select(HazardEvent)
        .where(HazardEvent.hazard_id == hazard.id, HazardEvent.kind == "fixed")
        .order_by(HazardEvent.id.desc())
    )
    last_fix = fixes.first()
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
    )


async def _attachments(session: AsyncSession, submission_id: int | None) -> list[Attachment]:
    return await store.photos_of(session, submission_id)
