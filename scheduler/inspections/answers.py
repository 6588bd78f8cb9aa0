"""An item answered: 正常, 有隐患 (a hazard draft with the item, its category and place filled
in, which the finder then describes as any hazard), or 其余全部正常. The last answer completes
the task. The task row is locked while its answers change, so two presses at once both count."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import OutMessage
from bot.core.settings import InspectionSettings
from scheduler import hazards, tasks
from scheduler.hazards.services import Move, Step
from scheduler.inspections.common import ROUTINE, Choice, Press, answers_of, items_of
from scheduler.inspections.routine import InspectionRoutine, owners
from scheduler.routine import Context
from storage.db import SessionFactory
from storage.models import Person, Task, Unit
from storage.people import has_role


class Outcome(StrEnum):
    NOTED = "noted"  # the item is answered; others are still open
    COMPLETED = "completed"  # that was the last one: the check is done
    HAZARD = "hazard"  # a hazard draft was opened: the finder describes it next
    ALREADY = "already"  # this item (or the whole check) was answered already
    EXPIRED = "expired"  # an earlier day's check: its record is closed
    NOT_ALLOWED = "not_allowed"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class Answered:
    outcome: Outcome
    task: Task | None = None
    unit: Unit | None = None
    hazard_id: int = 0
    item: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


async def answer(
    session: AsyncSession,
    ctx: Context,
    press: Press,
    person: Person,
    now: dt.datetime,
    policy: InspectionSettings,
    *,
    tg_chat_id: int | None = None,
) -> Answered:
    task = await session.scalar(
        select(Task)
        .where(Task.id == press.task_id, Task.school_id == ctx.school_id, Task.routine == ROUTINE)
        .with_for_update()
    )
    items = items_of(task) if task else []
    if task is None or press.index >= len(items):
        return Answered(Outcome.NOT_FOUND)
    unit = await session.get(Unit, task.unit_id) if task.unit_id else None
    if not await _may_answer(session, ctx, task, unit, person):
        return Answered(Outcome.NOT_ALLOWED, task, unit)
    answers = answers_of(task)
    if task.status in (*tasks.ANSWERED, "cancelled") or str(press.index) in answers:
        return Answered(Outcome.ALREADY, task, unit)
    today = now.astimezone(ctx.tz).date()
    if task.day < today or task.status == "missed":
        return Answered(Outcome.EXPIRED, task, unit)

    stamp = {"by": person.id, "at": now.isoformat()}
    result = Answered(Outcome.NOTED, task, unit)
    if press.choice is Choice.HAZARD:
        item = items[press.index]
        area = policy.area(item.area)
        started = await hazards.start(
            session,
            ctx,
            person,
            now,
            item=f"{area.zh if area else ''}·{item.zh}".lstrip("·"),
            category=area.category if area else "",
            place=area.place if area else "",
            tg_chat_id=tg_chat_id,
        )
        if started.outcome is not hazards.Outcome.DONE:
            return Answered(Outcome.NOT_ALLOWED, task, unit)
        answers[str(press.index)] = {"a": Choice.HAZARD.value, "hazard": started.hazard_id, **stamp}
        result = Answered(Outcome.HAZARD, task, unit, started.hazard_id, item.zh)
    elif press.choice is Choice.OK:
        answers[str(press.index)] = {"a": Choice.OK.value, **stamp}
    else:
        for i in range(len(items)):
            answers.setdefault(str(i), {"a": Choice.OK.value, **stamp})

    if len(answers) < len(items):
        task.payload = {**task.payload, "answers": answers}
        return result
    done = await tasks.complete(
        session, task, person, now, today, tg_chat_id=tg_chat_id, payload={"answers": answers}
    )
    if done.outcome not in (tasks.Completion.DONE, tasks.Completion.LATE):
        return Answered(Outcome.ALREADY, task, unit)
    if result.outcome is Outcome.HAZARD:
        return result  # the finder's next step is the hazard; the check is done all the same
    return Answered(Outcome.COMPLETED, task, unit)


async def _may_answer(
    session: AsyncSession, ctx: Context, task: Task, unit: Unit | None, person: Person
) -> bool:
    """The check's owners, and the principal (admins) for any check."""
    if has_role(person, "admin"):
        return True
    return any(p.id == person.id for p in await owners(session, ctx, task, unit))


def hazards_found(task: Task) -> list[int]:
    return [int(a["hazard"]) for a in answers_of(task).values() if a.get("a") == Choice.HAZARD]


async def abandon(
    session: AsyncSession, ctx: Context, hazard_id: int, person: Person, now: dt.datetime
) -> Answered:
    """/cancel while describing the hazard 有隐患 opened: the draft is cancelled and its item
    unchecked again (the check reopened if that answer had completed it), so a checklist never
    names a hazard that was not raised. NOT_FOUND when the draft is not the person's (or was
    not opened from today's check)."""
    if not await hazards.cancel(session, ctx, hazard_id, person):
        return Answered(Outcome.NOT_FOUND)
    today = now.astimezone(ctx.tz).date()
    checks = await session.scalars(
        select(Task)
        .where(Task.school_id == ctx.school_id, Task.routine == ROUTINE, Task.day == today)
        .order_by(Task.id)
        .with_for_update()
    )
    for task in checks:
        answers = answers_of(task)
        key = next((k for k, a in answers.items() if a.get("hazard") == hazard_id), None)
        if key is None:
            continue
        del answers[key]
        task.payload = {**task.payload, "answers": answers}
        if task.status in tasks.ANSWERED:  # that answer had completed it
            task.status, task.done_at, task.done_by = "sent", None, None
        unit = await session.get(Unit, task.unit_id) if task.unit_id else None
        return Answered(Outcome.NOTED, task, unit)
    return Answered(Outcome.NOT_FOUND)


# -- the services handlers call (each in a transaction of its own) ------------------------------


@dataclass(frozen=True)
class Pressed:
    """An item's button answered: the outcome, and the prompt as it now stands."""

    outcome: Outcome
    prompt: OutMessage | None = None  # redrawn with the items still open (None: no task)
    found: int = 0  # hazards raised from the check so far
    total: int = 0  # its items
    hazard_id: int = 0
    item: str = ""


async def press(
    sessions: SessionFactory,
    ctx: Context,
    pressed: Press,
    person: Person,
    now: dt.datetime,
    policy: InspectionSettings,
    lang: str,
    moved: Move,
    *,
    tg_chat_id: int | None = None,
) -> Pressed:
    """正常, 有隐患 or 其余全部正常 pressed; 有隐患 moves the finder's conversation to the
    hazard's first question in the same transaction."""
    async with sessions.begin() as session:
        result = await answer(session, ctx, pressed, person, now, policy, tg_chat_id=tg_chat_id)
        if result.outcome is Outcome.HAZARD:
            await moved(session, Step.WHAT, {"hazard_id": result.hazard_id})
        # The prompt as it now stands, drawn while the task is at hand.
        if result.task is None:
            return Pressed(result.outcome, hazard_id=result.hazard_id, item=result.item)
        return Pressed(
            result.outcome,
            InspectionRoutine().prompt(result.task, result.unit, lang, ctx),
            len(hazards_found(result.task)),
            len(items_of(result.task)),
            result.hazard_id,
            result.item,
        )


async def cancel_draft(
    sessions: SessionFactory,
    ctx: Context,
    hazard_id: int,
    person: Person | None,
    now: dt.datetime,
    lang: str,
    moved: Move,
) -> OutMessage | None:
    """/cancel while raising a hazard: the draft cancelled and the conversation ended; when
    an item's 有隐患 opened it, that item is unchecked again and the check's prompt comes
    back to be sent anew (None otherwise)."""
    async with sessions.begin() as session:
        result = (
            await abandon(session, ctx, hazard_id, person, now)
            if person is not None
            else Answered(Outcome.NOT_FOUND)
        )
        redrawn = (
            InspectionRoutine().prompt(result.task, result.unit, lang, ctx)
            if result.task is not None
            else None
        )
        await moved(session, None, {})
    return redrawn
