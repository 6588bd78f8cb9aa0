"""Inspections (隐患排查): the checklist's buttons. 正常 ticks an item, 其余全部正常 the rest,
有隐患 opens a hazard with the item filled in and goes on with the hazard's questions (what,
then whatever the item did not fill in). The prompt is redrawn with what is still open."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import CallbackQuery, Message

from bot.app import App
from bot.core.i18n import t
from bot.fsm_storage import move_to
from bot.telegram_transport import keyboard
from handlers.duty_common import ctx_of
from handlers.hazards import RaiseHazard
from scheduler import inspections as insp
from scheduler.actors import Person
from scheduler.inspections.common import PREFIX, items_of

router = Router(name="inspections")


@router.callback_query(F.data.startswith(f"{PREFIX}:"))
async def pressed(
    query: CallbackQuery, app: App, actor: Person | None, lang: str, state: FSMContext
) -> AnswerCallbackQuery:
    press = insp.Press.parse(query.data)
    if press is None:
        return query.answer(t(lang, "insp.stale"), show_alert=True)
    if actor is None:
        return query.answer(t(lang, "common.unknown_user"), show_alert=True)
    message = query.message if isinstance(query.message, Message) else None
    private = message is not None and message.chat.type == "private"
    if press.choice is insp.Choice.HAZARD and not private:
        return query.answer(t(lang, "insp.private_only"), show_alert=True)
    ctx = ctx_of(app)
    async with app.sessions.begin() as session:
        result = await insp.answer(
            session,
            ctx,
            press,
            actor,
            app.now(),
            app.settings.inspections,
            tg_chat_id=message.chat.id if message else None,
        )
        if result.outcome is insp.Outcome.HAZARD:
            await move_to(session, state, RaiseHazard.what, {"hazard_id": result.hazard_id})
        # The prompt as it now stands, drawn while the task is at hand.
        redrawn = (
            insp.InspectionRoutine().prompt(result.task, result.unit, lang, ctx)
            if result.task is not None
            else None
        )
        found = len(insp.hazards_found(result.task)) if result.task is not None else 0
        total = len(items_of(result.task)) if result.task is not None else 0
    match result.outcome:
        case insp.Outcome.NOT_FOUND:
            return query.answer(t(lang, "insp.stale"), show_alert=True)
        case insp.Outcome.NOT_ALLOWED:
            return query.answer(t(lang, "insp.not_allowed"), show_alert=True)
        case insp.Outcome.ALREADY:
            return query.answer(t(lang, "insp.already"), show_alert=True)
        case insp.Outcome.EXPIRED:
            return query.answer(t(lang, "insp.expired"), show_alert=True)
    if message is not None and redrawn is not None:
        text, rows = redrawn.text, redrawn.buttons
        if not rows:
            text += "\n\n" + t(lang, "insp.completed", ok=total - found, found=found)
        await message.edit_text(text, reply_markup=keyboard(redrawn) if rows else None)
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
