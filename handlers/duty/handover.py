"""The handover's buttons (tick, note, submit, confirm), /handover, and the note-and-photos
conversation. Its handlers act only in that conversation or on a message replying to the
checklist, so other photos go on to education's handler."""

from __future__ import annotations

import contextlib

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.core.i18n import t
from bot.core.messages import OutMessage
from handlers.common import NOT_COMMAND, ctx_of, first_of_album, refuse_unless
from handlers.duty.common import STAFF, download, live_state, start_state
from handlers.rendering import keyboard
from scheduler.actors import Person
from scheduler.app import App
from scheduler.duty import handover as handovers
from scheduler.duty import handover_text as texts
from scheduler.duty import services
from scheduler.duty.buttons import HandoverPress, HandoverStep

router = Router(name="duty_handover")


class HandoverNote(StatesGroup):
    collecting = State()


@router.message(Command("handover"))
async def handover_command(message: Message, app: App, actor: Person | None, lang: str) -> None:
    if not await refuse_unless(message, actor, lang, *STAFF):
        return
    text = await services.handover_log(app.sessions, ctx_of(app), app.settings, lang)
    await message.answer(text)


@router.callback_query(HandoverPress.filter())
async def handover_button(
    query: CallbackQuery,
    press: HandoverPress,
    app: App,
    actor: Person | None,
    lang: str,
    state: FSMContext,
) -> None:
    handover_id, action = press.handover_id, press.step
    assert action is not None  # HandoverPress.unpack reads only the actions the bot sends
    if actor is None:
        await query.answer(t(lang, "common.unknown_user"), show_alert=True)
        return
    settings = app.settings
    step = await services.press_handover(
        app.sessions, ctx_of(app), settings, handover_id, actor, action, press.item, app.now()
    )
    app.wake_sender()
    if step.outcome is not handovers.Outcome.OK:
        await query.answer(_step_refusal(step, action, lang), show_alert=True)
        if step.view is not None and step.outcome is handovers.Outcome.CLOSED:
            await _show(query, texts.checklist_message(step.view, settings, lang))
        return
    assert step.view is not None
    if action is HandoverStep.NOTE:
        await start_state(state, app, HandoverNote.collecting, handover=handover_id)
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.answer(t(lang, "duty.handover.note_ask"))
        return
    if action is HandoverStep.CONFIRM:
        await query.answer(t(lang, "duty.handover.confirmed"))
        await _show(query, texts.confirmed_message(step.view, settings, lang))
        return
    await _show(query, texts.checklist_message(step.view, settings, lang))
    if action is HandoverStep.SUBMIT:
        await _leave_note_state(state, handover_id)
        key = "duty.handover.submitted" if step.view.incoming else "duty.handover.submitted_alone"
        name = step.view.incoming.display_name if step.view.incoming else ""
        await query.answer(t(lang, key, name=name), show_alert=True)
    else:
        await query.answer()


def _step_refusal(step: handovers.Step, action: HandoverStep, lang: str) -> str:
    match step.outcome:
        case handovers.Outcome.NOT_YOURS:
            confirming = action is HandoverStep.CONFIRM
            return t(
                lang, "duty.handover.not_yours_in" if confirming else "duty.handover.not_yours"
            )
        case handovers.Outcome.CLOSED:
            return t(lang, "duty.handover.closed")
        case handovers.Outcome.NEED_NOTE:
            return t(lang, "duty.handover.need_note")
        case handovers.Outcome.ALREADY:
            return t(lang, "duty.handover.already")
        case _:
            return t(lang, "duty.handover.gone")


async def _show(query: CallbackQuery, out: OutMessage) -> None:
    if not isinstance(query.message, Message):
        return
    with contextlib.suppress(TelegramBadRequest):  # "message is not modified"
        await query.message.edit_text(out.text, reply_markup=keyboard(out.buttons))


async def _leave_note_state(state: FSMContext, handover_id: int) -> None:
    if await state.get_state() == HandoverNote.collecting.state:
        data = await state.get_data()
        if data.get("handover") == handover_id:
            await state.clear()


@router.message(HandoverNote.collecting, F.photo | (F.text & NOT_COMMAND))
async def handover_note(
    message: Message, bot: Bot, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    handover_id = await live_state(state, app, "handover")
    if actor is None:
        return
    await _add_to_handover(message, bot, app, actor, lang, state, handover_id)


@router.message(F.chat.type == "private", F.reply_to_message, F.photo | (F.text & NOT_COMMAND))
async def reply_to_checklist(
    message: Message, bot: Bot, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    """A photo or a text replying to the handover checklist belongs to that handover."""
    reply = message.reply_to_message
    if actor is None or reply is None:
        raise SkipHandler
    handover_id = await services.checklist_replied_to(
        app.sessions, app.school_id, actor, message.chat.id, reply.message_id
    )
    if handover_id is None:
        raise SkipHandler
    await _add_to_handover(message, bot, app, actor, lang, state, handover_id)


async def _add_to_handover(
    message: Message,
    bot: Bot,
    app: App,
    actor: Person,
    lang: str,
    state: FSMContext,
    handover_id: int,
) -> None:
    """A text is a note; a photo is kept with its caption (one answer per album)."""
    photo = await download(message, bot, app, lang) if message.photo else None
    if message.photo and photo is None:
        return
    noted = await services.add_handover_note(
        app.sessions,
        ctx_of(app),
        handover_id,
        actor,
        (message.text if photo is None else message.caption) or "",
        app.now(),
        photo=photo,
        tg_chat_id=message.chat.id,
        tg_message_id=message.message_id,
    )
    if photo is None:
        key = "duty.handover.note_saved"
    else:
        key = "duty.handover.photo_saved" if first_of_album(message.media_group_id) else ""
    await _after_note(message, bot, app, state, noted, lang, key)


async def _after_note(
    message: Message,
    bot: Bot,
    app: App,
    state: FSMContext,
    noted: services.Noted,
    lang: str,
    saved_key: str,
) -> None:
    """Refresh the checklist (note, photo count) and say so; or say why not."""
    step, where = noted.step, noted.checklist
    if step.outcome is not handovers.Outcome.OK or step.view is None:
        await state.clear()
        await message.answer(_step_refusal(step, HandoverStep.NOTE, lang))
        return
    if where is not None:
        out = texts.checklist_message(step.view, app.settings, lang)
        with contextlib.suppress(TelegramBadRequest):
            await bot.edit_message_text(
                out.text, chat_id=where[0], message_id=where[1], reply_markup=keyboard(out.buttons)
            )
    if saved_key:
        await message.answer(t(lang, saved_key, photos=step.view.photos))
