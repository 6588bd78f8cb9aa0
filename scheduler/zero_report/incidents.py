"""Answering with an incident (有情况), step by step: a draft row (see
storage/zero_report.py) filled answer by answer, then submitted, which alerts the duty
leader (and for 紧急 the admins) with the photos."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.messages import OutMessage
from bot.core.settings import ZeroReportSettings
from scheduler import recipients, tasks
from scheduler.routine import Context, Recipient, TickContext
from scheduler.zero_report.answers import (
    Outcome,
    may_report_for,
    refusal_of,
    show_others_who_answered,
    task_of_day,
    task_with_unit,
)
from scheduler.zero_report.common import (
    ANSWERED,
    DEFAULT_POLICY,
    INCIDENT,
    ROUTINE,
    SEVERITY_LABELS,
    SEVERITY_WORDS,
    hhmm,
    today_of,
)
from storage import outbox
from storage import zero_report as incidents
from storage.models import Person, Task, Unit
from storage.outbox import PRIORITY_ALERT, Envelope
from storage.zero_report import Incident


class Step(StrEnum):
    TEXT = "text"
    PLACE = "place"
    SEVERITY = "severity"
    PHOTOS = "photos"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class Started:
    outcome: Outcome  # DONE: the draft exists
    unit_name: str = ""
    incident_id: int | None = None


async def start_incident(
    session: AsyncSession,
    ctx: Context,
    person: Person,
    now: dt.datetime,
    *,
    task_id: int | None = None,
    unit_id: int | None = None,
    tg_chat_id: int | None = None,
) -> Started:
    """A draft incident for the unit of ``task_id`` (a prompt's 有情况) or ``unit_id`` (/report
    on a day without a task). Allowed after a zero report: both are kept."""
    today = today_of(now, ctx)
    target = await _incident_target(session, ctx, person, today, task_id, unit_id)
    if isinstance(target, Started):
        return target
    task, unit = target
    await incidents.cancel_drafts_of(session, ctx.school_id, person.id)
    incident_id = await incidents.create_draft(
        session,
        ctx.school_id,
        unit.id,
        task.id if task is not None else None,
        today,
        person.id,
        now,
        tg_chat_id,
    )
    return Started(Outcome.DONE, unit.name, incident_id)


async def _incident_target(
    session: AsyncSession,
    ctx: Context,
    person: Person,
    today: dt.date,
    task_id: int | None,
    unit_id: int | None,
) -> tuple[Task | None, Unit] | Started:
    """The task and unit an incident is for, or the refusal."""
    if task_id is not None:
        found = await task_with_unit(session, ctx, task_id)
        if found is None:
            return Started(Outcome.NOT_FOUND)
        task, unit = found
        refusal = refusal_of(task, unit, person, today)
        return Started(refusal, unit.name) if refusal is not None else (task, unit)
    unit_found = await session.get(Unit, unit_id) if unit_id is not None else None
    if unit_found is None or unit_found.school_id != ctx.school_id or not unit_found.active:
        return Started(Outcome.NOT_FOUND)
    if not may_report_for(person, unit_found):
        return Started(Outcome.NOT_YOURS, unit_found.name)
    return await task_of_day(session, ctx.school_id, unit_found, today), unit_found


async def draft_of(
    session: AsyncSession, ctx: Context, incident_id: int, person: Person
) -> Incident | None:
    """The person's own draft, or None once it is submitted or cancelled."""
    incident = await incidents.get(session, ctx.school_id, incident_id)
    if incident is None or incident.status != "draft" or incident.reported_by != person.id:
        return None
    return incident


async def draft_with_unit(
    session: AsyncSession, ctx: Context, incident_id: int, person: Person
) -> tuple[Incident, Unit] | None:
    """``draft_of`` and the draft's unit, in one query."""
    params = incidents.own_draft(ctx.school_id, incident_id, person.id)
    row = (await session.execute(incidents.DRAFT_WITH_UNIT, params)).first()
    return None if row is None else (row[0], row[1])


async def save_answer(
    session: AsyncSession, ctx: Context, incident_id: int, person: Person, **fields: str
) -> bool:
    """One answer (text, place, severity) into the person's own draft, in one statement;
    False when there is no such draft (submitted, cancelled, someone else's)."""
    return await incidents.update_draft(session, ctx.school_id, incident_id, person.id, **fields)


async def draft_summary(
    session: AsyncSession, ctx: Context, incident_id: int, person: Person
) -> incidents.DraftSummary | None:
    """What the reporter confirms before sending: the draft's answers, its unit, its photos."""
    return await incidents.draft_summary(session, ctx.school_id, incident_id, person.id)


def text_problem(text: str | None, limit: int = incidents.MAX_TEXT) -> str | None:
    """The text key of what is wrong with a description, or None when it is fine."""
    if text is None or not text.strip():
        return "zero.need_text"
    if len(text.strip()) > limit:
        return "zero.text_too_long"
    return None


def place_problem(text: str | None) -> str | None:
    if text is None or not text.strip():
        return "zero.need_place"
    if len(text.strip()) > incidents.MAX_PLACE:
        return "zero.place_too_long"
    return None


def parse_severity(text: str | None) -> str | None:
    if text is None:
        return None
    return SEVERITY_WORDS.get(text.strip().lower())


async def add_photo(
    session: AsyncSession,
    ctx: Context,
    incident_id: int,
    person: Person,
    photo: tuple[Any, str, str, str],
    now: dt.datetime,
) -> bool:
    """Keep one photo of the person's draft; False when there is no such draft."""
    return await incidents.add_draft_photo(
        session, ctx.school_id, incident_id, person.id, photo, now
    )


@dataclass(frozen=True)
class Submitted:
    outcome: Outcome  # DONE, or NOT_FOUND when the draft is gone or incomplete
    incident_id: int | None = None
    urgent: bool = False
    alerted: int = 0  # people alerted


async def submit_incident(
    session: AsyncSession,
    ctx: Context,
    incident_id: int,
    person: Person,
    now: dt.datetime,
    policy: ZeroReportSettings = DEFAULT_POLICY,
) -> Submitted:
    """The draft becomes an open incident; the unit's task is done if it was not; the duty
    leader is alerted ([zero_report].incident_to), for 紧急 the admins too (urgent_to), at once
    and with the photos."""
    found = await draft_with_unit(session, ctx, incident_id, person)
    if found is None:
        return Submitted(Outcome.NOT_FOUND)
    incident, unit = found
    if not (incident.text and incident.place and incident.severity):
        return Submitted(Outcome.NOT_FOUND)
    if not await incidents.open_draft(session, incident, now):
        return Submitted(Outcome.NOT_FOUND)
    await incidents.describe_submission(session, incident)
    if incident.task_id is None:  # begun before the day's task was made: it is the unit's too
        made = await task_of_day(session, ctx.school_id, unit, incident.day)
        incident.task_id = made.id if made is not None else None
    # The unit's task is loaded only when this report is its first answer of the day.
    status = await tasks.status_of(session, incident.task_id) if incident.task_id else None
    task = await session.get(Task, incident.task_id) if status not in (None, *ANSWERED) else None
    if task is not None:
        await _answer_with_incident(session, ctx, task, unit, person, now, today_of(now, ctx))
    roles = policy.urgent_to if incident.severity == "urgent" else policy.incident_to
    alerted = await _alert_incident(session, ctx, incident, unit, person, now, roles)
    return Submitted(Outcome.DONE, incident.id, incident.severity == "urgent", alerted)


async def _answer_with_incident(
    session: AsyncSession,
    ctx: Context,
    task: Task,
    unit: Unit,
    person: Person,
    at: dt.datetime,
    today: dt.date,
) -> None:
    """The unit's task is done (late after its deadline) as 有情况, answered at ``at``."""
    result = await tasks.complete(
        session, task, person, at, today, text=INCIDENT, payload={"answer": INCIDENT}
    )
    if result.outcome in (tasks.Completion.DONE, tasks.Completion.LATE):
        await show_others_who_answered(session, ctx, task, unit, person, INCIDENT, at, None)


async def close_reported_units(tick: TickContext) -> int:
    """A unit that reported an incident today has answered for the day, even when the report
    came before its task was made (a /report before the day's first tick): the task is done
    as 有情况 at the report's time, before any prompt, reminder or alert could name the unit.
    Run on every tick, right after the day's tasks are made; returns how many it closed."""
    params = {"w_school": tick.ctx.school_id, "w_day": tick.today}
    first: dict[int, tuple[Task, Incident]] = {}
    for task, incident in (await tick.session.execute(_OPEN_BUT_REPORTED, params)).all():
        first.setdefault(task.id, (task, incident))  # the unit's first report of the day
    for task, incident in first.values():
        unit = await tick.session.get(Unit, incident.unit_id)
        reporter = await tick.session.get(Person, incident.reported_by)
        if unit is None or reporter is None or incident.reported_at is None:
            continue
        incident.task_id = incident.task_id or task.id
        at = incident.reported_at
        await _answer_with_incident(tick.session, tick.ctx, task, unit, reporter, at, tick.today)
    return len(first)


# Built once: every tick runs it, and it finds nothing on almost all of them.
_OPEN_BUT_REPORTED = (
    select(Task, Incident)
    .join(
        Incident,
        and_(
            Incident.school_id == Task.school_id,
            Incident.day == Task.day,
            Incident.unit_id == Task.unit_id,
        ),
    )
    .where(
        Task.school_id == bindparam("w_school"),
        Task.day == bindparam("w_day"),
        Task.routine == ROUTINE,
        Task.status.in_(tasks.OPEN),
        Incident.status.in_(incidents.REPORTED),
    )
    .order_by(Incident.reported_at, Incident.id)
)


async def cancel_draft(
    session: AsyncSession, ctx: Context, incident_id: int, person: Person
) -> bool:
    # Kept, not deleted: nothing a user sent is lost.
    return await incidents.update_draft(
        session, ctx.school_id, incident_id, person.id, status="cancelled"
    )


async def _alert_incident(
    session: AsyncSession,
    ctx: Context,
    incident: Incident,
    unit: Unit,
    reporter: Person,
    now: dt.datetime,
    roles: Sequence[str],
) -> int:
    # The reporter is not alerted of their own report, if they are a leader or an admin too.
    wanted = [
        r
        for r in await people_told(session, ctx, roles, incident.day)
        if r.person_id != reporter.id
    ]
    photos = await incidents.photo_paths(session, incident)
    envelopes = []
    for r in wanted:
        messages = incident_alert(incident, unit, reporter, photos, r.language, ctx.tz)
        for n, message in enumerate(messages):
            envelopes.append(
                Envelope(
                    f"zero:inc:{incident.id}:{r.tg_chat_id}:{n}",
                    r.tg_chat_id,
                    message,
                    now,
                    person_id=r.person_id,
                    priority=PRIORITY_ALERT,
                )
            )
    await outbox.enqueue(session, ctx.school_id, envelopes, now)
    return len(wanted)


async def people_told(
    session: AsyncSession, ctx: Context, roles: Sequence[str], day: dt.date
) -> list[Recipient]:
    """The recipients of these roles ("duty_leader", "admin"), each chat once."""
    found: list[Recipient] = []
    if "duty_leader" in roles:
        found += await recipients.duty_leaders(session, ctx, day, or_admins="admin" not in roles)
    if "admin" in roles:
        found += await recipients.admins(session, ctx)
    return list({r.tg_chat_id: r for r in found}.values())


def incident_alert(
    incident: Incident,
    unit: Unit,
    reporter: Person,
    photos: Sequence[str],
    lang: str,
    tz: dt.tzinfo,
) -> list[OutMessage]:
    """The alert text, then each photo (by its path; one message per photo: an album is one
    report)."""
    key = "zero.incident_alert_urgent" if incident.severity == "urgent" else "zero.incident_alert"
    text = t(
        lang,
        key,
        id=incident.id,
        unit=unit.name,
        text=incident.text,
        place=incident.place,
        severity=t(lang, SEVERITY_LABELS.get(incident.severity, "zero.sev.general")),
        who=reporter.display_name,
        time=hhmm(incident.reported_at or incident.created_at, tz),
        photos=len(photos),
    )
    messages = [OutMessage(text)]
    for n, photo in enumerate(photos, start=1):
        caption = t(
            lang, "zero.photo_caption", id=incident.id, unit=unit.name, n=n, total=len(photos)
        )
        messages.append(OutMessage(caption, kind="photo", media_path=photo))
    return messages


def incident_summary(summary: incidents.DraftSummary, lang: str) -> str:
    return t(
        lang,
        "zero.summary",
        unit=summary.unit_name,
        text=summary.text,
        place=summary.place,
        severity=t(lang, SEVERITY_LABELS.get(summary.severity, "zero.sev.general")),
        photos=summary.photo_count,
    )
