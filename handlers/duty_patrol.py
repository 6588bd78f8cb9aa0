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

from bot.app import App
from bot.core.i18n import t
from bot.core.messages import Button, OutMessage
from bot.telegram_transport import keyboard
from handlers.common import ID, refuse_unless
from handlers.duty_common import (
    NOT_COMMAND,
    STAFF,
    download,
    first_of_album,
    live_state,
    start_state,
)
from scheduler.actors import Person
from scheduler.duty import patrol as patrols
from scheduler.hazards import buttons as hazard_buttons

router = Router(name="duty_patrol")


class PatrolInput(StatesGroup):
    collecting = State()


def _patrol_markup_message(patrol_id: int, text: str, lang: str) -> OutMessage:
    button = Button(t(lang, "duty.button.patrol_done"), f"pt:{patrol_id}:done")
    return OutMessage(text, buttons=((button,),))


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
    text = text[: patrols.MAX_TEXT]
    async with app.sessions.begin() as session:
        if patrol_id:
            patrol = await patrols.add_to_patrol(
                session, app.school_id, patrol_id, actor, app.now(), text, photo
            )
        else:
            patrol = await patrols.start_patrol(
                session,
                app.school_id,
                app.settings,
                actor,
                app.now(),
                text,
                photo,
                tg_chat_id=message.chat.id,
                tg_message_id=message.message_id,
            )
        photos = len(patrol.attachments) if patrol else 0
    if patrol is None:
        await state.clear()
        await message.answer(t(lang, "duty.patrol.gone"))
        return
    if not patrol_id:
        await start_state(state, app, PatrolInput.collecting, patrol=patrol.id)
        reply = t(lang, "duty.patrol.started", time=_hhmm(app), photos=photos)
    else:
        reply = t(lang, "duty.patrol.added", photos=photos)
    if photo is None or first_of_album(message.media_group_id):
        out = _patrol_markup_message(patrol.id, reply, lang)
        await message.answer(out.text, reply_markup=keyboard(out))


def _hhmm(app: App) -> str:
    return app.now().astimezone(app.tz).strftime("%H:%M")


@router.callback_query(F.data.regexp(rf"^pt:{ID}:done$"))
async def patrol_done(
    query: CallbackQuery, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    patrol_id = int((query.data or "").split(":")[1])
    if actor is None:
        await query.answer(t(lang, "common.unknown_user"), show_alert=True)
        return
    data = await state.get_data()
    if data.get("patrol") == patrol_id:
        await state.clear()
    async with app.sessions() as session:
        patrol = await patrols.patrol_of(session, app.school_id, patrol_id, actor)
        summary = (
            t(lang, "duty.patrol.done", photos=len(patrol.attachments), text=patrol.text or "—")
            if patrol is not None
            else t(lang, "duty.patrol.gone")
        )
    await query.answer()
    if isinstance(query.message, Message):
        # Something found on the round becomes a hazard with one press (its text and photos).
        found = (
            OutMessage(
                summary,
                buttons=(
                    hazard_buttons.raise_from_row(
                        hazard_buttons.Action.FROM_PATROL, patrol_id, lang
                    ),
                ),
            )
            if patrol is not None
            else OutMessage(summary)
        )
        with contextlib.suppress(TelegramBadRequest):
            await query.message.edit_text(summary, reply_markup=keyboard(found))
