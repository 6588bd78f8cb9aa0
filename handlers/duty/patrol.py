"""/patrol (巡查): what was checked, as text and photos, any time; later photos and text join
the same record until "Done"."""

from __future__ import annotations

import contextlib

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.core.i18n import t
from bot.core.messages import OutMessage
from handlers.common import NOT_COMMAND, first_of_album, refuse_unless
from handlers.duty.common import STAFF, download, live_state, start_state
from handlers.rendering import keyboard
from scheduler.actors import Person
from scheduler.app import App
from scheduler.duty import services
from scheduler.duty.buttons import PatrolAction, PatrolPress, patrol_done_rows
from scheduler.duty.services import Patrolled
from scheduler.hazards import buttons as hazard_buttons

router = Router(name="duty_patrol")


class PatrolInput(StatesGroup):
    collecting = State()


@router.message(Command("patrol"))
async def patrol_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    app: App,
    actor: Person | None,
    lang: str,
    state: FSMContext,
) -> None:
    """/patrol <what was checked>, with a photo (the command as its caption) or without; a
    bare /patrol waits for the text or a photo before it records anything."""
    if not await refuse_unless(message, actor, lang, *STAFF):
        return
    assert actor is not None
    text = (command.args or "").strip()
    if not text and not message.photo:
        await start_state(state, app, PatrolInput.collecting, patrol=0)
        await message.answer(t(lang, "duty.patrol.ask", time=_hhmm(app)))
        return
    await _record(message, bot, app, actor, lang, state, 0, text)


@router.message(PatrolInput.collecting, F.photo | (F.text & NOT_COMMAND))
async def patrol_more(
    message: Message, bot: Bot, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    patrol_id = await live_state(state, app, "patrol")
    if actor is None:
        return
    text = (message.text or message.caption or "").strip()
    await _record(message, bot, app, actor, lang, state, patrol_id, text)


async def _record(
    message: Message,
    bot: Bot,
    app: App,
    actor: Person,
    lang: str,
    state: FSMContext,
    patrol_id: int,
    text: str,
) -> None:
    """Start the patrol (``patrol_id`` 0) or add to it; answer once per album."""
    photo = await download(message, bot, app, lang) if message.photo else None
    if message.photo and photo is None:
        return
    patrol = await services.record_patrol(
        app.sessions,
        app.school_id,
        app.settings,
        actor,
        app.now(),
        patrol_id,
        text,
        photo,
        tg_chat_id=message.chat.id,
        tg_message_id=message.message_id,
    )
    match patrol.outcome:
        case Patrolled.STARTED:
            await start_state(state, app, PatrolInput.collecting, patrol=patrol.patrol_id)
            reply = t(lang, "duty.patrol.started", time=_hhmm(app), photos=patrol.photos)
        case Patrolled.ADDED:
            reply = t(lang, "duty.patrol.added", photos=patrol.photos)
        case _:
            await state.clear()
            await message.answer(t(lang, "duty.patrol.gone"))
            return
    if photo is None or first_of_album(message.media_group_id):
        out = OutMessage(reply, buttons=patrol_done_rows(patrol.patrol_id, lang))
        await message.answer(out.text, reply_markup=keyboard(out.buttons))


def _hhmm(app: App) -> str:
    return app.now().astimezone(app.tz).strftime("%H:%M")


@router.callback_query(PatrolPress.filter(action=PatrolAction.DONE))
async def patrol_done(
    query: CallbackQuery,
    press: PatrolPress,
    app: App,
    actor: Person | None,
    lang: str,
    state: FSMContext,
) -> None:
    patrol_id = press.patrol_id
    if actor is None:
        await query.answer(t(lang, "common.unknown_user"), show_alert=True)
        return
    data = await state.get_data()
    if data.get("patrol") == patrol_id:
        await state.clear()
    patrol = await services.patrol_summary(app.sessions, app.school_id, patrol_id, actor)
    if patrol.outcome is not Patrolled.DONE:
        # Not one of this person's rounds (gone, another's, another school's): the message
        # pressed stays as it is.
        await query.answer(t(lang, "duty.patrol.gone"), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        summary = t(lang, "duty.patrol.done", photos=patrol.photos, text=patrol.text or "—")
        # Something found on the round becomes a hazard with one press (its text and photos).
        row = hazard_buttons.raise_from_row(hazard_buttons.Action.FROM_PATROL, patrol_id, lang)
        found = OutMessage(summary, buttons=(row,))
        with contextlib.suppress(TelegramBadRequest):
            await query.message.edit_text(found.text, reply_markup=keyboard(found.buttons))
