"""What handlers/zero_report.py calls: one service per press, answer or command.

Each takes the session factory and plain values, owns its transaction and returns what the
reply needs; the handler answers after it (the database is never held during a Bot API
call). They are built of the session-level steps in ``answers``, ``incidents``, ``handling``
and ``day_report``, which the tests, the tick jobs and the other routines use directly.

The incident conversation's step lives with the chat (bot/fsm_storage.py): a service that
saves an answer moves the conversation on in the same transaction with the handler's
``MoveTo``, so a restart resumes at the step after the last answer saved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.messages import OutMessage
from bot.core.settings import ZeroReportSettings
from scheduler.routine import Context
from scheduler.transactions import reading, writing
from scheduler.zero_report.answers import (
    Outcome,
    record_zero,
    task_of_day,
    units_reported_by,
)
from scheduler.zero_report.buttons import answer_buttons, incident_only, unit_incident_only
from scheduler.zero_report.common import ANSWERED, ZERO, hhmm
from scheduler.zero_report.day_report import day_report, incident_details
from scheduler.zero_report.handling import handle
from scheduler.zero_report.incidents import (
    Started,
    Step,
    add_photo,
    cancel_draft,
    draft_summary,
    save_answer,
    start_incident,
    submit_incident,
)
from storage.db import SessionFactory
from storage.models import Person, Unit
from storage.zero_report import DraftSummary

# Moves the reporter's conversation to a step (None: it ends; data None: kept as it is),
# inside the caller's transaction: the handler binds handlers/conversation.py's move_to to the chat.
MoveTo = Callable[[AsyncSession, Step | None, dict[str, Any] | None], Awaitable[None]]

# The answer each step saves (the draft's column of the same name) and the step after it.
_NEXT_STEP = {Step.TEXT: Step.PLACE, Step.PLACE: Step.SEVERITY, Step.SEVERITY: Step.PHOTOS}


# -- the prompt's buttons -----------------------------------------------------------------------


answer_zero = writing(record_zero)  # 零报告 pressed: ``record_zero``


async def begin_incident(
    sessions: SessionFactory,
    ctx: Context,
    person: Person,
    now: dt.datetime,
    move: MoveTo,
    *,
    task_id: int | None = None,
    unit_id: int | None = None,
    tg_chat_id: int | None = None,
) -> Started:
    """有情况 pressed: a new draft (``start_incident``) and the conversation at its first
    step, remembering the draft, in one transaction."""
    async with sessions.begin() as session:
        started = await start_incident(
            session, ctx, person, now, task_id=task_id, unit_id=unit_id, tg_chat_id=tg_chat_id
        )
        if started.outcome is Outcome.DONE:
            await move(session, Step.TEXT, {"incident_id": started.incident_id})
    return started


# -- the conversation ---------------------------------------------------------------------------


async def answer_step(
    sessions: SessionFactory,
    ctx: Context,
    incident_id: int,
    person: Person,
    step: Step,
    answer: str,
    move: MoveTo,
) -> bool:
    """The answer of a step (text, place or severity) kept in the person's own draft and
    the conversation at the next step, in one transaction; False when the draft is gone
    (sent, cancelled, someone else's)."""
    async with sessions.begin() as session:
        if not await save_answer(session, ctx, incident_id, person, **{step.value: answer}):
            return False
        await move(session, _NEXT_STEP[step], None)
    return True


keep_photo = writing(add_photo)  # one photo of the person's draft (False: the draft is gone)


async def photos_done(
    sessions: SessionFactory, ctx: Context, incident_id: int, person: Person, move: MoveTo
) -> DraftSummary | None:
    """No (more) photos: the draft's summary to confirm, and the conversation at its last
    step; None when the draft is gone."""
    async with sessions.begin() as session:
        summary = await draft_summary(session, ctx, incident_id, person)
        if summary is not None:
            await move(session, Step.CONFIRM, None)
    return summary


class Finish(StrEnum):
    SENT = "sent"  # submitted: the alerts are in the outbox
    CANCELLED = "cancelled"
    GONE = "gone"  # sent or cancelled already, incomplete, or someone else's


@dataclass(frozen=True)
class Finished:
    outcome: Finish
    urgent: bool = False


async def finish_incident(
    sessions: SessionFactory,
    ctx: Context,
    incident_id: int,
    person: Person,
    now: dt.datetime,
    move: MoveTo,
    *,
    send: bool,
    policy: ZeroReportSettings,
) -> Finished:
    """The summary's 发送 (``submit_incident``) or 取消 (``cancel_draft``); the conversation
    ends with what it did, in the same transaction."""
    async with sessions.begin() as session:
        if send:
            submitted = await submit_incident(session, ctx, incident_id, person, now, policy)
            finished = (
                Finished(Finish.SENT, submitted.urgent)
                if submitted.outcome is Outcome.DONE
                else Finished(Finish.GONE)
            )
        elif await cancel_draft(session, ctx, incident_id, person):
            finished = Finished(Finish.CANCELLED)
        else:
            finished = Finished(Finish.GONE)
        await move(session, None, {})
    return finished


# -- /report, /incident, /zero --------------------------------------------------------------------


async def report_menus(
    sessions: SessionFactory, ctx: Context, person: Person, today: dt.date, lang: str
) -> list[OutMessage]:
    """/report: for each unit the person answers for, today's state and its buttons (零报告
    and 有情况 while unanswered, 有情况 after; 有情况 alone on a day without a task). Empty
    when the person answers for no unit."""
    async with sessions() as session:
        units = await units_reported_by(session, person)
        return [await _report_menu(session, ctx, unit, today, lang) for unit in units]


async def _report_menu(
    session: AsyncSession, ctx: Context, unit: Unit, today: dt.date, lang: str
) -> OutMessage:
    task = await task_of_day(session, ctx.school_id, unit, today)
    if task is None or task.status in ("missed", "cancelled"):
        text = t(lang, "zero.report_no_task", unit=unit.name)
        return OutMessage(text, buttons=unit_incident_only(unit.id, lang))
    if task.status not in ANSWERED:
        state = t(lang, "zero.report_state_waiting")
        text = t(lang, "zero.report_menu", unit=unit.name, state=state)
        return OutMessage(text, buttons=answer_buttons(task.id, lang))
    done_by = await session.get(Person, task.done_by) if task.done_by else None
    state = t(
        lang,
        "zero.report_state_done",
        who=done_by.display_name if done_by else "?",
        answer=t(lang, f"zero.answer.{task.payload.get('answer', ZERO)}"),
        time=hhmm(task.done_at, ctx.tz) if task.done_at else "",
    )
    text = t(lang, "zero.report_menu", unit=unit.name, state=state)
    return OutMessage(text, buttons=incident_only(task.id, lang))


handle_incident = writing(handle)  # /incident <id> done … or note …
show_incident = reading(incident_details)  # /incident <id>: one reported incident
day_grid = reading(day_report)  # /zero [day]: every unit asked that day, its answers, incidents
