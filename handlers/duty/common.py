"""What the duty handlers share: who may use them, the conversation helpers."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

from aiogram import Bot, F
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import Message

from bot.core.i18n import t
from handlers.media import MediaTooLarge, PhotoFile, download_photo
from scheduler.app import App
from scheduler.routine import Context

STAFF = ("admin", "duty_leader", "teacher", "head_teacher", "guard", "staff")
# A conversation older than this is dropped, so a forgotten one never swallows tomorrow's
# messages.
STATE_TTL = dt.timedelta(minutes=60)
# Commands keep working in the middle of a conversation (/cancel, /duty, /help …).
NOT_COMMAND = ~F.text.startswith("/")
_ALBUMS_ANSWERED: OrderedDict[str, None] = OrderedDict()


def ctx_of(app: App) -> Context:
    if app.ticker is not None:
        return app.ticker.ctx
    return Context(app.school_id, app.settings.school.language, app.tz)


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


def first_of_album(media_group_id: str | None) -> bool:
    """An album arrives as several messages: it gets one answer (per process, bounded)."""
    if media_group_id is None:
        return True
    if media_group_id in _ALBUMS_ANSWERED:
        return False
    _ALBUMS_ANSWERED[media_group_id] = None
    while len(_ALBUMS_ANSWERED) > 1000:
        _ALBUMS_ANSWERED.popitem(last=False)
    return True
