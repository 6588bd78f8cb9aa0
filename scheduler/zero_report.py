"""The daily report and zero report (日报告、零报告).

Every school day each class (its head teacher) and each department (its staff) is asked, in
private, whether anything happened; "nothing" (零报告) is an answer too. The generic engine
prompts, reminds at [zero_report].remind and alerts the duty leader at [zero_report].escalate
(``ZeroReportRoutine``); the end-of-day roll-up to the admins is a tick job (``send_rollup``).

The services below are what the handlers, the demo and the tests call: answer zero, report an
incident step by step (a draft row, see storage/zero_report.py), mark an incident handled,
and the day's grid. They take a session and the clock's ``now`` and never touch Telegram:
whatever must reach people goes through the outbox in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import t
from bot.settings import ZeroReportSettings
from scheduler import recipients, tasks
from scheduler.registry import TickContext
from scheduler.routine import Context, Recipient
from scheduler.rules.zero_report import task_key
from storage import audit, outbox, people
from storage import zero_report as incidents
from storage.messages import Button, OutMessage
from storage.models import Outbox, Person, Role, Task, Unit
from storage.outbox import PRIORITY_ALERT, PRIORITY_BULK, Envelope
from storage.zero_report import Incident

ROUTINE = "zero_report"
ZERO, INCIDENT = "zero", "incident"
ANSWERED = tasks.ANSWERED
SEVERITY_LABELS = {
    "general": "zero.sev.general",
    "serious": "zero.sev.serious",
    "urgent": "zero.sev.urgent",
}
SEVERITY_WORDS = {
    "一般": "general",
    "较重": "serious",
    "紧急": "urgent",
    "general": "general",
    "minor": "general",
    "normal": "general",
    "serious": "serious",
    "urgent": "urgent",
    "1": "general",
    "2": "serious",
    "3": "urgent",
}
HANDLERS_ROLES = ("admin", "duty_leader")
DEFAULT_POLICY = ZeroReportSettings()


# -- callback ids (ASCII, far below Telegram's 64 bytes) ---------------------------------------


def zero_callback(task_id: int) -> str:
    return f"z:{task_id}:zero"


def incident_callback(task_id: int) -> str:
    return f"z:{task_id}:inc"


def unit_incident_callback(unit_id: int) -> str:
    """有情况 on a day without a task (a weekend, a holiday): the unit, not a task."""
    return f"zu:{unit_id}:inc"


def severity_callback(incident_id: int, severity: str) -> str:
    return f"zs:{incident_id}:{severity}"


def photos_done_callback(incident_id: int) -> str:
    return f"zp:{incident_id}:done"


def confirm_callback(incident_id: int, choice: str) -> str:
    return f"zc:{incident_id}:{choice}"  # send | drop


def answer_buttons(task_id: int, lang: str) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            Button(t(lang, "zero.button.zero"), zero_callback(task_id)),
            Button(t(lang, "zero.button.incident"), incident_callback(task_id)),
        ),
    )


def incident_only(task_id: int, lang: str) -> tuple[tuple[Button, ...], ...]:
    """After the unit has answered: something may still happen today."""
    return ((Button(t(lang, "zero.button.incident"), incident_callback(task_id)),),)


# -- the routine the engine drives --------------------------------------------------------------


class ZeroReportRoutine:
    name = ROUTINE

    async def recipients(
        self, session: AsyncSession, ctx: Context, task: Task, unit: Unit | None
    ) -> list[Recipient]:
        if unit is None:
            return []
        persons = await recipients.responsible_people(session, ctx, unit)
        # The duty leader's alert is built without a session: it names the people from here.
        names = [p.display_name for p in persons]
        if task.payload.get("responsible") != names:
            task.payload = {**task.payload, "responsible": names}
        return await recipients.privately(session, ctx, persons)

    def prompt(self, task: Task, unit: Unit | None, lang: str, ctx: Context) -> OutMessage:
        text = t(
            lang,
            "zero.prompt",
            unit=_unit_name(task, unit),
            day=task.day.isoformat(),
            deadline=_hhmm(task.deadline_at, ctx.tz),
        )
        return OutMessage(text, buttons=answer_buttons(task.id, lang))

    def reminder(self, task: Task, unit: Unit | None, lang: str, ctx: Context) -> OutMessage:
        text = t(lang, "zero.reminder", unit=_unit_name(task, unit))
        return OutMessage(text, buttons=answer_buttons(task.id, lang))

    def alert(
        self, day: dt.date, missing: Sequence[tuple[Task, Unit | None]], lang: str, ctx: Context
    ) -> OutMessage:
        lines = [
            f"• {_unit_name(task, unit)}（{_people_text(task.payload.get('responsible', []), lang)}）"
            for task, unit in missing
        ]
        return OutMessage(
            t(lang, "zero.alert", day=day.isoformat(), count=len(missing), units="\n".join(lines))
        )


def _people_text(names: Sequence[str], lang: str) -> str:
    if not names:
        return t(lang, "zero.nobody_responsible")
    return t(lang, "zero.responsible", names="、".join(names))


# -- who may answer -------------------------------------------------------------------------------


def may_report_for(person: Person, unit: Unit) -> bool:
    """The unit's responsible people (a class's head teacher, a department's staff), or an
    admin answering for them."""
    if people.has_role(person, "admin"):
        return True
    roles = recipients.UNIT_RESPONSIBLE.get(unit.kind, ())
    return unit.id in people.unit_ids_with_role(person, *roles)


async def units_reported_by(session: AsyncSession, person: Person) -> list[Unit]:
    """The units this person answers for (an admin's "any unit" is not listed)."""
    wanted = {
        r.unit_id
        for r in person.roles
        if r.unit_id is not None and r.role in ("head_teacher", "staff")
    }
    found = [await session.get(Unit, unit_id) for unit_id in sorted(wanted)]
    return [u for u in found if u is not None and u.active and may_report_for(person, u)]


async def task_of_day(
    session: AsyncSession, school_id: int, unit: Unit, day: dt.date
) -> Task | None:
    return await session.scalar(
        select(Task).where(Task.school_id == school_id, Task.key == task_key(day, unit.slug))
    )


# -- answering: zero --------------------------------------------------------------------------


class Outcome(StrEnum):
    DONE = "done"
    LATE = "late"
    ALREADY = "already"  # the unit has answered; ``answered_by`` says who
    EXPIRED = "expired"  # an earlier day's report: closed
    NOT_YOURS = "not_yours"  # someone from another unit
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class Answer:
    outcome: Outcome
    unit_name: str = ""
    answered_by: str = ""
    answer: str = ""  # zero | incident: the unit's first answer of the day
    at: dt.datetime | None = None


async def record_zero(
    session: AsyncSession,
    ctx: Context,
    task_id: int,
    person: Person,
    now: dt.datetime,
    *,
    tg_chat_id: int | None = None,
    tg_message_id: int | None = None,
) -> Answer:
    """零报告: the unit's task is done (or late after the first deadline)."""
    found = await _task_with_unit(session, ctx, task_id)
    if found is None:
        return Answer(Outcome.NOT_FOUND)
    task, unit = found
    refusal = _refusal(task, unit, person, _today(now, ctx))
    if refusal is not None:
        return Answer(refusal, unit.name)
    result = await tasks.complete(
        session,
        task,
        person,
        now,
        _today(now, ctx),
        tg_chat_id=tg_chat_id,
        tg_message_id=tg_message_id,
        text=ZERO,
        payload={"answer": ZERO},
    )
    if result.outcome is tasks.Completion.ALREADY:
        return await _already(session, task, unit)
    if result.outcome not in (tasks.Completion.DONE, tasks.Completion.LATE):
        return Answer(Outcome.EXPIRED, unit.name)
    pressed = (tg_chat_id, tg_message_id) if tg_chat_id and tg_message_id else None
    await _show_others_who_answered(session, ctx, task, unit, person, ZERO, now, pressed)
    return Answer(Outcome(result.outcome.value), unit.name, person.display_name, ZERO, now)


async def _task_with_unit(
    session: AsyncSession, ctx: Context, task_id: int
) -> tuple[Task, Unit] | None:
    params = {"w_task": task_id, "w_school": ctx.school_id}
    row = (await session.execute(_TASK_WITH_UNIT, params)).first()
    return None if row is None else (row[0], row[1])


# Built once, like the hot statements in storage/zero_report.py: every press runs it.
_TASK_WITH_UNIT = (
    select(Task, Unit)
    .join(Unit, Unit.id == Task.unit_id)
    .where(
        Task.id == bindparam("w_task"),
        Task.school_id == bindparam("w_school"),
        Task.routine == ROUTINE,
    )
)


def _refusal(task: Task, unit: Unit, person: Person, today: dt.date) -> Outcome | None:
    if not may_report_for(person, unit):
        return Outcome.NOT_YOURS
    if task.day < today or task.status in ("missed", "cancelled"):
        return Outcome.EXPIRED
    return None


async def _already(session: AsyncSession, task: Task, unit: Unit) -> Answer:
    done_by = await session.get(Person, task.done_by) if task.done_by else None
    return Answer(
        Outcome.ALREADY,
        unit.name,
        done_by.display_name if done_by else "?",
        str(task.payload.get("answer", ZERO)),
        task.done_at,
    )


async def _show_others_who_answered(
    session: AsyncSession,
    ctx: Context,
    task: Task,
    unit: Unit,
    person: Person,
    answer: str,
    now: dt.datetime,
    pressed: tuple[int, int] | None,
) -> None:
    """Everyone asked sees who answered: the prompts and reminders lose their buttons and
    say so (except the message whose button was pressed: the handler edits that one);
    prompts not sent yet are not sent at all."""
    rows = await outbox.asked_about(session, ctx.school_id, task.id)
    await outbox.cancel_pending(session, [row.id for row in rows if row.status == "pending"])
    envelopes = []
    for row in rows:
        if (
            row.status == "sent"
            and row.sent_message_id
            and ((row.tg_chat_id, row.sent_message_id) != pressed)
        ):
            lang = await _language_of(session, ctx, row.person_id)
            text = t(
                lang,
                "zero.answered_by",
                unit=unit.name,
                who=person.display_name,
                answer=t(lang, f"zero.answer.{answer}"),
                time=_hhmm(now, ctx.tz),
            )
            envelopes.append(
                Envelope(
                    f"zero:answered:{task.id}:{row.id}",
                    row.tg_chat_id,
                    OutMessage(
                        text,
                        buttons=incident_only(task.id, lang),
                        edit_message_id=row.sent_message_id,
                    ),
                    now,
                    person_id=row.person_id,
                    priority=PRIORITY_BULK,
                )
            )
    await outbox.enqueue(session, ctx.school_id, envelopes, now)


async def _language_of(session: AsyncSession, ctx: Context, person_id: int | None) -> str:
    person = await session.get(Person, person_id) if person_id else None
    return (person.language if person else None) or ctx.school_language


# -- answering: an incident (有情况), step by step --------------------------------------------


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
    today = _today(now, ctx)
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
        found = await _task_with_unit(session, ctx, task_id)
        if found is None:
            return Started(Outcome.NOT_FOUND)
        task, unit = found
        refusal = _refusal(task, unit, person, today)
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
    submission_id = await incidents.draft_submission_id(
        session, ctx.school_id, incident_id, person.id
    )
    if submission_id is None:
        return False
    await incidents.add_photo(session, submission_id, photo, now)
    return True


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
    incident.status = "open"
    incident.reported_at = now
    await incidents.describe_submission(session, incident)
    # The unit's task is loaded only when this report is its first answer of the day.
    status = await tasks.status_of(session, incident.task_id) if incident.task_id else None
    task = await session.get(Task, incident.task_id) if status not in (None, *ANSWERED) else None
    if task is not None:
        result = await tasks.complete(
            session,
            task,
            person,
            now,
            _today(now, ctx),
            text=INCIDENT,
            payload={"answer": INCIDENT},
        )
        if result.outcome in (tasks.Completion.DONE, tasks.Completion.LATE):
            await _show_others_who_answered(session, ctx, task, unit, person, INCIDENT, now, None)
    roles = policy.urgent_to if incident.severity == "urgent" else policy.incident_to
    alerted = await _alert_incident(session, ctx, incident, unit, person, now, roles)
    return Submitted(Outcome.DONE, incident.id, incident.severity == "urgent", alerted)


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
    wanted = await people_told(session, ctx, roles, incident.day)
    photos = await incidents.photo_paths(session, incident)
    reporter_chat = await people.private_chat_of(session, reporter.id)
    seen = {reporter_chat.tg_chat_id} if reporter_chat is not None else set()
    envelopes = []
    for r in wanted:
        if r.tg_chat_id in seen:
            continue
        seen.add(r.tg_chat_id)
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
    return len(seen) - (1 if reporter_chat is not None else 0)


async def people_told(
    session: AsyncSession, ctx: Context, roles: Sequence[str], day: dt.date
) -> list[Recipient]:
    """The recipients of these roles ("duty_leader", "admin"), each chat once."""
    found: list[Recipient] = []
    if "duty_leader" in roles:
        found += await recipients.duty_leaders(session, ctx, day)
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
        time=_hhmm(incident.reported_at or incident.created_at, tz),
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


# -- handling an incident ---------------------------------------------------------------------


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


# -- the day at a glance: /zero and the roll-up -------------------------------------------------


@dataclass(frozen=True)
class IncidentLine:
    id: int
    unit_name: str
    severity: str
    status: str
    text: str
    place: str
    reporter: str
    reported_at: dt.datetime | None
    photos: int
    handled_note: str = ""


@dataclass(frozen=True)
class UnitRow:
    unit_name: str
    answer: str  # zero | incident | "" (not answered)
    late: bool
    answered_by: str
    answered_at: dt.datetime | None
    responsible: tuple[str, ...]
    incidents: tuple[IncidentLine, ...] = ()


@dataclass(frozen=True)
class DayReport:
    day: dt.date
    rows: list[UnitRow]
    incidents: list[IncidentLine] = field(default_factory=list)

    @property
    def expected(self) -> int:
        return len(self.rows)

    @property
    def reported(self) -> int:
        return sum(1 for r in self.rows if r.answer or r.incidents)

    @property
    def zero(self) -> int:
        return sum(1 for r in self.rows if r.answer == ZERO and not r.incidents)

    @property
    def incident_units(self) -> int:
        return sum(1 for r in self.rows if r.incidents)

    @property
    def missing(self) -> list[UnitRow]:
        return [r for r in self.rows if not r.answer and not r.incidents]


async def day_report(session: AsyncSession, ctx: Context, day: dt.date) -> DayReport:
    """Every unit asked that day, with its answer and incidents; incidents of units that had
    no task that day (a /report on a Saturday) are listed too."""
    rows = await session.execute(
        select(Task, Unit)
        .join(Unit, Unit.id == Task.unit_id)
        .where(Task.school_id == ctx.school_id, Task.day == day, Task.routine == ROUTINE)
        .order_by(Unit.kind, Unit.grade, Unit.slug)
    )
    tasks_and_units = [(task, unit) for task, unit in rows.all()]
    found = await incidents.reported_on(session, ctx.school_id, day)
    counts = await incidents.photo_counts(session, [i for i, _, _ in found])
    lines = [_incident_line(i, u, p, counts.get(i.id, 0)) for i, u, p in found]
    by_unit: dict[int, list[IncidentLine]] = defaultdict(list)
    for (incident, _, _), line in zip(found, lines, strict=True):
        by_unit[incident.unit_id].append(line)
    responsible = await _responsible_by_unit(session, ctx.school_id)
    answered_by = await _names(session, [task.done_by for task, _ in tasks_and_units])
    unit_rows = [
        UnitRow(
            unit.name,
            _answer_of(task),
            task.status == "late",
            answered_by.get(task.done_by, "") if task.done_by else "",
            task.done_at,
            tuple(responsible.get(unit.id, ())),
            tuple(by_unit.get(unit.id, ())),
        )
        for task, unit in tasks_and_units
    ]
    return DayReport(day, unit_rows, lines)


async def incident_details(
    session: AsyncSession, ctx: Context, incident_id: int
) -> IncidentLine | None:
    """One reported incident, for /incident <id>."""
    incident = await incidents.get(session, ctx.school_id, incident_id)
    if incident is None or incident.status not in incidents.REPORTED:
        return None
    unit = await session.get(Unit, incident.unit_id)
    reporter = await session.get(Person, incident.reported_by)
    if unit is None or reporter is None:
        return None
    count = len(await incidents.photos(session, incident))
    return _incident_line(incident, unit, reporter, count)


def _answer_of(task: Task) -> str:
    if task.status not in ANSWERED:
        return ""
    return str(task.payload.get("answer", ZERO))


def _incident_line(incident: Incident, unit: Unit, reporter: Person, photos: int) -> IncidentLine:
    return IncidentLine(
        incident.id,
        unit.name,
        incident.severity,
        incident.status,
        incident.text,
        incident.place,
        reporter.display_name,
        incident.reported_at,
        photos,
        incident.handled_note,
    )


async def _responsible_by_unit(session: AsyncSession, school_id: int) -> dict[int, list[str]]:
    rows = await session.execute(
        select(Role.unit_id, Role.role, Unit.kind, Person.display_name)
        .join(Person, Person.id == Role.person_id)
        .join(Unit, Unit.id == Role.unit_id)
        .where(Person.school_id == school_id, Role.role.in_(("head_teacher", "staff")))
        .order_by(Person.id)
    )
    found: dict[int, list[str]] = defaultdict(list)
    for unit_id, role, kind, name in rows.all():
        if unit_id is not None and role in recipients.UNIT_RESPONSIBLE.get(kind, ()):
            found[unit_id].append(name)
    return found


async def _names(session: AsyncSession, person_ids: Sequence[int | None]) -> dict[int, str]:
    wanted = {p for p in person_ids if p is not None}
    if not wanted:
        return {}
    rows = await session.execute(
        select(Person.id, Person.display_name).where(Person.id.in_(list(wanted)))
    )
    return {person_id: name for person_id, name in rows.all()}


def format_grid(report: DayReport, lang: str, tz: dt.tzinfo, today: dt.date) -> str:
    """The /zero answer: one line per unit, then the incidents."""
    if not report.rows and not report.incidents:
        return t(lang, "zero.grid_empty", day=report.day.isoformat())
    lines = [_counts_line(report, lang, "zero.grid_header")]
    for row in report.rows:
        lines.append(_grid_line(row, lang, tz, past=report.day < today))
    if report.incidents:
        lines.append("")
        lines.append(t(lang, "zero.incidents_header", count=len(report.incidents)))
        lines.extend(incident_text(line, lang, tz) for line in report.incidents)
    return "\n".join(lines)


def _counts_line(report: DayReport, lang: str, key: str) -> str:
    return t(
        lang,
        key,
        day=report.day.isoformat(),
        reported=report.reported,
        expected=report.expected,
        zero=report.zero,
        incident_units=report.incident_units,
        incidents=len(report.incidents),
        missing=len(report.missing),
    )


def _grid_line(row: UnitRow, lang: str, tz: dt.tzinfo, *, past: bool) -> str:
    if row.incidents:
        ids = " ".join(f"#{i.id}" for i in row.incidents)
        worst = max(row.incidents, key=lambda i: list(SEVERITY_LABELS).index(i.severity))
        return t(
            lang,
            "zero.grid_incident",
            unit=row.unit_name,
            ids=ids,
            severity=t(lang, SEVERITY_LABELS[worst.severity]),
            zero=t(lang, "zero.grid_also_zero") if row.answer == ZERO else "",
        )
    if row.answer:
        key = "zero.grid_zero_late" if row.late else "zero.grid_zero"
        time = _hhmm(row.answered_at, tz) if row.answered_at else ""
        return t(lang, key, unit=row.unit_name, who=row.answered_by, time=time)
    key = "zero.grid_missed" if past else "zero.grid_waiting"
    return t(lang, key, unit=row.unit_name, people=_people_text(row.responsible, lang))


def incident_text(line: IncidentLine, lang: str, tz: dt.tzinfo) -> str:
    summary = line.text if len(line.text) <= 60 else line.text[:59] + "…"
    return t(
        lang,
        "zero.incident_line",
        id=line.id,
        unit=line.unit_name,
        severity=t(lang, SEVERITY_LABELS.get(line.severity, "zero.sev.general")),
        status=t(lang, f"zero.status.{line.status}"),
        text=summary,
        place=line.place,
        who=line.reporter,
        time=_hhmm(line.reported_at, tz) if line.reported_at else "",
        photos=line.photos,
    )


def format_rollup(report: DayReport, lang: str, tz: dt.tzinfo) -> str:
    lines = [_counts_line(report, lang, "zero.rollup_header")]
    if report.incidents:
        lines.append(t(lang, "zero.incidents_header", count=len(report.incidents)))
        lines.extend(incident_text(line, lang, tz) for line in report.incidents)
    missing = report.missing
    if missing:
        lines.append(t(lang, "zero.missing_header", count=len(missing)))
        lines.extend(
            f"• {row.unit_name}（{_people_text(row.responsible, lang)}）" for row in missing
        )
    else:
        lines.append(t(lang, "zero.nobody_missing"))
    return "\n".join(lines)


def split_message(text: str, limit: int = 4000) -> list[str]:
    """Telegram takes 4096 characters per message; cut at line ends."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        line = line[:limit]
        if current and len(current) + 1 + len(line) > limit:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        parts.append(current)
    return parts


# -- the end-of-day roll-up ---------------------------------------------------------------------


async def send_rollup(tc: TickContext) -> int:
    """At [zero_report].rollup, the principal and the admins ([zero_report].rollup_to) get the
    day's roll-up once (the outbox keys make a second tick, a restart or a second process
    harmless)."""
    zero = tc.settings.zero_report
    rollup_at = dt.datetime.combine(tc.today, zero.rollup, tzinfo=tc.ctx.tz)
    if not zero.enabled or tc.now < rollup_at:
        return 0
    prefix = f"zero:rollup:{tc.today.isoformat()}:"
    if await _queued_already(tc.session, tc.ctx.school_id, prefix):
        return 0
    report = await day_report(tc.session, tc.ctx, tc.today)
    if not report.rows and not report.incidents:
        return 0  # not a school day and nothing reported
    envelopes = []
    for r in await people_told(tc.session, tc.ctx, zero.rollup_to, tc.today):
        for n, part in enumerate(split_message(format_rollup(report, r.language, tc.ctx.tz))):
            envelopes.append(
                Envelope(
                    f"{prefix}{r.tg_chat_id}:{n}",
                    r.tg_chat_id,
                    OutMessage(part),
                    tc.now,
                    expires_at=tc.day_end,
                    person_id=r.person_id,
                    priority=PRIORITY_ALERT,
                )
            )
    return await outbox.enqueue(tc.session, tc.ctx.school_id, envelopes, tc.now)


async def _queued_already(session: AsyncSession, school_id: int, prefix: str) -> bool:
    found = await session.scalar(
        select(Outbox.id)
        .where(Outbox.school_id == school_id, Outbox.key.startswith(prefix))
        .limit(1)
    )
    return found is not None


# -- small helpers --------------------------------------------------------------------------------


def _today(now: dt.datetime, ctx: Context) -> dt.date:
    return now.astimezone(ctx.tz).date()


def _hhmm(moment: dt.datetime, tz: dt.tzinfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def _unit_name(task: Task, unit: Unit | None) -> str:
    return unit.name if unit is not None else str(task.payload.get("target", "?"))


async def zero_overview(session: AsyncSession, ctx: Context, day: dt.date, lang: str) -> str | None:
    """/today's lines: the day's reports, who is missing, and incidents still open."""
    report = await day_report(session, ctx, day)
    lines = [_counts_line(report, lang, "zero.grid_header")] if report.rows else []
    if report.missing:
        lines.append(
            t(lang, "today.zero.missing", units="、".join(r.unit_name for r in report.missing))
        )
    open_count = (await incidents.count_by_status(session, ctx.school_id)).get("open", 0)
    lines.append(t(lang, "today.zero.open_incidents", count=open_count))
    return "\n".join(lines)


ROUTINES = [ZeroReportRoutine()]
TICK_JOBS = [send_rollup]
OVERVIEWS = [zero_overview]
