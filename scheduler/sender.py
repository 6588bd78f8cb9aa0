"""Drains the outbox under Telegram's flood limits, one message in flight at a time.

One in flight is what makes "a crash duplicates at most one message" true: a row is marked
sent in the database before the next one leaves. At ~5 ms per localhost round trip and a
pace of ~29 messages/s there is time to spare; a real deployment's latency to Telegram
(~50–150 ms) would need a small pool, at the price of that many possible duplicates.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sqlalchemy import update

from scheduler.clock import Clock
from storage import outbox
from storage.db import SessionFactory
from storage.messages import OutMessage
from storage.models import Outbox

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


class Result(StrEnum):
    SENT = "sent"
    RETRY_AFTER = "retry_after"  # 429: wait, then try the same message again
    BLOCKED = "blocked"  # 403: the person blocked the bot or left the group
    REJECTED = "rejected"  # 400: the message itself is wrong; retrying will not help
    TRANSIENT = "transient"  # 5xx or network: retry with backoff


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
    """At most ``limit`` sends in any ``seconds``, each counted from when its answer came back.

    Telegram counts a message when the request arrives, never later than its answer, so
    latency jitter cannot put more than ``limit`` in one of Telegram's seconds. Unlike evenly
    spaced sends (a leaky bucket of capacity 1, which lost a timer tick on every message and
    never made up a stall such as a claim or a slow commit: 27.7–28.6 msg/s for 1,000 parents
    on a busy machine, bench/broadcast.py), a stall is caught up within the window: 28.8–29.0.
    """

    def __init__(self, limit: int, seconds: float = 1.0) -> None:
        self.limit = limit
        self.seconds = seconds
        self._answered: deque[float] = deque()

    async def acquire(self) -> None:
        while True:
            now = time.monotonic()
            while self._answered and self._answered[0] <= now - self.seconds:
                self._answered.popleft()
            if len(self._answered) < self.limit:
                return
            await asyncio.sleep(self._answered[0] + self.seconds - now)

    def record(self) -> None:
        self._answered.append(time.monotonic())


class OutboxSender:
    def __init__(
        self,
        sessions: SessionFactory,
        transport: Transport,
        clock: Clock,
        limits: Limits = Limits(),
        on_blocked: OnBlocked | None = None,
        poll_interval_s: float = 0.25,
    ) -> None:
        self.sessions = sessions
        self.transport = transport
        self.clock = clock
        self.limits = limits
        self.on_blocked = on_blocked
        self.poll_interval_s = poll_interval_s
        # 29.5 → 29 a second: the one left over is for handlers' direct replies, which Telegram
        # counts too but this window does not see.
        self._pace = SendWindow(max(int(limits.messages_per_second), 1))
        self._chat_ready: dict[int, float] = {}
        self._group_sends: defaultdict[int, deque[float]] = defaultdict(deque)
        self._buffer: list[Outbox] = []
        self._wake = asyncio.Event()
        self._stopping = False
        self._paused_until = 0.0
        self.sent = 0

    def wake(self) -> None:
        """Called after a transaction enqueued messages, so they leave without waiting."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def recover(self) -> int:
        """At start-up: rows a crashed process had claimed go back to the queue."""
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(Outbox)
                .where(Outbox.status == "sending")
                .values(status="pending", claimed_at=None)
            )
            return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]

    async def run(self) -> None:
        while not self._stopping:
            try:
                progressed = await self.step()
            except Exception:  # a sender that dies silently would lose every later message
                log.exception("outbox sender step failed; retrying")
                progressed = False
            if not progressed and not self._stopping:
                self._wake.clear()
                wait = min(self._next_ready_in(), self.poll_interval_s)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=max(wait, 0.01))

    async def drain(self, timeout_s: float = 30.0) -> int:
        """Send everything ready now (tests, the demo and the CLI use this)."""
        deadline = time.monotonic() + timeout_s
        before = self.sent
        while time.monotonic() < deadline:
            if not await self.step():
                if not self._buffer:
                    break
                await asyncio.sleep(max(min(self._next_ready_in(), 0.2), 0.005))
        return self.sent - before

    async def step(self) -> bool:
        """Send at most one message; False when nothing was ready."""
        if len(self._buffer) < 20:
            await self._claim_more()
        row = self._pick_ready()
        if row is None:
            return False
        self._buffer.remove(row)
        await self._send(row)
        return True

    async def _claim_more(self) -> None:
        async with self.sessions.begin() as session:
            claimed = await outbox.claim(session, self.clock.now(), 100 - len(self._buffer))
        known = {r.id for r in self._buffer}
        self._buffer.extend(r for r in claimed if r.id not in known)
        self._buffer.sort(key=lambda r: (r.priority, r.send_after, r.id))

    def _pick_ready(self) -> Outbox | None:
        now = time.monotonic()
        if now < self._paused_until:
            return None
        return next((r for r in self._buffer if self._ready_at(r.tg_chat_id) <= now), None)

    def _next_ready_in(self) -> float:
        if not self._buffer:
            return self.poll_interval_s
        now = time.monotonic()
        if now < self._paused_until:
            return self._paused_until - now
        return max(min(self._ready_at(r.tg_chat_id) for r in self._buffer) - now, 0.0)

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
        if message.edit_message_id is None:
            await self._pace.acquire()
        try:
            delivery = await self.transport.deliver(row.tg_chat_id, message)
        except Exception as exc:  # a connector bug must not stop the queue
            log.exception("transport failed for outbox row %s", row.id)
            delivery = Delivery(Result.TRANSIENT, error=type(exc).__name__)
        if message.edit_message_id is None:
            self._pace.record()
            self._note_sent(row.tg_chat_id)
        await self._settle(row, delivery)

    async def _settle(self, row: Outbox, delivery: Delivery) -> None:
        if delivery.result is Result.RETRY_AFTER:
            # Telegram asks to wait: hold everything; the row stays claimed in our buffer.
            wait = max(delivery.retry_after, 1.0)
            log.warning("429 from the Bot API: waiting %.0f s", wait)
            self._paused_until = time.monotonic() + wait
            self._buffer.append(row)
            return
        now = self.clock.now()
        async with self.sessions.begin() as session:
            match delivery.result:
                case Result.SENT:
                    self.sent += 1
                    await outbox.settle(
                        session, row.id, "sent", now, message_id=delivery.message_id
                    )
                case Result.BLOCKED:
                    await outbox.settle(session, row.id, "unreachable", now, error=delivery.error)
                case Result.REJECTED:
                    log.error("outbox row %s rejected: %s", row.id, delivery.error)
                    await outbox.settle(session, row.id, "failed", now, error=delivery.error)
                case Result.TRANSIENT:
                    if row.attempts >= MAX_ATTEMPTS:
                        await outbox.settle(session, row.id, "failed", now, error=delivery.error)
                    else:
                        backoff = dt.timedelta(seconds=min(2**row.attempts, 300))
                        await outbox.settle(
                            session,
                            row.id,
                            "pending",
                            now,
                            error=delivery.error,
                            retry_at=now + backoff,
                        )
        if delivery.result is Result.BLOCKED and self.on_blocked is not None:
            await self.on_blocked(row)
