"""Handling an incident: a duty leader or an admin marks it handled, and the reporter is
told; the one who handled it (or an admin) may correct the note afterwards, and the reporter
is told again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.messages import OutMessage
from bot.core.text import clean_text
from scheduler.routine import Context
from scheduler.zero_report.common import HANDLERS_ROLES
from storage import audit, outbox, people
from storage import zero_report as incidents
from storage.models import Person, Unit
from storage.outbox import Envelope
from storage.zero_report import Incident


class Handling(StrEnum):
    HANDLED = "handled"
    ALREADY = "already"
    NOTED = "noted"  # the note was changed
    SAME_NOTE = "same_note"
    NOT_HANDLED = "not_handled"  # a note for an incident nobody has handled yet
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
    incident.handled_note = clean_text(note).strip()[: incidents.MAX_NOTE]
    audit.record(
        session,
        ctx.school_id,
        person.id,
        "incident.handled",
        now,
        incident_id=incident.id,
        note=incident.handled_note,
    )
    await _tell_reporter(
        session, ctx, incident, person, now, f"zero:handled:{incident.id}", "zero.handled_notice"
    )
    return Handled(Handling.HANDLED, incident, person.display_name)


async def change_note(
    session: AsyncSession,
    ctx: Context,
    incident_id: int,
    person: Person,
    note: str,
    now: dt.datetime,
) -> Handled:
    """The one who handled an incident, or an admin, replaces its note (a ``done`` sent
    without one, or what was learned later); old and new are audited and the reporter is
    told again. Another duty leader may not rewrite a colleague's account."""
    if not people.has_role(person, *HANDLERS_ROLES):
        return Handled(Handling.NOT_ALLOWED)
    incident = await incidents.get(session, ctx.school_id, incident_id)
    if incident is None or incident.status not in incidents.REPORTED:
        return Handled(Handling.NOT_FOUND)
    if incident.status != "handled":
        return Handled(Handling.NOT_HANDLED, incident)
    if incident.handled_by != person.id and not people.has_role(person, "admin"):
        by = await session.get(Person, incident.handled_by) if incident.handled_by else None
        return Handled(Handling.NOT_ALLOWED, incident, by.display_name if by else "?")
    old, new = incident.handled_note, clean_text(note).strip()[: incidents.MAX_NOTE]
    if new == old:
        return Handled(Handling.SAME_NOTE, incident, person.display_name)
    incident.handled_note = new
    audit.record(
        session,
        ctx.school_id,
        person.id,
        "incident.note",
        now,
        incident_id=incident.id,
        old=old,
        new=new,
    )
    # One message per change: the time keeps the key unique, and a replayed update (same
    # note again) is SAME_NOTE above, so it sends nothing twice.
    key = f"zero:note:{incident.id}:{now.astimezone(dt.UTC):%Y%m%dT%H%M%S%f}"
    await _tell_reporter(session, ctx, incident, person, now, key, "zero.note_changed_notice")
    return Handled(Handling.NOTED, incident, person.display_name)


async def _tell_reporter(
    session: AsyncSession,
    ctx: Context,
    incident: Incident,
    handler: Person,
    now: dt.datetime,
    key: str,
    text_key: str,
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
        text_key,
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
                key,
                chat.tg_chat_id,
                OutMessage(text),
                now,
                person_id=reporter.id,
            )
        ],
        now,
    )
