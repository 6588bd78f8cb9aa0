"""Handling an incident: a duty leader or an admin marks it handled, and the reporter is
told."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import t
from scheduler.routine import Context
from scheduler.zero_report.common import HANDLERS_ROLES
from storage import audit, outbox, people
from storage import zero_report as incidents
from storage.messages import OutMessage
from storage.models import Person, Unit
from storage.outbox import Envelope
from storage.zero_report import Incident


class Handling(StrEnum):
    HANDLED = "handled"
    ALREADY = "already"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True)
class Handled:
    outcome: Handling
    incident: Incident | None = None
    handled_by: str = ""


async def mark_handled(
    session: AsyncSession,
    ctx: Context,
    incident_id: int,
    person: Person,
    note: str,
    now: dt.datetime,
) -> Handled:
    """A duty leader or an admin closes an incident; who, when and the note are kept, and
    the reporter is told."""
    if not people.has_role(person, *HANDLERS_ROLES):
        return Handled(Handling.NOT_ALLOWED)
    incident = await incidents.get(session, ctx.school_id, incident_id)
    if incident is None or incident.status not in incidents.REPORTED:
        return Handled(Handling.NOT_FOUND)
    if incident.status == "handled":
        by = await session.get(Person, incident.handled_by) if incident.handled_by else None
        return Handled(Handling.ALREADY, incident, by.display_name if by else "?")
    incident.status = "handled"
    incident.handled_by = person.id
    incident.handled_at = now
    incident.handled_note = note.strip()[: incidents.MAX_NOTE]
    audit.record(
        session,
        ctx.school_id,
        person.id,
        "incident.handled",
        now,
        incident_id=incident.id,
        note=incident.handled_note,
    )
    await _tell_reporter(session, ctx, incident, person, now)
    return Handled(Handling.HANDLED, incident, person.display_name)


async def _tell_reporter(
    session: AsyncSession, ctx: Context, incident: Incident, handler: Person, now: dt.datetime
) -> None:
    if incident.reported_by == handler.id:
        return
    reporter = await session.get(Person, incident.reported_by)
    chat = await people.private_chat_of(session, incident.reported_by)
    unit = await session.get(Unit, incident.unit_id)
    if reporter is None or chat is None or chat.unreachable or unit is None:
        return
    lang = reporter.language or ctx.school_language
    text = t(
        lang,
        "zero.handled_notice",
        id=incident.id,
        unit=unit.name,
        who=handler.display_name,
        note=incident.handled_note or "—",
    )
    await outbox.enqueue(
        session,
        ctx.school_id,
        [
            Envelope(
                f"zero:handled:{incident.id}",
                chat.tg_chat_id,
                OutMessage(text),
                now,
                person_id=reporter.id,
            )
        ],
        now,
    )
