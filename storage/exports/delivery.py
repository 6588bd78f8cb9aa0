"""未确认送达 in the record book: the sends held as uncertain (the request reached Telegram and
no answer came back, so they may or may not have arrived), whether an admin resent them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.exports.labels import word
from storage.exports.parts import utc_bounds
from storage.models import Outbox
from storage.outbox import RESEND_PREFIX

COLUMNS = (
    "col.at",
    "col.recipient",
    "col.message_kind",
    "col.text",
    "col.uncertain_why",
    "col.resent",
)


@dataclass(frozen=True)
class UncertainRecord:
    day: dt.date
    at: dt.datetime
    recipient: str
    kind: str  # the key's routine: notice, prompt, bus, …
    text: str
    why: str
    resent: bool


async def uncertain_records(
    session: AsyncSession,
    school_id: int,
    start: dt.date,
    end: dt.date,
    tz: ZoneInfo,
    names: dict[int, str],
) -> tuple[UncertainRecord, ...]:
    since, until = utc_bounds(start, end, tz)
    rows = (
        await session.scalars(
            select(Outbox)
            .where(
                Outbox.school_id == school_id,
                Outbox.status == "uncertain",
                Outbox.settled_at >= since,
                Outbox.settled_at < until,
            )
            .order_by(Outbox.settled_at, Outbox.id)
        )
    ).all()
    if not rows:
        return ()
    keys = [f"{RESEND_PREFIX}{r.id}" for r in rows]
    resent = set(
        (
            await session.scalars(
                select(Outbox.key).where(Outbox.school_id == school_id, Outbox.key.in_(keys))
            )
        ).all()
    )
    records = []
    for row in rows:
        assert row.settled_at is not None
        at = row.settled_at.astimezone(tz)
        text = (row.payload.get("text") or "").strip()
        records.append(
            UncertainRecord(
                day=at.date(),
                at=at,
                recipient=names.get(row.person_id or 0) or str(row.tg_chat_id),
                kind=_kind(row.key),
                text=text.splitlines()[0][:200] if text else "",
                why=row.last_error,
                resent=f"{RESEND_PREFIX}{row.id}" in resent,
            )
        )
    return tuple(records)


def _kind(key: str) -> str:
    parts = key.split(":")
    if parts[0] in ("prompt", "remind", "alert") and len(parts) > 1:
        return f"{parts[0]}:{parts[1]}"
    return parts[0]


def uncertain_rows(records: Any, lang: str) -> list[list[Any]]:
    yes, no = word(lang, "yes"), word(lang, "no")
    return [
        [r.at, r.recipient, r.kind, r.text, r.why, yes if r.resent else no]
        for r in records.uncertain
    ]
