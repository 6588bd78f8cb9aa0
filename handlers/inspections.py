"""Inspections (隐患排查): the checklist's buttons. 正常 ticks an item, 其余全部正常 the rest,
有隐患 opens a hazard with the item filled in and goes on with the hazard's questions (what,
then whatever the item did not fill in). The prompt is redrawn with what is still open.
The rules and the transaction are scheduler/inspections/answers.py's ``press``."""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import CallbackQuery

from bot.core.i18n import t
from handlers.common import ctx_of, pressed_message
from handlers.hazards import moves
from handlers.rendering import keyboard
from scheduler import inspections as insp
from scheduler.actors import Person
from scheduler.app import App

router = Router(name="inspections")


@router.callback_query(insp.Press.filter())
async def pressed(
    query: CallbackQuery,
    press: insp.Press,
    app: App,
    actor: Person | None,
    lang: str,
    state: FSMContext,
) -> AnswerCallbackQuery:
    if actor is None:
        return query.answer(t(lang, "common.unknown_user"), show_alert=True)
    message = pressed_message(query)
    private = message is not None and message.chat.type == "private"
    if press.choice is insp.Choice.HAZARD and not private:
        return query.answer(t(lang, "insp.private_only"), show_alert=True)
    result = await insp.press(
        app.sessions,
        ctx_of(app),
        press,
        actor,
        app.now(),
        app.settings.inspections,
        lang,
        moves(state),
        tg_chat_id=message.chat.id if message else None,
    )
    match result.outcome:
        case insp.Outcome.NOT_FOUND:
            return query.answer(t(lang, "insp.stale"), show_alert=True)
        case insp.Outcome.NOT_ALLOWED:
            return query.answer(t(lang, "insp.not_allowed"), show_alert=True)
        case insp.Outcome.ALREADY:
            return query.answer(t(lang, "insp.already"), show_alert=True)
        case insp.Outcome.EXPIRED:
            return query.answer(t(lang, "insp.expired"), show_alert=True)
    if message is not None and result.prompt is not None:
        text, rows = result.prompt.text, result.prompt.buttons
        if not rows:
            found = result.found
            text += "\n\n" + t(lang, "insp.completed", ok=result.total - found, found=found)
        await message.edit_text(
            text, reply_markup=keyboard(result.prompt.buttons) if rows else None
        )
    if result.outcome is insp.Outcome.HAZARD and message is not None:
        await message.answer(
            t(
                lang,
                "insp.hazard_opened",
                n=press.index + 1,
                item=result.item,
                id=result.hazard_id,
            )
        )
    return query.answer()
