"""What handlers/hazards.py calls: each service opens its own transaction, takes one step of
``raising`` or ``steps`` (or reads ``views``), and returns what the reply needs.

A conversation (raising a hazard; the owner's photos and note; a rejection's reason and
deadline) moves to its next ``Step`` in the same transaction as the answer it saved, so the
step is never ahead of, or behind, the row: the handler hands the service a ``Move`` that
writes the conversation's state in the session it is given (handlers/conversation.py's move_to).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.messages import OutMessage
from bot.core.settings import HazardSettings
from scheduler.actors import Person
from scheduler.hazards import buttons, raising, steps, views
from scheduler.hazards.buttons import Action
from scheduler.hazards.common import DEFAULT_POLICY, Outcome, Result
from scheduler.routine import Context
from scheduler.transactions import reading, writing
from storage import hazards as store
from storage.db import SessionFactory

MAX_WHAT, MAX_PLACE, MAX_NOTE = store.MAX_WHAT, store.MAX_PLACE, store.MAX_NOTE


class Step(StrEnum):
    """The conversation's steps (the handler keeps one aiogram state for each)."""

    WHAT = "what"
    PLACE = "place"
    CATEGORY = "category"
    SEVERITY = "severity"
    PHOTOS = "photos"
    FIX_PHOTOS = "fix_photos"
    FIX_NOTE = "fix_note"
    REJECT_REASON = "reject_reason"
    REJECT_DEADLINE = "reject_deadline"


# The conversation moved to a step (None: it ends) inside the given transaction; data None
# keeps the conversation's data, {} clears it.
Move = Callable[[AsyncSession, Step | None, Mapping[str, Any] | None], Awaitable[None]]


def next_question(draft: store.Hazard) -> Step:
    """The first question the draft has no answer for (an inspection's item comes with its
    place and category; a patrol or an incident with its text, place, severity, photos)."""
    for step, answered in (
        (Step.WHAT, draft.what),
        (Step.PLACE, draft.place),
        (Step.CATEGORY, draft.category),
        (Step.SEVERITY, draft.severity),
    ):
        if not answered:
            return step
    return Step.PHOTOS


def question(step: Step, hazard_id: int, lang: str, policy: HazardSettings) -> OutMessage:
    """The raising conversation's question for ``step``, with its buttons."""
    if step is Step.WHAT:
        return OutMessage(t(lang, "hazard.ask_what"))
    if step is Step.PLACE:
        return OutMessage(t(lang, "hazard.ask_place"))
    if step is Step.CATEGORY:
        rows = buttons.category_rows(hazard_id, lang, policy)
        return OutMessage(t(lang, "hazard.ask_category"), buttons=rows)
    if step is Step.SEVERITY:
        return OutMessage(
            t(lang, "hazard.ask_severity"), buttons=buttons.severity_rows(hazard_id, lang)
        )
    return OutMessage(
        t(lang, "hazard.ask_photos"), buttons=buttons.photos_done_rows(hazard_id, lang)
    )


async def move(
    sessions: SessionFactory, moved: Move, step: Step | None, data: Mapping[str, Any]
) -> None:
    """The conversation moved on with nothing else saved (a rejection's reason, kept in the
    conversation's data until the new deadline comes)."""
    async with sessions.begin() as session:
        await moved(session, step, data)


# -- reading ------------------------------------------------------------------------------------


listing = reading(views.listing)  # /hazards: the open hazards (``words`` filters them)
history = reading(views.history)  # /hazard N: its history and photos (None: no such hazard)


# -- raising ------------------------------------------------------------------------------------


async def start(
    sessions: SessionFactory,
    ctx: Context,
    person: Person,
    now: dt.datetime,
    moved: Move,
    *,
    tg_chat_id: int | None,
) -> Result:
    """/hazard: a new draft, and the conversation asks what the hazard is."""
    async with sessions.begin() as session:
        started = await raising.start(session, ctx, person, now, tg_chat_id=tg_chat_id)
        if started.outcome is Outcome.DONE:
            await moved(session, Step.WHAT, {"hazard_id": started.hazard_id})
    return started


async def answer(
    sessions: SessionFactory,
    ctx: Context,
    hazard_id: int,
    person: Person | None,
    moved: Move,
    *,
    then: Step | None = None,
    **fields: str,
) -> Step | None:
    """One answer kept in the person's own draft and the conversation moved to ``then`` (by
    default: the next question the draft has no answer for). None: the draft is gone."""
    if person is None:
        return None
    async with sessions.begin() as session:
        found = await raising.save(session, ctx, hazard_id, person, **fields)
        if found is None:
            return None
        step = then or next_question(found)
        await moved(session, step, None)
    return step


add_photo = writing(raising.add_photo)  # a photo of the draft kept (False: the draft is gone)


async def submit(
    sessions: SessionFactory,
    ctx: Context,
    hazard_id: int,
    person: Person,
    now: dt.datetime,
    policy: HazardSettings,
    moved: Move,
) -> Result:
    """提交隐患: the draft reported (the officers told) and the conversation ended."""
    async with sessions.begin() as session:
        result = await raising.submit(session, ctx, hazard_id, person, now, policy)
        if result.outcome is Outcome.DONE:
            await moved(session, None, {})
    return result


@dataclass(frozen=True)
class Raised:
    """发现隐患 under a patrol or an incident: the draft and its first unanswered question."""

    outcome: Outcome
    hazard_id: int = 0
    step: Step = Step.WHAT
    photos: int = 0  # copied from the patrol or the incident


async def raise_from(
    sessions: SessionFactory,
    ctx: Context,
    person: Person,
    now: dt.datetime,
    action: Action,
    source_id: int,
    moved: Move,
    *,
    tg_chat_id: int,
) -> Raised:
    source = "patrol" if action is Action.FROM_PATROL else "incident"
    async with sessions.begin() as session:
        started = await raising.start_from(
            session, ctx, person, now, source, source_id, tg_chat_id=tg_chat_id
        )
        if started.outcome is not Outcome.DONE:
            return Raised(started.outcome)
        found = await raising.draft(session, ctx, started.hazard_id, person)
        assert found is not None
        step = next_question(found)
        photos = await store.photo_count(session, found.submission_id)
        await moved(session, step, {"hazard_id": started.hazard_id})
    return Raised(Outcome.DONE, started.hazard_id, step, photos)


# -- the chain's steps --------------------------------------------------------------------------


assign = writing(steps.assign)
record_measure = writing(steps.record_measure)
reopen = writing(steps.reopen)


async def press(
    sessions: SessionFactory,
    ctx: Context,
    action: Action,
    hazard_id: int,
    round_: int,
    person: Person,
    now: dt.datetime,
    policy: HazardSettings = DEFAULT_POLICY,
) -> Result:
    """A one-press step: the principal's list (LIST), the officer's 验收通过 (ACCEPT), the
    final sign-off (SIGN)."""
    async with sessions.begin() as session:
        if action is Action.LIST:
            return await steps.sign_list(session, ctx, hazard_id, round_, person, now, policy)
        if action is Action.ACCEPT:
            return await steps.accept(session, ctx, hazard_id, round_, person, now, policy)
        return await steps.sign(session, ctx, hazard_id, round_, person, now)


async def start_fix(
    sessions: SessionFactory,
    ctx: Context,
    hazard_id: int,
    round_: int,
    person: Person,
    now: dt.datetime,
    moved: Move,
) -> Result:
    """整改完成: the conversation asks for the "after" photos of this round."""
    async with sessions.begin() as session:
        result = await steps.start_fix(session, ctx, hazard_id, round_, person, now)
        if result.outcome is Outcome.DONE:
            await moved(session, Step.FIX_PHOTOS, {"hazard_id": hazard_id, "round": round_})
    return result


add_fix_photo = writing(steps.add_fix_photo)


async def fix_photos_done(
    sessions: SessionFactory,
    ctx: Context,
    hazard_id: int,
    person: Person,
    policy: HazardSettings,
    moved: Move,
) -> Result:
    """The owner's photos are all sent: the conversation asks for the note."""
    async with sessions.begin() as session:
        result = await steps.fix_photos_done(session, ctx, hazard_id, person, policy)
        if result.outcome is Outcome.DONE:
            await moved(session, Step.FIX_NOTE, None)
    return result


async def finish_fix(
    sessions: SessionFactory,
    ctx: Context,
    hazard_id: int,
    person: Person,
    note: str,
    now: dt.datetime,
    policy: HazardSettings,
    moved: Move,
) -> Result:
    """The fix with its note (the conversation ends unless a photo is still needed)."""
    async with sessions.begin() as session:
        result = await steps.finish_fix(session, ctx, hazard_id, person, note, now, policy)
        if result.outcome is not Outcome.NEED_PHOTO:
            await moved(session, None, {})
    return result


async def start_reject(
    sessions: SessionFactory,
    ctx: Context,
    hazard_id: int,
    round_: int,
    person: Person,
    moved: Move,
) -> Result:
    """驳回: when this officer may verify this round, the conversation asks for the reason."""
    async with sessions.begin() as session:
        result = await steps.may_verify(session, ctx, hazard_id, round_, person)
        if result.outcome is Outcome.DONE:
            await moved(session, Step.REJECT_REASON, {"hazard_id": hazard_id, "round": round_})
    return result


async def reject(
    sessions: SessionFactory,
    ctx: Context,
    hazard_id: int,
    round_: int,
    person: Person,
    reason: str,
    deadline: dt.date,
    now: dt.datetime,
    policy: HazardSettings,
    moved: Move,
) -> Result:
    """The fix rejected with the reason and a new deadline (the conversation ends unless the
    deadline is to be typed again)."""
    async with sessions.begin() as session:
        result = await steps.reject(
            session, ctx, hazard_id, round_, person, reason, deadline, now, policy
        )
        if result.outcome not in (Outcome.PAST_DEADLINE, Outcome.FAR_DEADLINE):
            await moved(session, None, {})
    return result
