"""A platform-neutral message (bot/core/messages.py) as Telegram shows it: its keyboard, and
the one Bot API call that sends or edits it. The outbox's transport (bot/telegram_transport.py)
and the handlers' direct replies both render through here, so a button looks the same
whichever way it went out."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import FSInputFile, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.core.messages import Button, OutMessage


def keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """A message's rows of buttons (``OutMessage.buttons``) as Telegram's inline keyboard."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=b.text, url=b.url)
                if b.url
                else InlineKeyboardButton(text=b.text, callback_data=b.data)
                for b in row
            ]
            for row in rows
        ]
    )


async def send(
    bot: Bot, chat_id: int, message: OutMessage, request_timeout: float | None = None
) -> Message | bool:
    """Sends ``message`` (text, photo or document; or edits the message it names)."""
    markup = keyboard(message.buttons)
    if message.edit_message_id is not None:
        return await bot.edit_message_text(
            text=message.text,
            chat_id=chat_id,
            message_id=message.edit_message_id,
            reply_markup=markup,
            request_timeout=request_timeout,  # type: ignore[arg-type]
        )
    if message.kind == "photo":
        photo = message.file_id or FSInputFile(message.media_path)
        return await bot.send_photo(
            chat_id,
            photo,
            caption=message.text[:1024] or None,
            reply_markup=markup,
            request_timeout=request_timeout,  # type: ignore[arg-type]
        )
    if message.kind == "document":
        document = message.file_id or FSInputFile(
            message.media_path, filename=message.filename or None
        )
        return await bot.send_document(
            chat_id,
            document,
            caption=message.text[:1024] or None,
            reply_markup=markup,
            request_timeout=request_timeout,  # type: ignore[arg-type]
        )
    return await bot.send_message(
        chat_id,
        message.text,
        reply_markup=markup,
        request_timeout=request_timeout,  # type: ignore[arg-type]
    )
