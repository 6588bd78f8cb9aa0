"""The "1530" safety-education routine: prompts, reminders and the duty leader's alert."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.callbacks import CallbackData
from bot.core.i18n import t
from bot.core.messages import OutMessage, single_button
from scheduler import recipients, tasks
from scheduler.routine import Context, Recipient
from storage import people, submissions
from storage.db import SessionFactory
from storage.models import Chat, Outbox, Person, Task, Unit
from storage.submissions import ReceivedFile

KIND_KEYS = {
    "daily": "edu.kind.daily",
    "weekly": "edu.kind.weekly",
    "weekend": "edu.kind.weekend",
    "holiday": "edu.kind.holiday",
}


class DoneAction(StrEnum):
    DONE = "done"


@dataclass(frozen=True)
class DonePress(CallbackData, prefix="edu", legacy=("t",)):
    """A 1530 prompt's or reminder's Done button: ``edu:<task>:done`` (``t:<task>:done``
    before the callback codec, still answered: the layout is the same)."""

    task_id: int
    action: DoneAction = DoneAction.DONE


class EducationRoutine:
    name = "education"

    async def recipients(
        self, session: AsyncSession, ctx: Context, task: Task, unit: Unit | None
    ) -> list[Recipient]:
        return await recipients.unit_group_or_people(session, ctx, unit, task.day)

    def prompt(self, task: Task, unit: Unit | None, lang: str, ctx: Context) -> OutMessage:
        points = "\n".join(f"• {p}" for p in task.payload.get("points", []))
        deadline = _hhmm(task.deadline_at, ctx)
        text = t(
            lang, "edu.prompt", **_about(task, unit, lang), points=points or "•", deadline=deadline
        )
        drill = task.payload.get("drill")  # set by the drills' settle job on a drill day
        if drill:
            text += "\n" + t(lang, "edu.drill_today", theme=drill["theme"], time=drill["time"])
        return _with_done(text, task, lang)

    def reminder(self, task: Task, unit: Unit | None, lang: str, ctx: Context) -> OutMessage:
        return _with_done(t(lang, "edu.reminder", **_about(task, unit, lang)), task, lang)

    def alert(
        self, day: dt.date, missing: Sequence[tuple[Task, Unit | None]], lang: str, ctx: Context
    ) -> OutMessage:
        lines = []
        for task, unit in missing:
            line = f"• {_unit_name(task, unit)} — {t(lang, KIND_KEYS.get(task.kind, 'edu.kind.daily'))}"
            if task.payload.get("no_recipient"):
                line += " " + t(lang, "edu.no_recipient")
            lines.append(line)
        return OutMessage(
            t(lang, "edu.alert", day=day.isoformat(), count=len(missing), units="\n".join(lines))
        )


def _about(task: Task, unit: Unit | None, lang: str) -> dict[str, str]:
    """What a prompt and a reminder say of the task: its kind, class and theme."""
    kind = t(lang, KIND_KEYS.get(task.kind, "edu.kind.daily"))
    return {"kind": kind, "unit": _unit_name(task, unit), "theme": task.theme}


def _with_done(text: str, task: Task, lang: str) -> OutMessage:
    """The prompt's or the reminder's text with its 已完成 button."""
    return OutMessage(
        text, buttons=single_button(t(lang, "edu.button.done"), DonePress(task.id).pack())
    )


def _unit_name(task: Task, unit: Unit | None) -> str:
    return unit.name if unit is not None else str(task.payload.get("target", "?"))


def _hhmm(moment: dt.datetime, ctx: Context) -> str:
    return moment.astimezone(ctx.tz).strftime("%H:%M")


ROUTINES = [EducationRoutine()]


# -- answers: the Done button and the photo of the class (handlers/education.py) -----------------


def may_answer_for(person: Person, task: Task) -> bool:
    """The class's head teacher (or a department's staff), or an admin answering for them."""
    if people.has_role(person, "admin"):
        return True
    return task.unit_id in people.unit_ids_with_role(person, "head_teacher", "staff")


class Outcome(StrEnum):
    DONE = "done"
    LATE = "late"  # after the first deadline
    ALREADY = "already"  # answered before: ``done_by`` says who
    EXPIRED = "expired"  # no such task of this school, an earlier day's, or cancelled
    STALE = "stale"  # another routine's task: only that routine's buttons answer for it
    NOT_YOURS = "not_yours"  # neither the class's teacher nor an admin


@dataclass(frozen=True)
class Confirmation:
    outcome: Outcome
    kind: str = ""  # the task's kind (daily, weekly …): KIND_KEYS names it
    unit_name: str = ""
    done_by: str = ""


async def confirm_done(
    sessions: SessionFactory,
    school_id: int,
    task_id: int,
    person: Person,
    now: dt.datetime,
    today: dt.date,
    *,
    tg_chat_id: int | None = None,
    tg_message_id: int | None = None,
) -> Confirmation:
    """The Done button of a 1530 prompt: the class's task done (late after its deadline),
    the press kept; in a transaction of its own."""
    async with sessions.begin() as session:
        task = await session.get(Task, task_id)
        if task is None or task.school_id != school_id:
            return Confirmation(Outcome.EXPIRED)
        if task.routine != EducationRoutine.name:
            return Confirmation(Outcome.STALE)
        if not may_answer_for(person, task):
            return Confirmation(Outcome.NOT_YOURS)
        result = await tasks.complete(
            session, task, person, now, today, tg_chat_id=tg_chat_id, tg_message_id=tg_message_id
        )
        unit = await session.get(Unit, task.unit_id) if task.unit_id else None
    unit_name = unit.name if unit else ""
    match result.outcome:
        case tasks.Completion.DONE | tasks.Completion.LATE:
            return Confirmation(Outcome(result.outcome.value), task.kind, unit_name)
        case tasks.Completion.ALREADY:
            who = result.done_by.display_name if result.done_by else "?"
            return Confirmation(Outcome.ALREADY, task.kind, unit_name, who)
        case _:
            return Confirmation(Outcome.EXPIRED, task.kind, unit_name)


@dataclass(frozen=True)
class PhotoTarget:
    """The 1530 task a photo is the evidence of."""

    task_id: int
    unit_id: int | None


async def photo_target(
    sessions: SessionFactory,
    school_id: int,
    person: Person,
    *,
    tg_chat_id: int,
    private: bool,
    reply_to_bot: int | None,
    today: dt.date,
    now: dt.datetime,
) -> PhotoTarget | None:
    """The prompt the photo replies to (``reply_to_bot``: the id of the bot's message it
    answers), or else the class's latest prompt due today: the group's class, or in private
    the sender's classes. None: a group's ordinary chatter, or a private photo of no task."""
    async with sessions() as session:
        task = None
        if reply_to_bot is not None:
            task = await _replied_to(session, school_id, person, tg_chat_id, reply_to_bot)
        if task is None:
            task = await _latest_due(session, school_id, person, tg_chat_id, private, today, now)
    return PhotoTarget(task.id, task.unit_id) if task is not None else None


async def _replied_to(
    session: AsyncSession, school_id: int, person: Person, tg_chat_id: int, reply_to_bot: int
) -> Task | None:
    """The task whose prompt the photo replies to, if the person may answer it."""
    task = await session.scalar(
        select(Task)
        .join(Outbox, Outbox.task_id == Task.id)
        .where(
            Outbox.school_id == school_id,
            Outbox.tg_chat_id == tg_chat_id,
            Outbox.sent_message_id == reply_to_bot,
            Task.routine == EducationRoutine.name,
        )
    )
    return task if task is not None and may_answer_for(person, task) else None


async def _latest_due(
    session: AsyncSession,
    school_id: int,
    person: Person,
    tg_chat_id: int,
    private: bool,
    today: dt.date,
    now: dt.datetime,
) -> Task | None:
    """The class's latest prompt due today: the group's class, or in private the person's."""
    unit_ids = people.unit_ids_with_role(person, "head_teacher")
    if not private:
        chat = await session.scalar(
            select(Chat).where(Chat.school_id == school_id, Chat.tg_chat_id == tg_chat_id)
        )
        if chat is None or chat.unit_id is None:
            return None
        if chat.unit_id not in unit_ids and not people.has_role(person, "admin"):
            return None
        unit_ids = {chat.unit_id}
    if not unit_ids:
        return None
    return await session.scalar(
        select(Task)
        .where(
            Task.school_id == school_id,
            Task.routine == EducationRoutine.name,
            Task.day == today,
            Task.unit_id.in_(unit_ids),
            Task.due_at <= now,
            Task.status != "cancelled",
        )
        .order_by(Task.due_at.desc(), Task.id.desc())
        .limit(1)
    )


class Kept(StrEnum):
    SAVED = "saved"  # the class's evidence for its task
    UNLINKED = "unlinked"  # a registered person's private photo of no task, kept all the same


@dataclass(frozen=True)
class PhotoKept:
    outcome: Kept
    unit_name: str = ""


async def keep_photo(
    sessions: SessionFactory,
    school_id: int,
    person: Person,
    target: PhotoTarget | None,
    photo: ReceivedFile,
    now: dt.datetime,
    *,
    caption: str,
    tg_chat_id: int,
    tg_message_id: int,
) -> PhotoKept:
    """The photo kept as a submission of the task (or of none), in its own transaction."""
    async with sessions.begin() as session:
        await submissions.add(
            session,
            school_id,
            person.id,
            "photo",
            now,
            task_id=target.task_id if target else None,
            text=caption,
            tg_chat_id=tg_chat_id,
            tg_message_id=tg_message_id,
            files=[photo],
        )
        unit = await session.get(Unit, target.unit_id) if target and target.unit_id else None
    if target is None:
        return PhotoKept(Kept.UNLINKED)
    return PhotoKept(Kept.SAVED, unit.name if unit else "")
