"""What the duty handlers share: who may use them, the conversation helpers."""

from __future__ import annotations

import datetime as dt

from aiogram import Bot
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import Message

from bot.core.i18n import t
from handlers.media import MediaTooLarge, PhotoFile, download_photo
from scheduler.app import App

STAFF = ("admin", "duty_leader", "teacher", "head_teacher", "guard", "staff")
# A conversation older than this is dropped, so a forgotten one never swallows tomorrow's
# messages.
STATE_TTL = dt.timedelta(minutes=60)


async def live_state(state: FSMContext, app: App, field: str) -> int:
    """The conversation's object id; a stale conversation is dropped and the message goes on
    to the routers after this one."""
    data = await state.get_data()
    since = data.get("since")
    started = dt.datetime.fromisoformat(since) if isinstance(since, str) else None
    if field not in data or started is None or app.now() - started > STATE_TTL:
        await state.clear()
        raise SkipHandler
    return int(data[field])


async def start_state(state: FSMContext, app: App, step: State, **data: int) -> None:
    await state.set_state(step)
    await state.set_data({**data, "since": app.now().isoformat()})


async def download(message: Message, bot: Bot, app: App, lang: str) -> PhotoFile | None:
    try:
        return await download_photo(bot, app, message)
    except MediaTooLarge as exc:
        await message.answer(t(lang, "duty.photo_too_large", limit=exc.limit // (1024 * 1024)))
        return None
