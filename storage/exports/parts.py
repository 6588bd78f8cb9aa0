"""What every section of the record book shares: a photo, the day range in UTC, a moment in
the school's zone. Its own module so that the sections (hazards.py, drills_bus.py) and
records.py, which collects them, do not import each other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from storage.models import Attachment


@dataclass(frozen=True)
class Photo:
    sha256: str
    path: str
    mime: str
    taken_at: dt.datetime  # when the bot received it, school zone
    person: str


def utc_bounds(start: dt.date, end: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, the day after end 00:00) in the school's zone, as UTC."""
    first = dt.datetime.combine(start, dt.time(), tz).astimezone(dt.UTC)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz).astimezone(dt.UTC)
    return first, after


def photos_of(attachments: Sequence[Attachment], tz: ZoneInfo, person: str) -> tuple[Photo, ...]:
    return tuple(
        Photo(a.sha256, a.path, a.mime, a.created_at.astimezone(tz), person)
        for a in sorted(attachments, key=lambda a: a.id)
    )


def local(moment: dt.datetime | None, tz: ZoneInfo) -> dt.datetime | None:
    return moment.astimezone(tz) if moment is not None else None
