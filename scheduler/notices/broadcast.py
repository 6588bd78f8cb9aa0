"""Confirming a draft (its audience frozen, one outbox row per reachable person and class
group, in one transaction) and the author's "sent / total" line while the outbox drains."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock
from bot.core.i18n import t
from bot.core.messages import OutMessage
from bot.core.settings import NoticeSettings
from scheduler.notices.audience import may_address
from scheduler.notices.common import FOLLOW_IDLE_S, local_time
from scheduler.notices.messages import notice_messages, reminder_time
from scheduler.routine import Context
from storage import audit, outbox, people
from storage import notices as store
from storage.db import SessionFactory
from storage.models import Person
from storage.notices import Audience, Notice
from storage.outbox import PRIORITY_ALERT, PRIORITY_BULK, Envelope

log = logging.getLogger(__name__)


# --- confirming and broadcasting -------------------------------------------------------------


class SendOutcome(StrEnum):
    QUEUED = "queued"
    ALREADY = "already"  # a second press of the confirm button: nothing new is queued
    INCOMPLETE = "incomplete"
    DEADLINE_PASSED = "deadline_passed"
    NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    total: int = 0
    reachable: int = 0
    groups: int = 0


async def confirm_and_enqueue(
    session: AsyncSession,
    ctx: Context,
    settings: NoticeSettings,
    notice: Notice,
    author: Person,
    now: dt.datetime,
    *,
    progress_chat_id: int | None = None,
    progress_message_id: int | None = None,
) -> SendResult:
    """Freeze the audience and queue one message per reachable person, in this transaction."""
    if notice.status != store.DRAFT:
        return SendResult(SendOutcome.ALREADY)
    audience = Audience.from_json(notice.audience)
    if audience is None or notice.deadline_at is None or not notice.text:
        return SendResult(SendOutcome.INCOMPLETE)
    if notice.deadline_at <= now:
        return SendResult(SendOutcome.DEADLINE_PASSED)
    if not may_address(author, audience):
        return SendResult(SendOutcome.NOT_ALLOWED)
    members = await store.audience_members(session, ctx.school_id, audience)
    await store.add_recipients(session, notice.id, members)
    envelopes = []
    for member in members:
        if not member.reachable:
            continue
        assert member.tg_chat_id is not None
        messages = notice_messages(
            notice,
            member.language or ctx.school_language,
            ctx.tz,
            pupil_id=member.pupil_id,
            child=member.pupil_name,
            class_name=member.unit_name,
        )
        key = store.delivery_key(notice.id, member.person_id, member.pupil_id)
        # The message with the button carries the recipient's key; a separate file goes first.
        keys = [f"{key}:file"] * (len(messages) - 1) + [key]
        envelopes += [
            Envelope(
                key,
                member.tg_chat_id,
                message,
                now,
                expires_at=notice.deadline_at,
                person_id=member.person_id,
                priority=PRIORITY_BULK,
            )
            for key, message in zip(keys, messages, strict=True)
        ]
    groups = await _group_envelopes(session, ctx, notice, audience, now)
    reachable = sum(m.reachable for m in members)
    notice.status = store.SENDING
    notice.confirmed_at = now
    notice.progress_chat_id, notice.progress_message_id = progress_chat_id, progress_message_id
    notice.progress_shown = -1
    notice.remind_at = reminder_time(notice.deadline_at, settings, now)
    await outbox.enqueue(session, ctx.school_id, envelopes + groups, now)
    audit.record(
        session,
        ctx.school_id,
        author.id,
        "notice.send",
        now,
        notice_id=notice.id,
        audience=audience.to_json(),
        recipients=len(members),
        reachable=reachable,
        groups=len(groups),
    )
    await refresh_progress(session, ctx, notice, now)
    return SendResult(SendOutcome.QUEUED, len(members), reachable, len(groups))


async def _group_envelopes(
    session: AsyncSession, ctx: Context, notice: Notice, audience: Audience, now: dt.datetime
) -> list[Envelope]:
    if not notice.post_to_groups:
        return []
    envelopes = []
    for unit in await store.audience_classes(session, ctx.school_id, audience):
        group = await people.group_of_unit(session, unit.id)
        if group is None or group.unreachable:
            continue
        for index, message in enumerate(
            notice_messages(notice, ctx.school_language, ctx.tz, button=False, for_group=True)
        ):
            envelopes.append(
                Envelope(
                    f"notice:{notice.id}:group:{unit.id}:{index}",
                    group.tg_chat_id,
                    message,
                    now,
                    expires_at=notice.deadline_at,
                    priority=PRIORITY_BULK,
                )
            )
    return envelopes


# --- the author's progress line --------------------------------------------------------------


async def _author_language(session: AsyncSession, ctx: Context, notice: Notice) -> str:
    author = await session.get(Person, notice.author_id)
    return (author.language if author else None) or ctx.school_language


def progress_text(notice: Notice, counts: store.DeliveryCounts, lang: str, tz: dt.tzinfo) -> str:
    """While messages wait: "done / total"; then "sent / total" and the deadline."""
    more: dict[str, object]
    if counts.waiting:
        key, more = "notice.progress", {"done": counts.done}
    else:
        assert notice.deadline_at is not None
        deadline = local_time(notice.deadline_at, tz)
        key, more = "notice.progress.done", {"sent": counts.sent, "deadline": deadline}
    return t(lang, key, id=notice.id, total=counts.total, failed=counts.failed, **more)


async def refresh_progress(
    session: AsyncSession, ctx: Context, notice: Notice, now: dt.datetime
) -> bool:
    """Queue an edit of the author's progress line if the count moved; True if one was queued.

    Edits are keyed by the count shown, so running this twice (a tick and the follower
    loop, or two processes) queues each edit once. The last one marks the broadcast sent.
    """
    if notice.status != store.SENDING:
        return False
    counts = await store.delivery_counts(session, ctx.school_id, notice.id)
    queued = False
    if notice.progress_message_id is not None and counts.done != notice.progress_shown:
        assert notice.progress_chat_id is not None
        lang = await _author_language(session, ctx, notice)
        edit = OutMessage(
            progress_text(notice, counts, lang, ctx.tz),
            edit_message_id=notice.progress_message_id,
        )
        queued = bool(
            await outbox.enqueue(
                session,
                ctx.school_id,
                [
                    Envelope(
                        f"notice:{notice.id}:progress:{counts.done}",
                        notice.progress_chat_id,
                        edit,
                        now,
                        person_id=notice.author_id,
                        priority=PRIORITY_ALERT,
                    )
                ],
                now,
            )
        )
        notice.progress_shown = counts.done
    if not counts.waiting:
        notice.status = store.SENT
        notice.sent_at = now
    return queued


async def follow_broadcast(
    sessions: SessionFactory,
    clock: Clock,
    ctx: Context,
    notice_id: int,
    wake: Callable[[], None],
    every_s: float,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """While a broadcast drains, refresh the author's progress line every few seconds.

    A convenience only: the tick job does the same more slowly, so after a restart the
    line still reaches "done".
    """
    idle = 0
    while idle * every_s < FOLLOW_IDLE_S:
        try:
            async with sessions.begin() as session:
                notice = await store.get(session, ctx.school_id, notice_id)
                if notice is None or notice.status != store.SENDING:
                    return
                queued = await refresh_progress(session, ctx, notice, clock.now())
        except Exception:  # the bot is shutting down, or the database is away: the tick resumes
            log.warning("progress of notice %s: giving up to the tick", notice_id, exc_info=True)
            return
        idle = 0 if queued else idle + 1
        if queued:
            wake()
        await sleep(every_s)
