"""Drains the outbox under Telegram's flood limits, a few messages in flight at a time.

Several in flight, one per chat: a slow or hung answer (Telegram's worst case is a minute)
holds its own chat only, and a real deployment's 50–150 ms round trips still reach the
flood limit. Each send's outcome is honest (``Result``): refused before it was sent →
retried with capped backoff until the message's own expiry; sent and unanswered →
``uncertain``, which each routine handles as ``storage.outbox.resend_once`` says (parents'
notices are held and counted, never resent blindly). A crash may still repeat the sends in
flight at that moment (at most ``in_flight``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import secrets
import socket
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock
from bot.core.messages import OutMessage
from scheduler.flood import TURN_TAKEN, BotFlood
from storage import outbox, sqlite_lock
from storage.db import SessionFactory
from storage.models import Outbox

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 60  # an outage's end is noticed within a minute
NO_EXPIRY_LIFETIME = dt.timedelta(hours=24)  # how long a row without an expiry is retried
IN_FLIGHT = 4  # ~29 msg/s at up to ~130 ms a round trip


class Result(StrEnum):
    SENT = "sent"
    RETRY_AFTER = "retry_after"  # 429: wait, then try the same message again
    BLOCKED = "blocked"  # 403: the person blocked the bot or left the group
    REJECTED = "rejected"  # 400: the message itself is wrong; retrying will not help
    TRANSIENT = "transient"  # refused before it was sent (connect error, 5xx): retry
    UNCERTAIN = "uncertain"  # sent, no answer (read timeout, reset): it may have arrived


@dataclass(frozen=True)
class Delivery:
    result: Result
    message_id: int | None = None
    retry_after: float = 0.0
    error: str = ""


class Transport(Protocol):
    """A connector (Telegram now; WeCom or DingTalk later) that renders and delivers."""

    async def deliver(self, chat_id: int, message: OutMessage) -> Delivery: ...


@dataclass(frozen=True)
class Limits:
    messages_per_second: float = 29.5
    per_chat_interval_s: float = 1.02
    group_messages_per_minute: int = 20


OnBlocked = Callable[[Outbox], Awaitable[None]]


class SendWindow:
    """At most ``limit`` sends in any ``seconds``, each counted from when its answer came back,
    and a send in flight counts from when it left.

    Telegram counts a message when the request arrives, between its start and its answer, so
    latency jitter cannot put more than ``limit`` in one of Telegram's seconds: every send
    that arrives in a second either was answered within the second before the last one of
    them left, or was still in flight then. Unlike evenly spaced sends (a leaky bucket of
    capacity 1, which lost a timer tick on every message and never made up a stall such as a
    claim or a slow commit: 27.7–28.6 msg/s for 1,000 parents on a busy machine,
    bench/broadcast.py), a stall is caught up within the window: 28.8–29.0.
    """

    def __init__(self, limit: int, seconds: float = 1.0) -> None:
        self.limit = limit
        self.seconds = seconds
        self._answered: deque[float] = deque()
        self._in_flight = 0

    async def acquire(self) -> None:
        while True:
            now = time.monotonic()
            while self._answered and self._answered[0] <= now - self.seconds:
                self._answered.popleft()
            if len(self._answered) + self._in_flight < self.limit:
                self._in_flight += 1
                return
            if not self._answered:  # all in flight: an answer frees a place
                await asyncio.sleep(0.005)
                continue
            await asyncio.sleep(self._answered[0] + self.seconds - now)

    def record(self) -> None:
        self._in_flight -= 1
        self._answered.append(time.monotonic())


def lease_owner() -> str:
    """Names this sender in the leases it holds (host, process, a random part)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class OutboxSender:
    def __init__(
        self,
        sessions: SessionFactory,
        transport: Transport,
        clock: Clock,
        limits: Limits = Limits(),
        on_blocked: OnBlocked | None = None,
        poll_interval_s: float = 0.25,
        in_flight: int = IN_FLIGHT,
        max_backoff_s: float = MAX_BACKOFF_S,
        shared: BotFlood | None = None,
        *,
        school_id: int | None = None,
    ) -> None:
        self.sessions = sessions
        # The school whose rows this sender claims (its bot's); None only where one school
        # has the database (unit tests). Its claims are leases held by ``owner``.
        self.school_id = school_id
        self.owner = lease_owner()
        self.transport = transport
        self.clock = clock
        self.limits = limits
        self.on_blocked = on_blocked
        self.poll_interval_s = poll_interval_s
        self.in_flight = max(in_flight, 1)
        self.max_backoff_s = max_backoff_s
        # 29.5 → 29 a second: the one left over is for handlers' direct replies, which Telegram
        # counts too but this window does not see.
        self._pace = SendWindow(max(int(limits.messages_per_second), 1))
        # Several processes sending for this bot: one budget in Redis (scheduler/flood.py),
        # shared with handlers' replies; this process's own windows then only pick rows.
        self.shared = shared
        self._chat_ready: dict[int, float] = {}
        self._busy: set[int] = set()  # chats with a send in flight
        self._group_sends: defaultdict[int, deque[float]] = defaultdict(deque)
        self._buffer: list[Outbox] = []
        self._sending: dict[asyncio.Task[None], Outbox] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._paused_until = 0.0
        self._renewed_at = time.monotonic()
        self.sent = 0

    def wake(self) -> None:
        """Called after a transaction enqueued messages, so they leave without waiting."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def recover(self) -> int:
        """At start-up: the school's rows whose lease expired (a crashed process had claimed
        them) go back to the queue; another live worker's stay with it."""
        async with self.sessions.begin() as session:
            return await outbox.recover(session, self.clock.now(), school_id=self.school_id)

    async def run(self) -> None:
        try:
            while not self._stopping:
                try:
                    progressed = await self.step()
                    await self._renew_claims()
                except Exception as exc:
                    # A sender that dies silently would lose every later message.
                    if sqlite_lock.is_locked(exc):  # another process holds SQLite: wait, quietly
                        await sqlite_lock.wait_free(self.sessions)
                    else:
                        log.exception("outbox sender step failed; retrying")
                    progressed = False
                if not progressed and not self._stopping:
                    self._wake.clear()
                    wait = min(self._next_ready_in(), self.poll_interval_s)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=max(wait, 0.01))
            await self._finish_in_flight()
            await self._release_buffer()
        except asyncio.CancelledError:
            for task in self._sending:
                task.cancel()
            raise

    async def drain(self, timeout_s: float = 30.0) -> int:
        """Send everything ready now (tests, the demo and the CLI use this)."""
        deadline = time.monotonic() + timeout_s
        before = self.sent
        while time.monotonic() < deadline:
            if await self.step():
                continue
            if self._sending:
                await asyncio.wait(
                    list(self._sending),
                    timeout=max(deadline - time.monotonic(), 0.0),
                    return_when=asyncio.FIRST_COMPLETED,
                )
            elif self._buffer:
                await asyncio.sleep(max(min(self._next_ready_in(), 0.2), 0.005))
            elif not await self.step():  # a send may have been settled during that claim
                break
        return self.sent - before

    async def step(self) -> bool:
        """Start the sends that are ready now; False when none was."""
        if len(self._buffer) < 20:
            await self._claim_more()
        started = False
        while len(self._sending) < self.in_flight:
            row = self._pick_ready()
            if row is None:
                break
            self._buffer.remove(row)
            self._busy.add(row.tg_chat_id)
            task = asyncio.create_task(self._send(row), name=f"outbox-{row.id}")
            self._sending[task] = row
            task.add_done_callback(self._sent)
            started = True
        return started

    def _sent(self, task: asyncio.Task[None]) -> None:
        row = self._sending.pop(task)
        self._busy.discard(row.tg_chat_id)
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox row %s: %r", row.id, task.exception())
        self._wake.set()

    async def _finish_in_flight(self) -> None:
        if self._sending:
            await asyncio.wait(list(self._sending))

    async def _claim_more(self) -> None:
        async with self.sessions.begin() as session:
            claimed = await outbox.claim(
                session,
                self.clock.now(),
                100 - len(self._buffer),
                school_id=self.school_id,
                owner=self.owner,
            )
        # After the claim: a send settled meanwhile may have been claimed again, rightly.
        known = {r.id for r in self._buffer} | {r.id for r in self._sending.values()}
        self._buffer.extend(r for r in claimed if r.id not in known)
        self._buffer.sort(key=lambda r: (r.priority, r.send_after, r.id))

    async def _renew_claims(self) -> None:
        """Rows waiting in the buffer (a group's 20 a minute, a 429) or in flight keep their
        claim, so no other process takes them while this one is alive."""
        if time.monotonic() - self._renewed_at < outbox.LEASE.total_seconds() / 4:
            return
        self._renewed_at = time.monotonic()
        ids = [r.id for r in self._buffer] + [r.id for r in self._sending.values()]
        async with self.sessions.begin() as session:
            await outbox.renew(session, ids, self.clock.now(), self.owner)

    async def _release_buffer(self) -> None:
        """A clean stop: what was claimed and not sent goes back to the queue at once, for
        another worker or the next run, instead of waiting out its lease."""
        ids, self._buffer = [r.id for r in self._buffer], []
        try:
            async with self.sessions.begin() as session:
                await outbox.release(session, ids, self.owner)
        except Exception:  # its leases expire anyway
            log.warning("could not give back %d claimed rows", len(ids), exc_info=True)

    def _pick_ready(self) -> Outbox | None:
        now = time.monotonic()
        if now < self._paused_until:
            return None
        return next(
            (
                r
                for r in self._buffer
                if r.tg_chat_id not in self._busy and self._ready_at(r.tg_chat_id) <= now
            ),
            None,
        )

    def _next_ready_in(self) -> float:
        waiting = [r for r in self._buffer if r.tg_chat_id not in self._busy]
        # All places taken: a finished send wakes the loop; polling meanwhile only claimed
        # again and again (every 10 ms while Telegram was slow to answer).
        if not waiting or len(self._sending) >= self.in_flight:
            return self.poll_interval_s
        now = time.monotonic()
        if now < self._paused_until:
            return self._paused_until - now
        return max(min(self._ready_at(r.tg_chat_id) for r in waiting) - now, 0.0)

    def _ready_at(self, chat_id: int) -> float:
        ready = self._chat_ready.get(chat_id, 0.0)
        if chat_id < 0:  # groups: at most N in any 60 s
            sends = self._group_sends[chat_id]
            if len(sends) >= self.limits.group_messages_per_minute:
                ready = max(ready, sends[0] + 60.5)
        return ready

    def _note_sent(self, chat_id: int) -> None:
        now = time.monotonic()
        self._chat_ready[chat_id] = now + self.limits.per_chat_interval_s
        if chat_id < 0:
            sends = self._group_sends[chat_id]
            sends.append(now)
            while len(sends) > self.limits.group_messages_per_minute:
                sends.popleft()

    async def _send(self, row: Outbox) -> None:
        message = OutMessage.from_payload(row.payload)
        paced = message.edit_message_id is None
        ticket = ""
        if paced:
            ticket = await self._take_turn(row.tg_chat_id)
            if time.monotonic() < self._paused_until:  # a 429 came while this one waited
                await self._turn_done(row.tg_chat_id, ticket)
                self._buffer.append(row)
                return
        try:
            # Written before the request leaves: should this process die before the answer,
            # the next start knows the row may have arrived (storage.outbox.in_doubt).
            await self._written(self._requested, row)
        except BaseException:
            if paced:
                await self._turn_done(row.tg_chat_id, ticket)
            raise
        try:
            delivery = await self.transport.deliver(row.tg_chat_id, message)
        except Exception as exc:  # a connector bug must not stop the queue
            log.exception("transport failed for outbox row %s", row.id)
            delivery = Delivery(Result.UNCERTAIN, error=type(exc).__name__)
        finally:
            if paced:
                await self._turn_done(row.tg_chat_id, ticket)
                self._note_sent(row.tg_chat_id)
        await self._written(self._settle, row, message, delivery)

    async def _take_turn(self, chat_id: int) -> str:
        if self.shared is None:
            await self._pace.acquire()
            return ""
        ticket = await self.shared.acquire(chat_id)
        TURN_TAKEN.set(True)  # this send's task: the bot's middleware takes no second turn
        return ticket

    async def _turn_done(self, chat_id: int, ticket: str) -> None:
        if self.shared is None:
            self._pace.record()
            return
        try:
            await self.shared.record(ticket, chat_id)
        except Exception:  # the send is done: settle it; its place frees itself (HOLD_S)
            log.warning("could not record a send in the shared flood budget", exc_info=True)

    async def _requested(self, row: Outbox) -> None:
        async with self.sessions.begin() as session:
            await outbox.requested(session, row.id, self.clock.now())

    async def _written(self, write: Callable[..., Awaitable[None]], *args: object) -> None:
        """A send's outcome is kept until it is written: while another process holds SQLite's
        lock, it waits for it to go (the row stays claimed in this process meanwhile)."""
        while True:
            try:
                await write(*args)
                return
            except Exception as exc:
                if not sqlite_lock.is_locked(exc):
                    raise
                await sqlite_lock.wait_free(self.sessions)

    async def _settle(self, row: Outbox, message: OutMessage, delivery: Delivery) -> None:
        if delivery.result is Result.RETRY_AFTER:
            # Telegram asks to wait: hold everything; the row stays claimed in our buffer.
            wait = max(delivery.retry_after, 1.0)
            log.warning("429 from the Bot API: waiting %.0f s", wait)
            self._paused_until = max(self._paused_until, time.monotonic() + wait)
            self._buffer.append(row)
            if self.shared is not None:  # every process sending for this bot waits too
                await self.shared.pause(wait)
            return
        result = delivery.result
        if result is Result.UNCERTAIN and message.edit_message_id is not None:
            result = Result.TRANSIENT  # an edit is idempotent: doing it again changes nothing
        now = self.clock.now()
        async with self.sessions.begin() as session:
            match result:
                case Result.SENT:
                    await outbox.settle(
                        session, row.id, "sent", now, message_id=delivery.message_id
                    )
                case Result.BLOCKED:
                    await outbox.settle(session, row.id, "unreachable", now, error=delivery.error)
                case Result.REJECTED:
                    log.error("outbox row %s rejected: %s", row.id, delivery.error)
                    await outbox.settle(session, row.id, "failed", now, error=delivery.error)
                case Result.UNCERTAIN if outbox.resend_once(row.key, message):
                    log.warning("outbox row %s unanswered; resending it once, marked", row.id)
                    await outbox.settle(
                        session,
                        row.id,
                        "pending",
                        now,
                        error=f"uncertain: {delivery.error}",
                        retry_at=now,
                        message=outbox.marked_resent(message),
                    )
                case Result.UNCERTAIN:
                    log.warning("outbox row %s unanswered: held as uncertain", row.id)
                    await outbox.settle(session, row.id, "uncertain", now, error=delivery.error)
                case Result.TRANSIENT:
                    await self._retry_later(session, row, now, delivery.error)
        if result is Result.SENT:  # once written (a write that met a lock is done again)
            self.sent += 1
        if delivery.result is Result.BLOCKED and self.on_blocked is not None:
            await self._written(self.on_blocked, row)

    async def _retry_later(
        self, session: AsyncSession, row: Outbox, now: dt.datetime, error: str
    ) -> None:
        """Again after a capped backoff, until the message's own expiry (a prompt's day, a
        notice's deadline); then it is expired, and the admins hear of it."""
        expires = row.expires_at or row.created_at + NO_EXPIRY_LIFETIME
        retry_at = min(
            now + dt.timedelta(seconds=min(2 ** min(row.attempts, 8), self.max_backoff_s)), expires
        )
        if retry_at <= now:
            await outbox.settle(session, row.id, "expired", now, error=error)
        else:
            await outbox.settle(session, row.id, "pending", now, error=error, retry_at=retry_at)
