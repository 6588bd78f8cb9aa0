"""Messages of the duty routine to people in private, through the outbox, and who the leader
on duty is at a given moment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TypedDict, Unpack

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import OutMessage
from bot.core.settings import Settings
from scheduler import recipients
from scheduler.routine import Context, Recipient
from scheduler.rules import duty as rules
from storage import duty as store
from storage import outbox, people
from storage.models import Person
from storage.outbox import PRIORITY_ALERT, PRIORITY_PROMPT, Envelope

Render = Callable[[str], OutMessage]  # the message in one language


class Delivery(TypedDict, total=False):
    """How a message goes out: when it is too late to send, the task it is about, and
    whether it is an alert (sent before the prompts)."""

    expires_at: dt.datetime | None
    task_id: int | None
    alert: bool


async def tell(
    session: AsyncSession,
    ctx: Context,
    persons: Sequence[Person],
    key: str,
    render: Render,
    now: dt.datetime,
    **delivery: Unpack[Delivery],
) -> int:
    """One message per person, in their language; ``key`` makes it once only."""
    found = await recipients.privately(session, ctx, _unique(persons))
    return await send(session, ctx, found, key, render, now, **delivery)


async def send(
    session: AsyncSession,
    ctx: Context,
    to: Sequence[Recipient],
    key: str,
    render: Render,
    now: dt.datetime,
    **delivery: Unpack[Delivery],
) -> int:
    seen: set[int] = set()
    envelopes = []
    for r in to:
        if r.tg_chat_id in seen:
            continue
        seen.add(r.tg_chat_id)
        envelopes.append(
            Envelope(
                key=f"{key}:{r.tg_chat_id}",
                tg_chat_id=r.tg_chat_id,
                message=render(r.language),
                send_after=now,
                expires_at=delivery.get("expires_at"),
                task_id=delivery.get("task_id"),
                person_id=r.person_id,
                priority=PRIORITY_ALERT if delivery.get("alert") else PRIORITY_PROMPT,
            )
        )
    return await outbox.enqueue(session, ctx.school_id, envelopes, now)


async def leaders_on_duty(
    session: AsyncSession, ctx: Context, settings: Settings, at: dt.datetime
) -> list[Person]:
    """The rostered leader on duty at ``at``; none when nobody is rostered then."""
    day = rules.leader_day_at(settings, at)
    if day is None:
        return []
    return await store.holders(session, ctx.school_id, day, store.LEADER_POST)


async def alert_recipients(
    session: AsyncSession,
    ctx: Context,
    settings: Settings,
    at: dt.datetime,
    missing: Person,
    missing_is_leader: bool,
) -> list[Recipient]:
    """The leader on duty (the duty leaders, or the admins, when nobody is rostered); the
    admins too when the one missing is a leader. Never the person who is missing."""
    leaders = await leaders_on_duty(session, ctx, settings, at)
    if not leaders:
        leaders = await people.people_with_role(session, ctx.school_id, "duty_leader")
    chosen = [p for p in leaders if p.id != missing.id]
    if missing_is_leader or any(p.id == missing.id for p in leaders) or not chosen:
        chosen += await people.people_with_role(session, ctx.school_id, "admin")
    return await recipients.privately(
        session, ctx, _unique([p for p in chosen if p.id != missing.id])
    )


def _unique(persons: Sequence[Person]) -> list[Person]:
    return list({p.id: p for p in persons}.values())
