"""The outbox: messages written in the caller's transaction, claimed and settled by the sender."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import ColumnElement, bindparam, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import OutMessage
from storage.db import insert_rows_ignore
from storage.models import Outbox

# A claim is a lease for this long: a row whose sender died is tried again once it expires
# (at most the sends in flight at the death go twice). A live sender renews its leases every
# quarter of it, in flight or waiting (OutboxSender), so a slow answer never loses one; the
# lease is three times bot.telegram_transport.REQUEST_TIMEOUT_S (20 s).
LEASE = dt.timedelta(seconds=60)
CLAIM_TIMEOUT = LEASE  # the old name

# Final states: the sender never touches these rows again (an admin may resend uncertain).
SETTLED = ("sent", "uncertain", "unreachable", "failed", "expired", "cancelled")

# Telegram has no idempotency key: a send that reached it and got no answer may or may not
# have arrived. What each routine does with one, by its key: the generic task prompts,
# reminders and alerts to staff (scheduler/tasks.py) go once more with RESENT_MARK, since a
# missed prompt costs a school more than a repeated one; everything else, parents' notices
# above all, is held as 'uncertain' and counted, never resent blindly.
# The bus's counts and alerts (bus:), the drill's (dr:) and the hazards' (hz:) go to staff
# only, and a missed one (a child not counted off a bus) is the costliest of all.
RESEND_ONCE_PREFIXES = ("prompt:", "remind:", "alert:", "bus:", "dr:", "hz:")
RESENT_MARK = "🔁 "


def resend_once(key: str, message: OutMessage) -> bool:
    """May this unanswered send go once more? (Never twice: the mark says it went again.)"""
    return key.startswith(RESEND_ONCE_PREFIXES) and not message.text.startswith(RESENT_MARK)


def marked_resent(message: OutMessage) -> OutMessage:
    return dataclasses.replace(message, text=RESENT_MARK + message.text)


IN_DOUBT = "in flight when its sender died"


def in_doubt(row: Outbox, now: dt.datetime) -> bool:
    """A row left 'sending' by a sender that died (killed -9, a lease that ran out) after its
    request had left (``requested_at``): Telegram may have delivered it. As for a send that
    got no answer: a parent's notice (anything not resent once) becomes 'uncertain', counted
    and shown, never sent twice; a staff prompt goes once more, marked 🔁. True when the row
    is settled as uncertain; else it may be sent again (with its mark, if it was in flight)."""
    if row.requested_at is None:
        return False
    row.requested_at = None
    message = OutMessage.from_payload(row.payload)
    if resend_once(row.key, message):
        row.payload = marked_resent(message).to_payload()
        row.last_error = f"uncertain: {IN_DOUBT}"
        return False
    row.status = "uncertain"
    row.settled_at = now
    row.last_error = IN_DOUBT
    return True


async def hold_in_doubt(
    session: AsyncSession, now: dt.datetime, *where: ColumnElement[bool]
) -> int:
    """``in_doubt`` for the rows left 'sending' that match ``where``, before they are queued
    again; returns how many became uncertain."""
    rows = (
        await session.scalars(
            select(Outbox).where(
                Outbox.status == "sending", Outbox.requested_at.is_not(None), *where
            )
        )
    ).all()
    held = sum(in_doubt(row, now) for row in rows)
    await session.flush()
    return held


async def requested(session: AsyncSession, outbox_id: int, now: dt.datetime) -> None:
    """The row's request is about to leave: from now on it may arrive."""
    await session.execute(update(Outbox).where(Outbox.id == outbox_id).values(requested_at=now))


PRIORITY_ALERT = 1
PRIORITY_PROMPT = 5
PRIORITY_BULK = 8


@dataclass(frozen=True)
class Envelope:
    key: str
    tg_chat_id: int
    message: OutMessage
    send_after: dt.datetime
    expires_at: dt.datetime | None = None
    task_id: int | None = None
    person_id: int | None = None
    priority: int = PRIORITY_PROMPT


async def enqueue(
    session: AsyncSession, school_id: int, envelopes: Sequence[Envelope], now: dt.datetime
) -> int:
    """Insert the envelopes whose key is new; returns how many were new."""
    if not envelopes:
        return 0
    rows = [
        {
            "school_id": school_id,
            "key": e.key,
            "tg_chat_id": e.tg_chat_id,
            "payload": e.message.to_payload(),
            "status": "pending",
            "priority": e.priority,
            "send_after": e.send_after,
            "expires_at": e.expires_at,
            "task_id": e.task_id,
            "person_id": e.person_id,
            "attempts": 0,
            "last_error": "",
            "created_at": now,
        }
        for e in envelopes
    ]
    return await insert_rows_ignore(session, Outbox, rows)


class Asked(NamedTuple):
    id: int
    status: str
    tg_chat_id: int
    sent_message_id: int | None
    person_id: int | None


_ASKED = select(
    Outbox.id, Outbox.status, Outbox.tg_chat_id, Outbox.sent_message_id, Outbox.person_id
).where(
    Outbox.school_id == bindparam("w_school"),
    Outbox.task_id == bindparam("w_task"),
    Outbox.key.startswith("prompt:") | Outbox.key.startswith("remind:"),
)


async def asked_about(session: AsyncSession, school_id: int, task_id: int) -> list[Asked]:
    """The prompts and reminders of a task: who was asked, and whether it went out."""
    connection = await session.connection()
    result = await connection.execute(_ASKED, {"w_school": school_id, "w_task": task_id})
    return [Asked(*row) for row in result.all()]


async def cancel_pending(session: AsyncSession, row_ids: Sequence[int]) -> None:
    if row_ids:
        await session.execute(
            update(Outbox)
            .where(Outbox.id.in_(row_ids), Outbox.status == "pending")
            .values(status="cancelled")
            .execution_options(synchronize_session=False)
        )


def _school(school_id: int | None) -> ColumnElement[bool]:
    """The rows of one school; ``None`` (a unit test's sender, one school in the database)
    every row."""
    return true() if school_id is None else Outbox.school_id == school_id


async def claim(
    session: AsyncSession,
    now: dt.datetime,
    limit: int,
    *,
    school_id: int | None,
    owner: str = "",
) -> list[Outbox]:
    """Take up to ``limit`` of the school's ready rows (or rows whose lease expired) and mark
    them 'sending', leased to ``owner``, in one short transaction.

    A school's bot sends its own school's rows only: another bot would get 403 from parents
    who never started it, and mark them unreachable. On PostgreSQL, SKIP LOCKED lets several
    sender processes share the queue; on SQLite the single writer lock does the same.
    """
    expired = now - LEASE
    query = (
        select(Outbox)
        .where(
            _school(school_id),
            Outbox.send_after <= now,
            (Outbox.status == "pending")
            | ((Outbox.status == "sending") & (Outbox.claimed_at < expired)),
        )
        .order_by(Outbox.priority, Outbox.send_after, Outbox.id)
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list((await session.scalars(query)).all())
    for row in rows:
        if row.status == "sending" and in_doubt(row, now):  # its sender died mid-request
            continue
        if row.expires_at is not None and row.expires_at <= now:
            row.status = "expired"
            row.settled_at = now
        else:
            row.status = "sending"
            row.claimed_at = now
            row.requested_at = None  # not yet: its request leaves when its turn comes
            row.claimed_by = owner[:64] or None
            row.attempts += 1
    return [r for r in rows if r.status == "sending"]


async def recover(session: AsyncSession, now: dt.datetime, *, school_id: int | None) -> int:
    """At a sender's start-up: the school's rows whose lease expired (their sender died) go
    back to the queue; rows leased to a live sender (another worker, mid-broadcast) are left
    alone. On SQLite one process owns the database, so every lease is a dead run's."""
    live_elsewhere = session.bind is None or session.bind.dialect.name != "sqlite"
    query = update(Outbox).where(_school(school_id), Outbox.status == "sending")
    if live_elsewhere:
        query = query.where(Outbox.claimed_at < now - LEASE)
    # Those whose request had left may have arrived: uncertain, or once more marked 🔁.
    await hold_in_doubt(session, now, query.whereclause)  # type: ignore[arg-type]
    result = await session.execute(
        query.values(status="pending", claimed_at=None, claimed_by=None).execution_options(
            synchronize_session=False
        )
    )
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


async def release(session: AsyncSession, row_ids: Sequence[int], owner: str) -> None:
    """A sender stopping cleanly gives back the rows it claimed and has not sent."""
    if row_ids:
        await session.execute(
            update(Outbox)
            .where(Outbox.id.in_(row_ids), Outbox.status == "sending", _owned_by(owner))
            .values(status="pending", claimed_at=None, claimed_by=None)
            .execution_options(synchronize_session=False)
        )


def _owned_by(owner: str) -> ColumnElement[bool]:
    return true() if not owner else Outbox.claimed_by == owner[:64]


async def settle(
    session: AsyncSession,
    outbox_id: int,
    status: str,
    now: dt.datetime,
    *,
    message_id: int | None = None,
    error: str = "",
    retry_at: dt.datetime | None = None,
    message: OutMessage | None = None,
) -> None:
    """The row's outcome: a final status, or ``retry_at`` (pending again, ``message`` replacing
    its payload when given)."""
    values: dict[str, object] = {"status": status, "last_error": error[:300]}
    if status == "sent":
        values |= {"sent_at": now, "sent_message_id": message_id}
    if retry_at is not None:
        values |= {
            "status": "pending",
            "send_after": retry_at,
            "claimed_at": None,
            "claimed_by": None,
            "requested_at": None,
        }
    else:
        values["settled_at"] = now
    if message is not None:
        values["payload"] = message.to_payload()
    await session.execute(update(Outbox).where(Outbox.id == outbox_id).values(**values))


async def renew(
    session: AsyncSession, row_ids: Sequence[int], now: dt.datetime, owner: str = ""
) -> None:
    """Renew the leases of rows still waiting or in flight in this process (a lease another
    sender took over after this one's expired stays theirs)."""
    if row_ids:
        await session.execute(
            update(Outbox)
            .where(Outbox.id.in_(row_ids), Outbox.status == "sending", _owned_by(owner))
            .values(claimed_at=now)
            .execution_options(synchronize_session=False)
        )


async def queued(session: AsyncSession, school_id: int, key_prefix: str) -> bool:
    """Whether anything with this key prefix was ever queued (a once-a-day or once-a-month
    message: a tick finds it sent already without building it again)."""
    found = await session.scalar(
        select(Outbox.id)
        .where(Outbox.school_id == school_id, Outbox.key.startswith(key_prefix))
        .limit(1)
    )
    return found is not None


async def pending_count(session: AsyncSession, school_id: int, key_prefix: str) -> int:
    rows = await session.scalars(
        select(Outbox.id).where(
            Outbox.school_id == school_id,
            Outbox.key.startswith(key_prefix),
            Outbox.status.in_(("pending", "sending")),
        )
    )
    return len(rows.all())


async def settled_between(
    session: AsyncSession,
    school_id: int,
    status: str,
    since: dt.datetime,
    until: dt.datetime,
    *,
    tried_only: bool = False,
) -> list[Outbox]:
    """Rows that reached ``status`` in [since, until); ``tried_only``: at least one attempt
    (an expired row that was never tried was made too late to matter, at a catch-up)."""
    query = select(Outbox).where(
        Outbox.school_id == school_id,
        Outbox.status == status,
        Outbox.settled_at >= since,
        Outbox.settled_at < until,
    )
    if tried_only:
        query = query.where(Outbox.attempts > 0)
    return list((await session.scalars(query.order_by(Outbox.id))).all())


async def count_settled(
    session: AsyncSession, school_id: int, since: dt.datetime, until: dt.datetime
) -> dict[str, int]:
    """Rows per final status reached in [since, until)."""
    query = (
        select(Outbox.status, func.count())
        .where(
            Outbox.school_id == school_id,
            Outbox.settled_at >= since,
            Outbox.settled_at < until,
        )
        .group_by(Outbox.status)
    )
    return {status: n for status, n in (await session.execute(query)).all()}


# An admin resends the sends held as uncertain (/today, a notice's report): each once, by a
# key of its own, marked 🔁 so the person sees it may be a second copy.
RESEND_PREFIX = "resend:"


async def uncertain_unresent(
    session: AsyncSession,
    school_id: int,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    key_prefix: str = "",
) -> list[Outbox]:
    """The rows held as uncertain (settled in [since, until), or with that key prefix) that
    no admin has resent yet."""
    query = select(Outbox).where(Outbox.school_id == school_id, Outbox.status == "uncertain")
    if since is not None:
        query = query.where(Outbox.settled_at >= since)
    if until is not None:
        query = query.where(Outbox.settled_at < until)
    if key_prefix:
        query = query.where(Outbox.key.startswith(key_prefix))
    rows = list((await session.scalars(query.order_by(Outbox.id))).all())
    if not rows:
        return []
    keys = [f"{RESEND_PREFIX}{r.id}" for r in rows]
    resent = set(
        (
            await session.scalars(
                select(Outbox.key).where(Outbox.school_id == school_id, Outbox.key.in_(keys))
            )
        ).all()
    )
    return [r for r in rows if f"{RESEND_PREFIX}{r.id}" not in resent]


async def resend(
    session: AsyncSession, school_id: int, rows: Sequence[Outbox], now: dt.datetime
) -> int:
    """Queue each row once more, marked 🔁; returns how many were new (a second press of
    the same button queues nothing: the keys exist)."""
    envelopes = []
    for row in rows:
        message = OutMessage.from_payload(row.payload)
        if not message.text.startswith(RESENT_MARK):
            message = marked_resent(message)
        expires = row.expires_at if row.expires_at is not None and row.expires_at > now else None
        envelopes.append(
            Envelope(
                f"{RESEND_PREFIX}{row.id}",
                row.tg_chat_id,
                message,
                now,
                expires_at=expires,
                task_id=row.task_id,
                person_id=row.person_id,
                priority=row.priority,
            )
        )
    return await enqueue(session, school_id, envelopes, now)
