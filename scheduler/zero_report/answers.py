"""Who may answer for a unit, and answering zero (零报告): the unit's task is done and
everyone asked sees who answered."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.messages import OutMessage
from scheduler import recipients, tasks
from scheduler.routine import Context
from scheduler.rules.zero_report import task_key
from scheduler.zero_report.buttons import incident_only
from scheduler.zero_report.common import ROUTINE, ZERO, hhmm, today_of
from storage import outbox, people
from storage.models import Person, Task, Unit
from storage.outbox import PRIORITY_BULK, Envelope

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
    found = await task_with_unit(session, ctx, task_id)
    if found is None:
        return Answer(Outcome.NOT_FOUND)
    task, unit = found
    refusal = refusal_of(task, unit, person, today_of(now, ctx))
    if refusal is not None:
        return Answer(refusal, unit.name)
    result = await tasks.complete(
        session,
        task,
        person,
        now,
        today_of(now, ctx),
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
    await show_others_who_answered(session, ctx, task, unit, person, ZERO, now, pressed)
    return Answer(Outcome(result.outcome.value), unit.name, person.display_name, ZERO, now)


async def task_with_unit(
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


def refusal_of(task: Task, unit: Unit, person: Person, today: dt.date) -> Outcome | None:
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


async def show_others_who_answered(
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
                time=hhmm(now, ctx.tz),
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
