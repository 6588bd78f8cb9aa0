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


async def handle(
    session: AsyncSession,
    ctx: Context,
    incident_id: int,
    person: Person,
    note: str,
    now: dt.datetime,
    *,
    done: bool,
) -> Handled:
    """/incident N done …: a duty leader or an admin closes a reported incident; who, when
    and the note are kept. /incident N note …: the one who handled it, or an admin, replaces
    its note (a ``done`` sent without one, or what was learned later). Either is audited
    (a new note with the old) and the reporter is told."""
    if not people.has_role(person, *HANDLERS_ROLES):
        return Handled(Handling.NOT_ALLOWED)
    incident = await incidents.get(session, ctx.school_id, incident_id)
    if incident is None or incident.status not in incidents.REPORTED:
        return Handled(Handling.NOT_FOUND)
    note = clean_text(note).strip()[: incidents.MAX_NOTE]
    if done:
        if incident.status == "handled":
            return Handled(Handling.ALREADY, incident, await _handler_name(session, incident))
        incident.status, incident.handled_by, incident.handled_at = "handled", person.id, now
        key, detail = f"zero:handled:{incident.id}", {"note": note}
    else:
        refusal = await _note_refusal(session, incident, person, note)
        if refusal is not None:
            return refusal
        # One message per change: the time keeps the key unique, and a replayed update
        # (same note again) is SAME_NOTE, so it sends nothing twice.
        key = f"zero:note:{incident.id}:{now.astimezone(dt.UTC):%Y%m%dT%H%M%S%f}"
        detail = {"old": incident.handled_note, "new": note}
    incident.handled_note = note
    action = "incident.handled" if done else "incident.note"
    audit.record(session, ctx.school_id, person.id, action, now, incident_id=incident.id, **detail)
    text_key = "zero.handled_notice" if done else "zero.note_changed_notice"
    await _tell_reporter(session, ctx, incident, person, now, key, text_key)
    return Handled(Handling.HANDLED if done else Handling.NOTED, incident, person.display_name)


async def _note_refusal(
    session: AsyncSession, incident: Incident, person: Person, note: str
) -> Handled | None:
    """Why the note may not change: nobody handled the incident yet, another duty leader did
    (no one rewrites a colleague's account; an admin may), or it says this already."""
    if incident.status != "handled":
        return Handled(Handling.NOT_HANDLED, incident)
    if incident.handled_by != person.id and not people.has_role(person, "admin"):
        return Handled(Handling.NOT_ALLOWED, incident, await _handler_name(session, incident))
    if note == incident.handled_note:
        return Handled(Handling.SAME_NOTE, incident, person.display_name)
    return None


async def _handler_name(session: AsyncSession, incident: Incident) -> str:
    by = await session.get(Person, incident.handled_by) if incident.handled_by else None
    return by.display_name if by else "?"


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
