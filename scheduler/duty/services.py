"""What the duty handlers (handlers/duty/) call: each service opens its own transaction,
does one thing of the roster, a swap, the handover or a patrol, and returns what the reply
needs. The handlers answer after it has returned, so the database is never held during a
Bot API call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from scheduler.duty import handover as handovers
from scheduler.duty import patrol as patrols
from scheduler.duty import roster
from scheduler.duty import swap as swaps
from scheduler.duty.buttons import HandoverStep
from scheduler.duty.roster import Problem, RosterImport, Table
from scheduler.routine import Context
from scheduler.transactions import reading
from storage import duty as store
from storage.db import SessionFactory
from storage.models import Person
from storage.submissions import ReceivedFile

# --- the roster --------------------------------------------------------------------------


roster_of = reading(roster.roster_text)  # /duty: each day's posts and who holds them


class Change(StrEnum):
    DONE = "done"
    REFUSED = "refused"  # ``problem`` says why; nothing changed


@dataclass(frozen=True)
class PostSet:
    outcome: Change
    problem: Problem | None = None
    roster: str = ""  # the day's roster after the change


async def set_post(
    sessions: SessionFactory,
    school_id: int,
    settings: Settings,
    now: dt.datetime,
    actor: Person,
    day_text: str,
    post_text: str,
    names: Sequence[str],
    lang: str,
) -> PostSet:
    """``/duty <date> <post> <name>``: the post changed, and the day's roster as it is now."""
    async with sessions.begin() as session:
        result = await roster.set_post(
            session, school_id, settings, now, actor, day_text, post_text, names
        )
        if isinstance(result, Problem):
            return PostSet(Change.REFUSED, result)
        text = await roster.roster_text(session, school_id, settings, [result.day], lang)
    return PostSet(Change.DONE, roster=text)


async def roster_template(
    sessions: SessionFactory, school_id: int, settings: Settings, first_day: dt.date
) -> bytes:
    """/roster template: the .xlsx to fill in, with the school's staff as examples."""
    async with sessions() as session:
        staff = await store.duty_staff(session, school_id)
    return roster.template_xlsx(settings, staff, first_day)


@dataclass(frozen=True)
class Imported:
    outcome: Change
    result: RosterImport  # the assignments, or the problems that refused the file
    roster: str = ""  # the first fortnight of the days imported, compact


SHOWN_DAYS = 14


async def import_roster(
    sessions: SessionFactory,
    school_id: int,
    settings: Settings,
    now: dt.datetime,
    actor: Person,
    table: Table | RosterImport,
    filename: str,
    lang: str,
) -> Imported:
    """A roster file (its rows read by ``roster.read_file`` before the transaction)."""
    async with sessions.begin() as session:
        result = await roster.import_roster(
            session, school_id, settings, now, actor, table, filename
        )
        if not result.ok:
            return Imported(Change.REFUSED, result)
        shown = result.days[:SHOWN_DAYS]
        text = await roster.roster_text(session, school_id, settings, shown, lang, compact=True)
    return Imported(Change.DONE, result, text)


# --- swaps -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SwapAsked:
    outcome: Change
    problem: Problem | None = None
    partner: str = ""  # the partner's name
    what: str = ""  # who takes whose post when (``swap.describe``)


async def request_swap(
    sessions: SessionFactory,
    ctx: Context,
    settings: Settings,
    now: dt.datetime,
    actor: Person,
    args: str,
    lang: str,
) -> SwapAsked:
    """/swap: the partner is asked (through the outbox), or the problem with the request."""
    async with sessions.begin() as session:
        result = await swaps.request_swap(session, ctx, settings, now, actor, args)
        if isinstance(result, Problem):
            return SwapAsked(Change.REFUSED, result)
        partner = await session.get(Person, result.partner_id)
        assert partner is not None
        what = swaps.describe(result, actor, partner, settings, lang)
    return SwapAsked(Change.DONE, partner=partner.display_name, what=what)


async def answer_swap(
    sessions: SessionFactory,
    ctx: Context,
    settings: Settings,
    now: dt.datetime,
    actor: Person,
    swap_id: int,
    accept: bool,
) -> swaps.SwapAnswer:
    """The partner's accept or decline button."""
    async with sessions.begin() as session:
        return await swaps.answer_swap(session, ctx, settings, now, actor, swap_id, accept)


# --- the handover ------------------------------------------------------------------------


async def handover_log(
    sessions: SessionFactory, ctx: Context, settings: Settings, lang: str
) -> str:
    """/handover: the last handovers."""
    async with sessions() as session:
        return await handovers.recent_text(session, ctx, settings, lang)


async def press_handover(
    sessions: SessionFactory,
    ctx: Context,
    settings: Settings,
    handover_id: int,
    actor: Person,
    step: HandoverStep,
    item: int,
    now: dt.datetime,
) -> handovers.Step:
    """A button of the checklist (tick ``item``, note, submit) or of the request to confirm."""
    async with sessions.begin() as session:
        match step:
            case HandoverStep.TICK:
                return await handovers.toggle(session, ctx, settings, handover_id, actor, item)
            case HandoverStep.NOTE:
                return await handovers.check_editable(session, ctx, handover_id, actor)
            case HandoverStep.SUBMIT:
                return await handovers.submit(session, ctx, settings, handover_id, actor, now)
            case HandoverStep.CONFIRM:
                return await handovers.confirm(session, ctx, settings, handover_id, actor, now)


@dataclass(frozen=True)
class Noted:
    """A note or photo added to a handover (``step``) and where its checklist is, to refresh."""

    step: handovers.Step
    checklist: tuple[int, int] | None = None  # (chat, message id), once it was sent


async def add_handover_note(
    sessions: SessionFactory,
    ctx: Context,
    handover_id: int,
    actor: Person,
    text: str,
    now: dt.datetime,
    *,
    photo: ReceivedFile | None = None,
    tg_chat_id: int | None = None,
    tg_message_id: int | None = None,
) -> Noted:
    """A note, or a photo with ``text`` its caption."""
    async with sessions.begin() as session:
        step = await handovers.add_note(
            session,
            ctx,
            handover_id,
            actor,
            text[: handovers.MAX_NOTE],  # a caption is shorter already
            now,
            photo=photo,
            tg_chat_id=tg_chat_id,
            tg_message_id=tg_message_id,
        )
        return await _noted(session, step)


async def _noted(session: AsyncSession, step: handovers.Step) -> Noted:
    if step.outcome is not handovers.Outcome.OK or step.view is None:
        return Noted(step)
    return Noted(step, await handovers.prompt_message_id(session, step.view.handover))


async def checklist_replied_to(
    sessions: SessionFactory, school_id: int, actor: Person, tg_chat_id: int, message_id: int
) -> int | None:
    """The handover whose checklist this message is, if the actor hands it over."""
    async with sessions() as session:
        handover = await handovers.handover_of_prompt(session, school_id, tg_chat_id, message_id)
    if handover is None or handover.outgoing_id != actor.id:
        return None
    return handover.id


# --- patrols -----------------------------------------------------------------------------


class Patrolled(StrEnum):
    STARTED = "started"
    ADDED = "added"
    DONE = "done"  # finished: what it holds
    GONE = "gone"  # not a patrol of this person (any more)


@dataclass(frozen=True)
class PatrolRecord:
    outcome: Patrolled
    patrol_id: int = 0
    photos: int = 0
    text: str = ""  # everything the patrol says so far


async def record_patrol(
    sessions: SessionFactory,
    school_id: int,
    settings: Settings,
    actor: Person,
    now: dt.datetime,
    patrol_id: int,
    text: str,
    photo: ReceivedFile | None,
    *,
    tg_chat_id: int | None = None,
    tg_message_id: int | None = None,
) -> PatrolRecord:
    """Start a patrol (``patrol_id`` 0) or add text or a photo to this person's patrol."""
    text = text[: patrols.MAX_TEXT]
    async with sessions.begin() as session:
        if patrol_id:
            patrol = await patrols.add_to_patrol(
                session, school_id, patrol_id, actor, now, text, photo
            )
        else:
            patrol = await patrols.start_patrol(
                session,
                school_id,
                settings,
                actor,
                now,
                text,
                photo,
                tg_chat_id=tg_chat_id,
                tg_message_id=tg_message_id,
            )
        if patrol is None:
            return PatrolRecord(Patrolled.GONE)
        outcome = Patrolled.ADDED if patrol_id else Patrolled.STARTED
        return PatrolRecord(outcome, patrol.id, len(patrol.attachments), patrol.text)


async def patrol_summary(
    sessions: SessionFactory, school_id: int, patrol_id: int, actor: Person
) -> PatrolRecord:
    """The "Done" button: what the patrol holds, or ``GONE``."""
    async with sessions() as session:
        patrol = await patrols.patrol_of(session, school_id, patrol_id, actor)
        if patrol is None:
            return PatrolRecord(Patrolled.GONE)
        return PatrolRecord(Patrolled.DONE, patrol.id, len(patrol.attachments), patrol.text)
