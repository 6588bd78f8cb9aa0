"""Patrols (巡查): a person on duty records what they checked, with text and photos, any time.

A patrol is a submission of kind ``patrol``; its photos are its attachments and later text is
appended, so one patrol stays one record however many messages it took.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from bot.core.text import clean_text
from scheduler.rules import duty as rules
from storage import duty as store
from storage import submissions
from storage.models import Person, Submission
from storage.submissions import ReceivedFile, attachment

MAX_TEXT = 2000


async def start_patrol(
    session: AsyncSession,
    school_id: int,
    settings: Settings,
    person: Person,
    now: dt.datetime,
    text: str = "",
    photo: ReceivedFile | None = None,
    *,
    tg_chat_id: int | None = None,
    tg_message_id: int | None = None,
) -> Submission:
    posts = await posts_on_duty(session, school_id, settings, person, now)
    return await submissions.add(
        session,
        school_id,
        person.id,
        store.PATROL_KIND,
        now,
        text=text.strip()[:MAX_TEXT],
        data={"posts": posts},
        tg_chat_id=tg_chat_id,
        tg_message_id=tg_message_id,
        files=[photo] if photo else [],
    )


async def add_to_patrol(
    session: AsyncSession,
    school_id: int,
    patrol_id: int,
    person: Person,
    now: dt.datetime,
    text: str = "",
    photo: ReceivedFile | None = None,
) -> Submission | None:
    """More text or a photo for a patrol of this person; None if it is not theirs."""
    patrol = await patrol_of(session, school_id, patrol_id, person)
    if patrol is None:
        return None
    if text.strip():
        more = clean_text(text).strip()
        patrol.text = "\n".join(p for p in (patrol.text, more) if p)[:MAX_TEXT]
    if photo is not None:
        patrol.attachments.append(attachment(photo, now))
    await session.flush()
    return patrol


async def patrol_of(
    session: AsyncSession, school_id: int, patrol_id: int, person: Person
) -> Submission | None:
    patrol = await session.get(Submission, patrol_id)
    if (
        patrol is None
        or patrol.school_id != school_id
        or patrol.person_id != person.id
        or patrol.kind != store.PATROL_KIND
    ):
        return None
    return patrol


async def posts_on_duty(
    session: AsyncSession, school_id: int, settings: Settings, person: Person, now: dt.datetime
) -> list[str]:
    """The posts this person holds at ``now`` (yesterday's night post runs into this morning)."""
    today = now.astimezone(settings.school.tz).date()
    found = []
    for day in (today - dt.timedelta(days=1), today):
        for slug in await store.posts_of(session, school_id, person.id, day):
            slot = rules.post_slot(settings, slug, day)
            if slot is None and day == today or slot is not None and slot.start <= now < slot.end:
                found.append(slug)
    return found


async def recent_patrols(
    session: AsyncSession, school_id: int, since: dt.datetime
) -> list[Submission]:
    rows = await session.scalars(
        select(Submission)
        .where(
            Submission.school_id == school_id,
            Submission.kind == store.PATROL_KIND,
            Submission.created_at >= since,
        )
        .order_by(Submission.created_at)
    )
    return list(rows.all())
