"""Renders platform-neutral outbox messages as Telegram Bot API calls."""

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
from aiogram.types import FSInputFile, InlineKeyboardButton, InlineKeyboardMarkup, Message

from scheduler.sender import Delivery, Result
from storage.messages import OutMessage


def keyboard(message: OutMessage) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=b.text, url=b.url)
                if b.url
                else InlineKeyboardButton(text=b.text, callback_data=b.data)
                for b in row
            ]
            for row in message.buttons
        ]
    )


class TelegramTransport:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def deliver(self, chat_id: int, message: OutMessage) -> Delivery:
        try:
            sent = await self._call(chat_id, message)
        except TelegramRetryAfter as exc:
            return Delivery(Result.RETRY_AFTER, retry_after=float(exc.retry_after))
        except TelegramForbiddenError as exc:
            return Delivery(Result.BLOCKED, error=exc.message)
        except TelegramBadRequest as exc:
            if "message is not modified" in exc.message:
                return Delivery(Result.SENT, message_id=message.edit_message_id)
            if "chat not found" in exc.message:
                return Delivery(Result.BLOCKED, error=exc.message)
            return Delivery(Result.REJECTED, error=exc.message)
        except TelegramNotFound as exc:
            return Delivery(Result.REJECTED, error=exc.message)
        except (
            TimeoutError,
            TelegramServerError,
            TelegramNetworkError,
            aiohttp.ClientError,
        ) as exc:
            return Delivery(Result.TRANSIENT, error=f"{type(exc).__name__}: {exc}"[:300])
        message_id = sent.message_id if isinstance(sent, Message) else message.edit_message_id
        return Delivery(Result.SENT, message_id=message_id)

    async def _call(self, chat_id: int, message: OutMessage) -> Message | bool:
        markup = keyboard(message)
        if message.edit_message_id is not None:
            return await self.bot.edit_message_text(
                text=message.text,
                chat_id=chat_id,
                message_id=message.edit_message_id,
                reply_markup=markup,
            )
        if message.kind == "photo":
            photo = message.file_id or FSInputFile(message.media_path)
            return await self.bot.send_photo(
                chat_id, photo, caption=message.text[:1024] or None, reply_markup=markup
            )
        if message.kind == "document":
            document = message.file_id or FSInputFile(
                message.media_path, filename=message.filename or None
            )
            return await self.bot.send_document(
                chat_id, document, caption=message.text[:1024] or None, reply_markup=markup
            )
        return await self.bot.send_message(chat_id, message.text, reply_markup=markup)
