"""Renders platform-neutral outbox messages as Telegram Bot API calls, and tells apart a call
Telegram refused (retry it) from one it may have carried out without answering (uncertain)."""

from __future__ import annotations

import aiohttp
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import Message

from bot.core.messages import OutMessage
from bot.telegram_session import watch_request
from handlers.rendering import send
from scheduler.sender import Delivery, Result

# Well under the outbox's claim lease (60 s), and under aiogram's 60 s: a hung answer holds
# its own chat this long at most; Telegram's answers take well under a second.
REQUEST_TIMEOUT_S = 20.0


class TelegramTransport:
    def __init__(self, bot: Bot, request_timeout_s: float = REQUEST_TIMEOUT_S) -> None:
        self.bot = bot
        self.request_timeout_s = request_timeout_s

    async def deliver(self, chat_id: int, message: OutMessage) -> Delivery:
        with watch_request() as progress:
            try:
                sent = await self._call(chat_id, message)
            except (TimeoutError, TelegramNetworkError, aiohttp.ClientError) as exc:
                # No answer. Written: Telegram may have delivered it (its ambiguous timeout).
                result = Result.UNCERTAIN if progress.written else Result.TRANSIENT
                return Delivery(result, error=f"{type(exc).__name__}: {exc}"[:300])
            except (
                TelegramRetryAfter,
                TelegramForbiddenError,
                TelegramBadRequest,
                TelegramNotFound,
                TelegramServerError,
            ) as exc:
                return _refused(exc, message)
        message_id = sent.message_id if isinstance(sent, Message) else message.edit_message_id
        return Delivery(Result.SENT, message_id=message_id)

    async def _call(self, chat_id: int, message: OutMessage) -> Message | bool:
        return await send(self.bot, chat_id, message, self.request_timeout_s)


def _refused(exc: Exception, message: OutMessage) -> Delivery:
    """Telegram answered with an error: nothing was delivered."""
    match exc:
        case TelegramRetryAfter():
            return Delivery(Result.RETRY_AFTER, retry_after=float(exc.retry_after))
        case TelegramForbiddenError():
            return Delivery(Result.BLOCKED, error=exc.message)
        case TelegramBadRequest() if "message is not modified" in exc.message:
            return Delivery(Result.SENT, message_id=message.edit_message_id)
        case TelegramBadRequest() if "chat not found" in exc.message:
            return Delivery(Result.BLOCKED, error=exc.message)
        case TelegramBadRequest() | TelegramNotFound():
            return Delivery(Result.REJECTED, error=exc.message)
        case TelegramServerError():  # 5xx: refused, nothing done
            return Delivery(Result.TRANSIENT, error=f"{type(exc).__name__}: {exc}"[:300])
    raise exc
