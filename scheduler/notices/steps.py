"""The author's /notice conversation, one service per step, each in its own transaction.

Every step that changes the draft is the same block — load the author's own draft, change
it, or else tell the author the draft is gone (sent, cancelled or replaced) — so they share
``_own_draft``. The handler keeps the conversation's state (which step, which draft id) and
answers after the transaction: the database is not held during a Bot API call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import OutMessage
from bot.core.settings import NoticeSettings
from scheduler.notices.audience import (
    AudienceParse,
    AudienceSummary,
    may_address,
    parse_audience,
    summarize_audience,
)
from scheduler.notices.broadcast import SendOutcome, confirm_and_enqueue
from scheduler.notices.buttons import Rows, preview_rows
from scheduler.notices.drafts import attach, cancel_draft, own_draft, set_receipt, start_draft
from scheduler.notices.messages import notice_messages, preview_summary
from scheduler.routine import Context
from storage import audit, people
from storage.db import SessionFactory
from storage.models import Person, Unit
from storage.notices import Audience, Notice


class Step(StrEnum):
    DONE = "done"
    GONE = "gone"  # the draft was sent, cancelled or replaced: the conversation ends
    NOT_ALLOWED = "not_allowed"  # an audience the author may not address


@asynccontextmanager
async def _own_draft(
    sessions: SessionFactory, school_id: int, draft_id: int | None, author: Person
) -> AsyncIterator[tuple[AsyncSession, Notice | None]]:
    """The author's draft in a transaction of its own (None: it is gone)."""
    async with sessions.begin() as session:
        notice = None
        if draft_id is not None:
            notice = await own_draft(session, school_id, draft_id, author)
        yield session, notice


async def _units(session: AsyncSession, unit_ids: Sequence[int]) -> list[Unit]:
    return [u for u in [await session.get(Unit, uid) for uid in unit_ids] if u is not None]


def _own_class_ids(author: Person) -> list[int]:
    return sorted(people.unit_ids_with_role(author, "head_teacher"))


# --- step 1: the text ------------------------------------------------------------------------


async def new_draft(
    sessions: SessionFactory, school_id: int, author: Person, text: str, now: dt.datetime
) -> int:
    """The draft's id; what the author typed is kept at once."""
    async with sessions.begin() as session:
        notice = await start_draft(session, school_id, author, text, now)
        return notice.id


# --- step 2: an optional photo or document ---------------------------------------------------


async def attach_file(
    sessions: SessionFactory,
    school_id: int,
    draft_id: int | None,
    author: Person,
    kind: str,
    file_id: str,
    path: str,
    filename: str = "",
) -> Step:
    async with _own_draft(sessions, school_id, draft_id, author) as (_, notice):
        if notice is None:
            return Step.GONE
        attach(notice, kind, file_id, path, filename)
    return Step.DONE


# --- step 3: the audience --------------------------------------------------------------------


class Ask(StrEnum):
    CHOOSE = "choose"  # an admin: 全校 / 教职工 buttons, or typed grades and classes
    OWN_CLASS = "own_class"  # a head teacher of one class: nothing to ask
    OWN_CLASSES = "own_classes"  # a head teacher of several: which of them


@dataclass(frozen=True)
class AudienceQuestion:
    ask: Ask
    audience: Audience | None = None  # OWN_CLASS: their class
    classes: tuple[str, ...] = ()  # OWN_CLASSES: their classes' names


async def audience_question(sessions: SessionFactory, author: Person) -> AudienceQuestion:
    """Admins choose; a head teacher of one class writes to it without being asked."""
    if people.has_role(author, "admin"):
        return AudienceQuestion(Ask.CHOOSE)
    own = _own_class_ids(author)
    if len(own) == 1:
        return AudienceQuestion(Ask.OWN_CLASS, Audience("classes", unit_ids=(own[0],)))
    async with sessions() as session:
        names = tuple(u.name for u in await _units(session, own))
    return AudienceQuestion(Ask.OWN_CLASSES, classes=names)


async def read_audience(sessions: SessionFactory, school_id: int, text: str) -> AudienceParse:
    """全校 / 教职工 / grades / classes typed by the author, against the school's classes."""
    async with sessions() as session:
        classes = await people.units(session, school_id, "class")
    return parse_audience(text, classes)


@dataclass(frozen=True)
class AudienceChoice:
    outcome: Step
    summary: AudienceSummary | None = None  # DONE: who it reaches
    own_classes: tuple[str, ...] = ()  # NOT_ALLOWED: the classes the author may address


async def choose_audience(
    sessions: SessionFactory,
    school_id: int,
    draft_id: int | None,
    author: Person,
    audience: Audience,
) -> AudienceChoice:
    if not may_address(author, audience):
        async with sessions() as session:
            own = tuple(u.name for u in await _units(session, _own_class_ids(author)))
        return AudienceChoice(Step.NOT_ALLOWED, own_classes=own)
    async with _own_draft(sessions, school_id, draft_id, author) as (session, notice):
        if notice is None:
            return AudienceChoice(Step.GONE)
        notice.audience = audience.to_json()
        summary = await summarize_audience(session, school_id, audience)
    return AudienceChoice(Step.DONE, summary)


# --- step 4: the deadline; step 5: the class groups too? -------------------------------------


@dataclass(frozen=True)
class DeadlineSet:
    outcome: Step
    staff: bool = False  # a notice to staff: no class groups to ask about


async def set_deadline(
    sessions: SessionFactory,
    school_id: int,
    draft_id: int | None,
    author: Person,
    deadline: dt.datetime,
) -> DeadlineSet:
    async with _own_draft(sessions, school_id, draft_id, author) as (_, notice):
        if notice is None:
            return DeadlineSet(Step.GONE)
        notice.deadline_at = deadline
        staff = notice.audience.get("kind") == "staff"
    return DeadlineSet(Step.DONE, staff)


async def set_groups(
    sessions: SessionFactory, school_id: int, draft_id: int | None, author: Person, post: bool
) -> Step:
    async with _own_draft(sessions, school_id, draft_id, author) as (_, notice):
        if notice is None:
            return Step.GONE
        notice.post_to_groups = post
    return Step.DONE


# --- step 6: preview, receipt, send or cancel ------------------------------------------------


@dataclass(frozen=True)
class Preview:
    outcome: Step
    messages: tuple[OutMessage, ...] = ()  # the notice as parents will see it, no buttons
    check: str = ""  # who, how many can be reached, when
    buttons: Rows = ()  # 确认发送, 取消 (and 回执)


async def preview(
    sessions: SessionFactory,
    school_id: int,
    draft_id: int | None,
    author: Person,
    lang: str,
    tz: dt.tzinfo,
    settings: NoticeSettings,
    now: dt.datetime,
) -> Preview:
    async with _own_draft(sessions, school_id, draft_id, author) as (session, notice):
        audience = Audience.from_json(notice.audience) if notice is not None else None
        if notice is None or audience is None:
            return Preview(Step.GONE)
        summary = await summarize_audience(session, school_id, audience)
        check = preview_summary(notice, audience, summary, lang, tz, settings, now)
        shown = tuple(notice_messages(notice, lang, tz, button=False))
        buttons = preview_rows(notice.id, lang, receipt=audience.kind != "staff")
    return Preview(Step.DONE, shown, check, buttons)


async def set_receipt_spec(
    sessions: SessionFactory,
    school_id: int,
    draft_id: int | None,
    author: Person,
    receipt: dict[str, object],
) -> Step:
    async with _own_draft(sessions, school_id, draft_id, author) as (_, notice):
        if notice is None:
            return Step.GONE
        set_receipt(notice, receipt)
    return Step.DONE


@dataclass(frozen=True)
class DraftSent:
    outcome: Step
    sent: SendOutcome | None = None  # DONE: what confirming did
    notice_id: int = 0
    total: int = 0
    reachable: int = 0


async def send_draft(
    sessions: SessionFactory,
    ctx: Context,
    settings: NoticeSettings,
    draft_id: int | None,
    author: Person,
    now: dt.datetime,
    *,
    progress_chat_id: int | None = None,
    progress_message_id: int | None = None,
) -> DraftSent:
    """Confirm the draft: its audience is frozen and its messages queued, in this
    transaction. The preview's summary message becomes the "sent / total" line."""
    async with _own_draft(sessions, ctx.school_id, draft_id, author) as (session, notice):
        if notice is None:
            return DraftSent(Step.GONE)
        loaded = await session.get(Person, author.id)
        assert loaded is not None
        result = await confirm_and_enqueue(
            session,
            ctx,
            settings,
            notice,
            loaded,
            now,
            progress_chat_id=progress_chat_id,
            progress_message_id=progress_message_id,
        )
        notice_id = notice.id
    return DraftSent(Step.DONE, result.outcome, notice_id, result.total, result.reachable)


async def cancel(
    sessions: SessionFactory, school_id: int, draft_id: int | None, author: Person, now: dt.datetime
) -> Step:
    async with _own_draft(sessions, school_id, draft_id, author) as (session, notice):
        if notice is None:
            return Step.GONE
        cancel_draft(notice)
        audit.record(session, school_id, author.id, "notice.cancel", now, notice_id=notice.id)
    return Step.DONE
