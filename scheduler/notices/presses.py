"""A parent's 已阅知晓 press: the first one is recorded, later ones change nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from storage import notices as store
from storage.models import Person, Submission

# --- 已阅知晓 ----------------------------------------------------------------------------------


class Press(StrEnum):
    RECORDED = "recorded"
    ALREADY = "already"
    NOT_RECIPIENT = "not_recipient"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PressResult:
    outcome: Press
    confirmed_at: dt.datetime | None = None


async def record_press(
    session: AsyncSession,
    school_id: int,
    notice_id: int,
    person: Person,
    now: dt.datetime,
    *,
    tg_chat_id: int | None = None,
    tg_message_id: int | None = None,
    pupil_id: int | None = None,
) -> PressResult:
    """Who pressed 已阅知晓 (for which child) and when; the first press counts, later ones
    change nothing. A notice that asks for a choice or a signature has no such button."""
    notice = await store.get(session, school_id, notice_id)
    if notice is None or notice.status in (store.DRAFT, store.CANCELLED):
        return PressResult(Press.UNKNOWN)
    if (notice.receipt or {}).get("options") or (notice.receipt or {}).get("signature"):
        return PressResult(Press.UNKNOWN)
    first = await store.record_confirmation(
        session, notice_id, person.id, now, tg_chat_id, tg_message_id, pupil_id
    )
    recipient = await store.recipient(session, notice_id, person.id, pupil_id)
    if recipient is None:
        return PressResult(Press.NOT_RECIPIENT)
    if not first:
        return PressResult(Press.ALREADY, recipient.confirmed_at)
    session.add(
        Submission(
            school_id=school_id,
            person_id=person.id,
            kind="button",
            text="",
            data={
                "notice_id": notice_id,
                "pupil_id": pupil_id,
                "late": now > (notice.deadline_at or now),
            },
            tg_chat_id=tg_chat_id,
            tg_message_id=tg_message_id,
            created_at=now,
        )
    )
    return PressResult(Press.RECORDED, now)
