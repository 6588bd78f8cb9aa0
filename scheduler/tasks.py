"""The life of a task: planned → sent → done / late / missed / escalated / cancelled.

Every step is idempotent: tasks and outbox rows have unique keys, so a restart, a double
trigger or a second process never sends a prompt, a reminder or an alert twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.core.messages import OutMessage
from scheduler.planning import PlannedEvent
from scheduler.recipients import privately
from scheduler.routine import Context, Recipient, Routine
from storage import outbox
from storage.db import insert_rows_ignore
from storage.models import Person, Submission, Task, Unit
from storage.outbox import PRIORITY_ALERT, PRIORITY_PROMPT, Envelope

log = logging.getLogger(__name__)

OPEN = ("planned", "sent", "escalated")
ANSWERED = ("done", "late")


async def materialise(
    session: AsyncSession, school_id: int, events: Sequence[PlannedEvent], now: dt.datetime
) -> int:
    """Insert the tasks of these events that do not exist yet; returns how many were new."""
    if not events:
        return 0
    slugs = {
        u.slug: u.id for u in await session.scalars(select(Unit).where(Unit.school_id == school_id))
    }
    rows = [
        {
            "school_id": school_id,
            "key": e.key,
            "routine": e.routine,
            "kind": e.kind,
            "day": e.day,
            "unit_id": slugs.get(e.target),
            "due_at": e.at,
            "deadline_at": e.deadline,
            "escalate_at": e.second_deadline or e.deadline,
            "status": "planned",
            "theme": e.theme[:60],
            "payload": {
                "points": list(e.points),
                "minutes": e.minutes,
                "target": e.target_name,
                **dict(e.extra),
            },
            "created_at": now,
        }
        for e in events
    ]
    return await insert_rows_ignore(session, Task, rows)


async def prompt_due(
    session: AsyncSession,
    ctx: Context,
    routines: Mapping[str, Routine],
    today: dt.date,
    now: dt.datetime,
    day_end: dt.datetime,
) -> int:
    """Queue the prompt of every task of today that is due; the outbox row expires at the
    end of the day, so a prompt that could not leave today is never sent tomorrow."""
    due = await _due_today(
        session, ctx, routines, today, Task.status == "planned", Task.due_at <= now
    )
    return await _queue_each(session, ctx, routines, due, now, day_end, reminder=False)


async def remind_due(
    session: AsyncSession,
    ctx: Context,
    routines: Mapping[str, Routine],
    today: dt.date,
    now: dt.datetime,
    day_end: dt.datetime,
) -> int:
    """One reminder per open task once its first deadline has passed."""
    due = await _due_today(
        session,
        ctx,
        routines,
        today,
        Task.status == "sent",
        Task.deadline_at <= now,
        Task.reminded_at.is_(None),
    )
    return await _queue_each(session, ctx, routines, due, now, day_end, reminder=True)


async def _queue_each(
    session: AsyncSession,
    ctx: Context,
    routines: Mapping[str, Routine],
    due: Sequence[tuple[Task, Unit | None]],
    now: dt.datetime,
    day_end: dt.datetime,
    *,
    reminder: bool,
) -> int:
    """Each due task's prompt (sent at its due time) or reminder (now) to its recipients,
    and the task marked sent or reminded."""
    envelopes: list[Envelope] = []
    queued: list[tuple[Task, Unit | None, int]] = []
    for task, unit in due:
        routine = routines[task.routine]
        recipients = await routine.recipients(session, ctx, task, unit)
        if reminder:
            envelopes += _to_each(
                "remind", task, unit, ctx, recipients, now, day_end, routine.reminder
            )
            task.reminded_at = now
        else:
            envelopes += _to_each(
                "prompt", task, unit, ctx, recipients, task.due_at, day_end, routine.prompt
            )
            task.status = "sent"
            task.sent_at = now
            if not recipients:
                task.payload = {**task.payload, "no_recipient": True}
        queued.append((task, unit, len(recipients)))
    await outbox.enqueue(session, ctx.school_id, envelopes, now)
    _log_queued("reminder" if reminder else "prompt", queued)
    return len(due)


async def escalate_due(
    session: AsyncSession,
    ctx: Context,
    routines: Mapping[str, Routine],
    today: dt.date,
    now: dt.datetime,
    day_end: dt.datetime,
    alert_to: Sequence[Recipient],
) -> int:
    """One alert per routine and day to the duty leaders, listing what is still missing."""
    due = await _due_today(
        session,
        ctx,
        routines,
        today,
        Task.status.in_(("sent", "planned")),
        Task.escalate_at <= now,
        Task.escalated_at.is_(None),
    )
    by_routine: dict[str, list[tuple[Task, Unit | None]]] = defaultdict(list)
    for task, unit in due:
        by_routine[task.routine].append((task, unit))
    envelopes = []
    for name, missing in by_routine.items():
        routine = routines[name]
        stamp = min(t.escalate_at for t, _ in missing).astimezone(ctx.tz).strftime("%H%M")
        for r in alert_to:
            envelopes.append(
                Envelope(
                    key=f"alert:{name}:{today.isoformat()}:{stamp}:{r.tg_chat_id}",
                    tg_chat_id=r.tg_chat_id,
                    message=routine.alert(today, missing, r.language, ctx),
                    send_after=now,
                    expires_at=day_end,
                    person_id=r.person_id,
                    priority=PRIORITY_ALERT,
                )
            )
        log.info(
            "queued %s alert of %s: %d missing, to %d duty leader(s)",
            name,
            today,
            len(missing),
            len(alert_to),
        )
        for task, _ in missing:
            task.status = "escalated"
            task.escalated_at = now
    await outbox.enqueue(session, ctx.school_id, envelopes, now)
    return sum(len(m) for m in by_routine.values())


async def close_past_days(session: AsyncSession, school_id: int, today: dt.date) -> int:
    """Tasks of earlier days that nobody answered are missed; they are never prompted again."""
    result = await session.execute(
        update(Task)
        .where(Task.school_id == school_id, Task.day < today, Task.status.in_(OPEN))
        .values(status="missed")
    )
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


class Completion(StrEnum):
    DONE = "done"
    LATE = "late"
    ALREADY = "already"
    EXPIRED = "expired"  # an earlier day's task: the record is closed
    CANCELLED = "cancelled"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class CompletionResult:
    outcome: Completion
    task: Task | None = None
    done_by: Person | None = None


async def complete(
    session: AsyncSession,
    task: Task,
    person: Person,
    now: dt.datetime,
    today: dt.date,
    *,
    tg_chat_id: int | None = None,
    tg_message_id: int | None = None,
    text: str = "",
    payload: dict[str, Any] | None = None,
) -> CompletionResult:
    """Mark a task done (or late, after its deadline) and keep the press as a submission;
    ``payload`` is merged into the task's (one UPDATE with the status)."""
    if task.status in ANSWERED:
        return await _answered_already(session, task)
    if task.status == "cancelled":
        return CompletionResult(Completion.CANCELLED, task)
    if task.day < today:
        return CompletionResult(Completion.EXPIRED, task)
    status = "done" if now <= task.deadline_at else "late"
    values = {
        "status": status,
        "done_at": now,
        "done_by": person.id,
        "payload": {**task.payload, **payload} if payload else task.payload,
    }
    # Core statements on the session's connection: a button press is the commonest thing a
    # bot writes, and the ORM's unit of work cost more than both statements together.
    connection = await session.connection()
    updated = await connection.execute(
        _COMPLETE, {"w_task": task.id, **{f"v_{k}": v for k, v in values.items()}}
    )
    if not updated.rowcount:  # answered by someone else since it was read
        await session.refresh(task)
        return await _answered_already(session, task)
    for name, value in values.items():
        set_committed_value(task, name, value)  # what the row now holds, not a change
    await connection.execute(
        _PRESS,
        {
            "v_school": task.school_id,
            "v_task": task.id,
            "v_person": person.id,
            "v_text": text,
            "v_data": {"status": status},
            "v_chat": tg_chat_id,
            "v_message": tg_message_id,
            "v_created_at": now,
        },
    )
    return CompletionResult(Completion(status), task, person)


async def _answered_already(session: AsyncSession, task: Task) -> CompletionResult:
    done_by = await session.get(Person, task.done_by) if task.done_by else None
    return CompletionResult(Completion.ALREADY, task, done_by)


_STATUS = select(Task.status).where(Task.id == bindparam("w_task"))


async def status_of(session: AsyncSession, task_id: int) -> str | None:
    connection = await session.connection()
    return (await connection.execute(_STATUS, {"w_task": task_id})).scalar()


_COMPLETE = (
    update(Task)
    .where(Task.id == bindparam("w_task"), Task.status.not_in((*ANSWERED, "cancelled")))
    .values(
        status=bindparam("v_status"),
        done_at=bindparam("v_done_at"),
        done_by=bindparam("v_done_by"),
        payload=bindparam("v_payload"),
    )
)
_PRESS = insert(Submission).values(
    school_id=bindparam("v_school"),
    task_id=bindparam("v_task"),
    person_id=bindparam("v_person"),
    kind="button",
    text=bindparam("v_text"),
    data=bindparam("v_data"),
    tg_chat_id=bindparam("v_chat"),
    tg_message_id=bindparam("v_message"),
    created_at=bindparam("v_created_at"),
)


async def privately_named(
    session: AsyncSession, ctx: Context, task: Task, persons: list[Person]
) -> list[Recipient]:
    """A routine's recipients: the people's private chats. Their names are kept on the task,
    because the duty leader's alert is built without a session and names them from there."""
    names = [p.display_name for p in persons]
    if task.payload.get("responsible") != names:
        task.payload = {**task.payload, "responsible": names}
    return await privately(session, ctx, persons)


def _log_queued(step: str, sent: Sequence[tuple[Task, Unit | None, int]]) -> None:
    """An admin reads in the log that the bot is alive on schedule: one line per routine
    event queued, naming the units nobody could be told of (not onboarded, or blocked)."""
    by_event: dict[tuple[str, str], list[tuple[Task, Unit | None, int]]] = defaultdict(list)
    for task, unit, chats in sent:
        by_event[(task.routine, task.kind)].append((task, unit, chats))
    for (routine, kind), rows in by_event.items():
        unreached = [
            unit.slug if unit else str(task.payload.get("target", "-"))
            for task, unit, n in rows
            if not n
        ]
        log.info(
            "queued %s %s %s: %d task(s), %d chat(s)%s",
            routine,
            kind,
            step,
            len(rows),
            sum(n for _, _, n in rows),
            f"; nobody to tell for {len(unreached)}: {', '.join(unreached[:10])}"
            + ("…" if len(unreached) > 10 else "")
            if unreached
            else "",
        )


def _to_each(
    step: str,
    task: Task,
    unit: Unit | None,
    ctx: Context,
    recipients: Sequence[Recipient],
    send_after: dt.datetime,
    day_end: dt.datetime,
    render: Callable[[Task, Unit | None, str, Context], OutMessage],
) -> list[Envelope]:
    """One outbox row per recipient of a task's prompt or reminder, in their language."""
    return [
        Envelope(
            key=f"{step}:{task.key}:{r.tg_chat_id}",
            tg_chat_id=r.tg_chat_id,
            message=render(task, unit, r.language, ctx),
            send_after=send_after,
            expires_at=day_end,
            task_id=task.id,
            person_id=r.person_id,
            priority=PRIORITY_PROMPT,
        )
        for r in recipients
    ]


async def _due_today(
    session: AsyncSession,
    ctx: Context,
    routines: Mapping[str, Routine],
    today: dt.date,
    *conditions: object,
) -> list[tuple[Task, Unit | None]]:
    """Today's tasks of these routines that meet the conditions, with their units."""
    query = (
        select(Task, Unit)
        .outerjoin(Unit, Unit.id == Task.unit_id)
        .where(
            Task.school_id == ctx.school_id,
            Task.day == today,
            *conditions,  # type: ignore[arg-type]
            Task.routine.in_(list(routines)),
        )
        .order_by(Task.due_at, Unit.grade, Unit.slug, Task.id)
    )
    return [(task, unit) for task, unit in (await session.execute(query)).all()]
