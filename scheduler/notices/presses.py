"""The presses on a sent notice, each a service in its own transaction: a parent's 已阅知晓
(the first one is recorded, later ones change nothing), a guardian's receipt for one child
(a choice, a signature, a note; one service, ``answer_receipt``) and the head teacher's 🔔
for their class. ``Guardian`` is who answers, for which child, from which message."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.notices.buttons import ReceiptAction, Rows
from scheduler.notices.chase import ChaseResult, remind_missing
from scheduler.notices.receipts import (
    Receipt,
    ReceiptResult,
    ReceiptSpec,
    add_confirmation,
    check_can_sign,
    receipt_buttons,
    record_read,
    record_reply_text,
    record_signature,
)
from scheduler.routine import Context
from storage import notices as store
from storage.db import SessionFactory
from storage.models import Person

# --- who presses -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Guardian:
    """Who answers a notice, and from where: ``person`` on notice ``notice_id`` of school
    ``school_id``, for one child (``pupil_id``; None: no child named), from a chat message
    (None: not known)."""

    school_id: int
    notice_id: int
    person: Person
    pupil_id: int | None = None
    tg_chat_id: int | None = None
    tg_message_id: int | None = None


# --- 已阅知晓 ----------------------------------------------------------------------------------


class Press(StrEnum):
    RECORDED = "recorded"
    ALREADY = "already"
    NOT_RECIPIENT = "not_recipient"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PressResult:
    outcome: Press
    confirmed_at: dt.datetime | None = None


async def record_press(
    session: AsyncSession,
    school_id: int,
    notice_id: int,
    person: Person,
    now: dt.datetime,
    *,
    tg_chat_id: int | None = None,
    tg_message_id: int | None = None,
    pupil_id: int | None = None,
) -> PressResult:
    """Who pressed 已阅知晓 (for which child) and when; the first press counts, later ones
    change nothing. A notice that asks for a choice or a signature has no such button."""
    notice = await store.get(session, school_id, notice_id)
    if notice is None or notice.status in (store.DRAFT, store.CANCELLED):
        return PressResult(Press.UNKNOWN)
    if (notice.receipt or {}).get("options") or (notice.receipt or {}).get("signature"):
        return PressResult(Press.UNKNOWN)
    first = await store.record_confirmation(
        session, notice_id, person.id, now, tg_chat_id, tg_message_id, pupil_id
    )
    recipient = await store.recipient(session, notice_id, person.id, pupil_id)
    if recipient is None:
        return PressResult(Press.NOT_RECIPIENT)
    if not first:
        return PressResult(Press.ALREADY, recipient.confirmed_at)
    add_confirmation(
        session, school_id, notice, person.id, pupil_id, now, tg_chat_id, tg_message_id
    )
    return PressResult(Press.RECORDED, now)


async def confirm_read(
    sessions: SessionFactory, guardian: Guardian, now: dt.datetime
) -> PressResult:
    """已阅知晓 with no child named (``ReadPress``), in its own transaction."""
    async with sessions.begin() as session:
        return await record_press(
            session,
            guardian.school_id,
            guardian.notice_id,
            guardian.person,
            now,
            tg_chat_id=guardian.tg_chat_id,
            tg_message_id=guardian.tg_message_id,
        )


# --- a guardian's receipt for one child --------------------------------------------------------


@dataclass(frozen=True)
class ReceiptAnswer:
    """What a receipt step did, with what the answer needs: no rows."""

    outcome: Receipt
    buttons: Rows | None = None  # the child's buttons, showing what is recorded now
    completed: bool = False  # this answer completed the receipt
    child: str = ""  # the child's name (signing: the name to type)
    option: str | None = None  # the option chosen (now or before)
    confirmed_at: dt.datetime | None = None
    signed_name: str = ""
    signed_relation: str = ""


def _answer(result: ReceiptResult, pupil_id: int | None, lang: str, tz: dt.tzinfo) -> ReceiptAnswer:
    notice, row = result.notice, result.row
    buttons = option = None
    if notice is not None and row is not None:
        buttons = receipt_buttons(notice, pupil_id, lang, tz, row)
        if row.choice is not None:
            option = ReceiptSpec.of(notice).options[row.choice]
    return ReceiptAnswer(
        result.outcome,
        buttons,
        result.completed,
        result.child,
        option,
        row.confirmed_at if row is not None else None,
        (row.signed_name or "") if row is not None else "",
        (row.signed_relation or "") if row is not None else "",
    )


async def answer_receipt(
    sessions: SessionFactory,
    guardian: Guardian,
    action: ReceiptAction,
    now: dt.datetime,
    lang: str,
    tz: dt.tzinfo,
    typed: str | None = None,
) -> ReceiptAnswer:
    """A receipt button, or what the guardian typed after one, in its own transaction.

    已阅知晓 and an option are recorded. 签字 and 说明 pressed are checked (RECORDED: go on and
    ask the guardian to type it); with ``typed`` the signature, or the short note, is recorded.
    """
    g = guardian
    chat_id, message_id = g.tg_chat_id, g.tg_message_id
    async with sessions.begin() as session:
        key = (session, g.school_id, g.notice_id, g.person, g.pupil_id)
        index = action.option_index
        if action is ReceiptAction.READ or index is not None:
            result = await record_read(
                *key, now, index=index, tg_chat_id=chat_id, tg_message_id=message_id
            )
        elif typed is None:
            part = "signature" if action is ReceiptAction.SIGN else "text"
            result = await check_can_sign(*key, part)
        elif action is ReceiptAction.SIGN:
            result = await record_signature(
                *key, typed, now, tg_chat_id=chat_id, tg_message_id=message_id
            )
        else:
            result = await record_reply_text(*key, typed, now)
        return _answer(result, g.pupil_id, lang, tz)


# --- the head teacher's 🔔 -------------------------------------------------------------------


async def chase_class(
    sessions: SessionFactory,
    ctx: Context,
    notice_id: int,
    unit_id: int,
    person: Person,
    now: dt.datetime,
) -> ChaseResult:
    """One private reminder to the class's guardians still without a receipt."""
    async with sessions.begin() as session:
        return await remind_missing(session, ctx, notice_id, unit_id, person, now)
