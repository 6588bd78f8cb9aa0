"""A Bot API request middleware: a 429 answer is waited out and the call repeated.

The outbox sender paces itself; this covers direct replies from handlers, which share
Telegram's per-chat and global limits with it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response

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
