"""Raising a hazard (发现 → 登记), step by step: a draft row filled answer by answer (what,
where, category, severity, photos), then submitted, which tells the safety officers and, for
an urgent one, alerts the duty leader and the admins at once and asks for a temporary
measure (临时管控措施)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.settings import HazardSettings
from scheduler.duty import patrol as patrols
from scheduler.hazards import notify
from scheduler.hazards.common import DEFAULT_POLICY, STAFF, Outcome, Result, is_urgent, may
from scheduler.routine import Context
from storage import audit
from storage import hazards as store
from storage import zero_report as incidents
from storage.models import Person
from storage.submissions import ReceivedFile


async def start(
    session: AsyncSession,
    ctx: Context,
    person: Person,
    now: dt.datetime,
    *,
    item: str = "",
    category: str = "",
    place: str = "",
    tg_chat_id: int | None = None,
) -> Result:
    """A new draft (an inspection's item comes with its item, category and place filled)."""
    if not may(person, STAFF):
        return Result(Outcome.NOT_ALLOWED)
    await store.cancel_drafts_of(session, ctx.school_id, person.id)
    hazard = await store.create_draft(
        session,
        ctx.school_id,
        person.id,
        now,
        item=item[:60],
        category=category,
        place=place[: store.MAX_PLACE],
        tg_chat_id=tg_chat_id,
    )
    return Result(Outcome.DONE, hazard.id)


async def start_from(
    session: AsyncSession,
    ctx: Context,
    person: Person,
    now: dt.datetime,
    source: str,
    source_id: int,
    *,
    tg_chat_id: int | None = None,
) -> Result:
    """发现隐患 under one's own patrol (``source`` "patrol") or daily-report incident
    ("incident"): a draft with its text, place, severity and photos filled in."""
    fields: dict[str, str] = {}
    if source == "patrol":
        found = await patrols.patrol_of(session, ctx.school_id, source_id, person)
        if found is None:
            return Result(Outcome.NOT_FOUND)
        submission_id, fields["what"] = found.id, found.text
    else:
        incident = await incidents.get(session, ctx.school_id, source_id)
        if incident is None or incident.reported_by != person.id or incident.status == "draft":
            return Result(Outcome.NOT_FOUND)
        submission_id = incident.submission_id
        fields = {"what": incident.text, "place": incident.place, "severity": incident.severity}
    started = await start(
        session, ctx, person, now, place=fields.pop("place", ""), tg_chat_id=tg_chat_id
    )
    if started.outcome is not Outcome.DONE:
        return started
    hazard = await store.own_draft(session, ctx.school_id, started.hazard_id, person.id)
    assert hazard is not None
    hazard.what = fields.get("what", "")[: store.MAX_WHAT]
    hazard.severity = fields.get("severity", "")
    await store.copy_photos(session, submission_id, hazard.submission_id)
    return started


async def save(
    session: AsyncSession, ctx: Context, hazard_id: int, person: Person, **fields: str
) -> store.Hazard | None:
    """One answer kept in the person's own draft; None when there is no such draft."""
    hazard = await store.own_draft(session, ctx.school_id, hazard_id, person.id)
    if hazard is None:
        return None
    for name, value in fields.items():
        setattr(hazard, name, value)
    return hazard


async def draft(
    session: AsyncSession, ctx: Context, hazard_id: int, person: Person
) -> store.Hazard | None:
    return await store.own_draft(session, ctx.school_id, hazard_id, person.id)


async def add_photo(
    session: AsyncSession,
    ctx: Context,
    hazard_id: int,
    person: Person,
    received: ReceivedFile,
    now: dt.datetime,
) -> bool:
    hazard = await store.own_draft(session, ctx.school_id, hazard_id, person.id)
    if hazard is None:
        return False
    store.add_photo(session, hazard.submission_id, received, now)
    return True


async def submit(
    session: AsyncSession,
    ctx: Context,
    hazard_id: int,
    person: Person,
    now: dt.datetime,
    policy: HazardSettings = DEFAULT_POLICY,
) -> Result:
    """The draft becomes a reported hazard: the officers are told (with the photos and how
    to assign it); an urgent one alerts the duty leader and admins at once."""
    hazard = await store.own_draft(session, ctx.school_id, hazard_id, person.id)
    if hazard is None or not (hazard.what and hazard.place and hazard.category and hazard.severity):
        return Result(Outcome.NOT_FOUND)
    hazard.status, hazard.raised_at = "reported", now
    event = store.add_event(
        session, hazard, "raised", person.id, now, submission_id=hazard.submission_id
    )
    await session.flush()
    urgent = is_urgent(hazard, policy)
    audit.record(
        session,
        ctx.school_id,
        person.id,
        "hazard.raised",
        now,
        hazard_id=hazard.id,
        category=hazard.category,
        severity=hazard.severity,
        urgent=urgent,
    )
    photos = [a.path for a in await store.photos_of(session, hazard.submission_id)]

    told = await notify.officers(session, ctx)
    if urgent:  # the duty leader and the admins at once, asked for a temporary measure
        today = now.astimezone(ctx.tz).date()
        told = notify.once(told + await notify.leaders_and_admins(session, ctx, today))

    def text(lang: str) -> str:
        lines = [notify.card(hazard, lang, policy, person.display_name), ""]
        if urgent:
            lines.append(t(lang, "hazard.measure_asked", id=hazard.id))
        lines.append(t(lang, "hazard.assign_hint", id=hazard.id))
        return "\n".join(lines)

    told = notify.without(told, person.id)
    await notify.tell(session, ctx, f"hz:{event.id}", told, text, now, photos=photos, urgent=urgent)
    return Result(Outcome.DONE, hazard.id, hazard.status, urgent=urgent)


async def cancel(session: AsyncSession, ctx: Context, hazard_id: int, person: Person) -> bool:
    hazard = await store.own_draft(session, ctx.school_id, hazard_id, person.id)
    if hazard is None:
        return False
    hazard.status = "cancelled"
    return True
