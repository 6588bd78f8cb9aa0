"""Downloading what people send (photos, documents) into the media store."""

from __future__ import annotations

import io

from aiogram import Bot
from aiogram.types import Document, Message, PhotoSize

from scheduler.app import App
from scheduler.inbox import MediaTooLarge, ReceivedFile, StoredFile

PhotoFile = ReceivedFile


async def download_photo(bot: Bot, app: App, message: Message) -> PhotoFile | None:
    """The largest size of the message's photo, stored (``download_file``); None if no
    photo."""
    if not message.photo:
        return None
    photo = message.photo[-1]
    stored = await download_file(bot, app, photo, "image/jpeg")
    return stored, photo.file_id, photo.file_unique_id, "image/jpeg"


async def download_file(bot: Bot, app: App, file: PhotoSize | Document, mime: str) -> StoredFile:
    """A photo or document someone sent, stored under its sha256.

    Raises MediaTooLarge before downloading when Telegram already tells the size.
    """
    app.media.check_size(file.file_size)
    buffer = io.BytesIO()
    await bot.download(file, destination=buffer)
    return app.media.save(buffer.getvalue(), mime)


__all__ = ["MediaTooLarge", "PhotoFile", "download_file", "download_photo"]
