"""Bot API request middlewares that keep every call under Telegram's limits.

The outbox sender paces its own sends; handlers' direct replies share the same limits, so
``PaceChats`` reserves a per-chat (1 per 1.02 s) and per-group (20 a minute) slot before
any message leaves, and ``RetryAfter429`` waits out a 429 that comes anyway. A reply that
goes back in a webhook's response takes its slot with ``take_now`` (bot/webhook_reply.py).

Several processes answering for one bot (web workers, sender workers) share one budget in
Redis instead (``shared``: scheduler/flood.py), the outbox sender's too: each message-sending
call takes its turn there, and is recorded when its answer comes back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response

from scheduler.flood import TURN_TAKEN, BotFlood

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)


class RetryAfter429(BaseRequestMiddleware):
    def __init__(self, attempts: int = 3, max_wait_s: float = 30.0) -> None:
        self.attempts = attempts
        self.max_wait_s = max_wait_s

    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Response[Any]:
        for attempt in range(self.attempts):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self.attempts - 1 or exc.retry_after > self.max_wait_s:
                    raise
                log.info("429 on %s: waiting %s s", type(method).__name__, exc.retry_after)
                await asyncio.sleep(exc.retry_after)
        raise AssertionError("unreachable")


SENDING = ("Send", "Copy", "Forward")


def paced_chat(method: TelegramMethod[Any]) -> int | None:
    """The chat a method sends a message to, which Telegram's limits count; None for the
    rest (answers, edits, chats named by username)."""
    chat_id = getattr(method, "chat_id", None)
    if isinstance(chat_id, int) and type(method).__name__.startswith(SENDING):
        return chat_id
    return None


class PaceChats(BaseRequestMiddleware):
    def __init__(
        self,
        per_chat_interval_s: float = 1.02,
        group_per_minute: int = 20,
        per_second: int = 30,
        shared: BotFlood | None = None,
    ) -> None:
        self.shared = shared
        self.interval = per_chat_interval_s
        self.group_per_minute = group_per_minute
        self.per_second = per_second
        # A send is counted when it reaches Telegram, a moment after the clock read here:
        # a 31st message exactly 1.0 s after the 1st arrived 0.995 s after it (a 429).
        self.second_s = 1.05
        self._next_free: dict[int, float] = {}
        self._group_slots: defaultdict[int, deque[float]] = defaultdict(deque)
        self._sent: deque[float] = deque(maxlen=per_second)

    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Response[Any]:
        chat_id = paced_chat(method)
        if chat_id is not None and self.shared is not None:
            if TURN_TAKEN.get():  # the outbox sender took this message's turn already
                return await make_request(bot, method)
            ticket = await self.shared.acquire(chat_id)
            try:
                return await make_request(bot, method)
            finally:
                await self.shared.record(ticket, chat_id)
        if chat_id is not None:
            wait = self._reserve(chat_id, time.monotonic())
            if wait > 0:
                await asyncio.sleep(wait)
            await self._global_turn()
        return await make_request(bot, method)

    def take_now(self, chat_id: int, now: float | None = None) -> bool:
        """Claims the chat's slot and a turn of this second, if both are free now: a reply
        that goes back in a webhook's response leaves at once, so it cannot wait for them."""
        now = time.monotonic() if now is None else now
        if not self._turn_free(now) or self._next_slot(chat_id, now) > now:
            return False
        self._reserve(chat_id, now)
        self._sent.append(now)
        return True

    async def _global_turn(self) -> None:
        """At most ``per_second`` sends in any second, whoever sends (a burst of /start
        replies, the outbox). Check and append run without an await between them."""
        while True:
            now = time.monotonic()
            if self._turn_free(now):
                self._sent.append(now)
                return
            await asyncio.sleep(self._sent[0] + self.second_s - now)

    def _turn_free(self, now: float) -> bool:
        return len(self._sent) < self.per_second or self._sent[0] <= now - self.second_s

    def _reserve(self, chat_id: int, now: float) -> float:
        """Claims the chat's next free slot at once (so concurrent replies queue up in
        order) and returns how long to wait for it."""
        slot = self._next_slot(chat_id, now)
        if chat_id < 0:
            self._group_slots[chat_id].append(slot)
        self._next_free[chat_id] = slot + self.interval
        return slot - now

    def _next_slot(self, chat_id: int, now: float) -> float:
        slot = max(now, self._next_free.get(chat_id, 0.0))
        if chat_id < 0:
            slots = self._group_slots[chat_id]
            while slots and slots[0] <= now - 60:
                slots.popleft()
            if len(slots) >= self.group_per_minute:
                slot = max(slot, slots[-self.group_per_minute] + 60.5)
        return slot
