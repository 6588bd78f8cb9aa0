"""Downloading what people send (photos, documents) into the media store."""

from __future__ import annotations

import io

from aiogram import Bot
from aiogram.types import Message

from bot.app import App
from storage.media import MediaTooLarge
from storage.submissions import ReceivedFile

PhotoFile = ReceivedFile


async def download_photo(bot: Bot, app: App, message: Message) -> PhotoFile | None:
    """The largest size of the message's photo, stored under its sha256; None if no photo.

    Raises MediaTooLarge before downloading when Telegram already tells the size.
    """
    if not message.photo:
        return None
    photo = message.photo[-1]
    app.media.check_size(photo.file_size)
    buffer = io.BytesIO()
    await bot.download(photo, destination=buffer)
    stored = app.media.save(buffer.getvalue(), "image/jpeg")
    return stored, photo.file_id, photo.file_unique_id, "image/jpeg"


__all__ = ["MediaTooLarge", "PhotoFile", "download_photo"]
