"""The drills (演练记录) and the bus trips (校车记录) of the record book: one row per drill
(plan theme, start, end, evacuation time, headcounts per class, feedback) and one per bus
trip (应到, 实到 at boarding and arrival, who was missing, the empty-bus check by whom and
when, the late alert)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import bus as bus_store
from storage import drills as drill_store
from storage.exports.parts import Photo
from storage.exports.parts import local as _local
from storage.models import Unit


@dataclass(frozen=True)
class DrillRecord:
    day: dt.date
    theme: str
    status: str
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    seconds: int | None
    classes: int  # classes that reported
    expected: int
    present: int
    short: tuple[str, ...]  # "三(2)班 42/41 一人病假"
    problems: str
    measures: str
    feedback_by: str
    notes: tuple[str, ...] = ()  # the floor marshals' 问题 / 建议: "陈老师（问题）：…"
    photos: tuple[Photo, ...] = ()


@dataclass(frozen=True)
class BusTripRecord:
    day: dt.date
    bus: int
    leg: str
    expected: int
    boarded: int | None
    board_missing: tuple[str, ...]
    boarded_at: dt.datetime | None
    arrived: int | None
    arrive_missing: tuple[str, ...]
    arrived_at: dt.datetime | None
    escort: str
    checked_by: str
    checked_at: dt.datetime | None
    alerted_at: dt.datetime | None


async def drill_records(
    session: AsyncSession,
    school_id: int,
    start: dt.date,
    end: dt.date,
    tz: ZoneInfo,
    names: dict[int, str],
) -> tuple[DrillRecord, ...]:
    units = {unit_id: name for unit_id, name in await session.execute(select(Unit.id, Unit.name))}
    found = []
    for drill in await drill_store.between(session, school_id, start, end):
        counts = await drill_store.counts_of(session, drill.id)
        found.append(
            DrillRecord(
                day=drill.day,
                theme=drill.theme,
                status=drill.status,
                started_at=_local(drill.started_at, tz),
                ended_at=_local(drill.ended_at, tz),
                seconds=drill.evacuation_seconds,
                classes=len(counts),
                expected=sum(c.expected for c in counts),
                present=sum(c.present for c in counts),
                short=tuple(
                    f"{units.get(c.unit_id, '?')} {c.present}/{c.expected} {c.reason}".strip()
                    for c in counts
                    if c.present < c.expected
                ),
                problems=drill.problems,
                measures=drill.measures,
                feedback_by=names.get(drill.feedback_by or 0, ""),
                **await _notes(session, drill.id, tz, names),
            )
        )
    return tuple(found)


async def _notes(
    session: AsyncSession, drill_id: int, tz: ZoneInfo, names: dict[int, str]
) -> dict[str, Any]:
    """The marshals' feedback lines and the drill's photos."""
    notes = await drill_store.notes_of(session, drill_id)
    kinds = {"problem": "问题", "suggestion": "建议"}
    lines = tuple(
        f"{names.get(n.person_id, '?')}（{kinds[n.kind]}）：{n.text}"
        for n in notes
        if n.kind in kinds
    )
    photos = tuple(
        Photo(n.sha256, n.path, "image/jpeg", n.at.astimezone(tz), names.get(n.person_id, ""))
        for n in notes
        if n.kind == "photo"
    )
    return {"notes": lines, "photos": photos}


async def bus_records(
    session: AsyncSession,
    school_id: int,
    start: dt.date,
    end: dt.date,
    tz: ZoneInfo,
    names: dict[int, str],
) -> tuple[BusTripRecord, ...]:
    return tuple(
        BusTripRecord(
            day=trip.day,
            bus=trip.bus,
            leg=trip.leg,
            expected=len(trip.riders),
            boarded=trip.boarded,
            board_missing=tuple(trip.board_missing),
            boarded_at=_local(trip.boarded_at, tz),
            arrived=trip.arrived,
            arrive_missing=tuple(trip.arrive_missing),
            arrived_at=_local(trip.arrived_at, tz),
            escort=names.get(trip.arrived_by or trip.boarded_by or 0, ""),
            checked_by=names.get(trip.checked_by or 0, ""),
            checked_at=_local(trip.checked_at, tz),
            alerted_at=_local(trip.alerted_at, tz),
        )
        for trip in await bus_store.trips_between(session, school_id, start, end)
    )
