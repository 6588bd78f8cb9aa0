"""1530 education: the Done button and the photo that proves the class was held. The rules
(who may answer, which task a photo is for) and the transactions are the services' of
scheduler/education.py."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, Message

from bot.core.i18n import t
from handlers.media import MediaTooLarge, download_photo
from scheduler import education
from scheduler.actors import Person
from scheduler.app import App
from scheduler.education import KIND_KEYS, DonePress, Kept, Outcome

router = Router(name="education")


@router.callback_query(DonePress.filter())
async def confirm(
    query: CallbackQuery, press: DonePress, app: App, actor: Person | None, lang: str
) -> None:
    if actor is None:
        await query.answer(t(lang, "common.unknown_user"), show_alert=True)
        return
    confirmed = await education.confirm_done(
        app.sessions,
        app.school_id,
        press.task_id,
        actor,
        app.now(),
        app.today(),
        tg_chat_id=query.message.chat.id if query.message else None,
        tg_message_id=query.message.message_id if query.message else None,
    )
    # Answers go out after the transaction: the database is not held during a Bot API call.
    match confirmed.outcome:
        case Outcome.DONE | Outcome.LATE:
            key = "edu.confirmed" if confirmed.outcome is Outcome.DONE else "edu.confirmed_late"
            text = t(
                lang,
                key,
                unit=confirmed.unit_name,
                kind=t(lang, KIND_KEYS.get(confirmed.kind, "edu.kind.daily")),
                who=actor.display_name,
                time=app.now().astimezone(app.tz).strftime("%H:%M"),
            )
            await query.answer(text)
            if query.message is not None and isinstance(query.message, Message):
                await query.message.edit_reply_markup(reply_markup=None)
                await query.message.reply(text)
        case Outcome.ALREADY:
            await query.answer(t(lang, "edu.already", who=confirmed.done_by), show_alert=True)
        case Outcome.NOT_YOURS:
            await query.answer(t(lang, "edu.not_yours"), show_alert=True)
        case Outcome.STALE:
            await query.answer(t(lang, "common.stale_button"), show_alert=True)
        case _:
            await query.answer(t(lang, "edu.expired"), show_alert=True)


@router.message(F.photo)
async def photo_evidence(
    message: Message, bot: Bot, app: App, actor: Person | None, lang: str
) -> None:
    """A photo from a class's teacher, in its group or privately, is kept as that day's
    education record (the prompt it replies to, or else the class's latest prompt today).
    A registered person's private photo that belongs to no task is kept all the same."""
    private = message.chat.type == "private"
    if actor is None:
        if private:
            await message.answer(t(lang, "common.unknown_user"))
        return
    reply = message.reply_to_message
    to_bot = reply is not None and reply.from_user is not None and reply.from_user.is_bot
    target = await education.photo_target(
        app.sessions,
        app.school_id,
        actor,
        tg_chat_id=message.chat.id,
        private=private,
        reply_to_bot=reply.message_id if reply is not None and to_bot else None,
        today=app.today(),
        now=app.now(),
    )
    if target is None and not private:
        return  # a group's ordinary chatter, not evidence
    try:
        photo = await download_photo(bot, app, message)
    except MediaTooLarge as exc:
        await message.answer(t(lang, "edu.photo_too_large", limit=exc.limit // (1024 * 1024)))
        return
    assert photo is not None
    kept = await education.keep_photo(
        app.sessions,
        app.school_id,
        actor,
        target,
        photo,
        app.now(),
        caption=message.caption or "",
        tg_chat_id=message.chat.id,
        tg_message_id=message.message_id,
    )
    match kept.outcome:
        case Kept.SAVED:
            await message.reply(t(lang, "edu.photo_saved", unit=kept.unit_name))
        case Kept.UNLINKED:
            await message.reply(t(lang, "edu.photo_kept_unlinked"))
