"""1530 education: the Done button and the photo that proves the class was held."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, Message
from sqlalchemy import select

from bot.app import App
from bot.i18n import t
from handlers.common import ID
from handlers.media import MediaTooLarge, download_photo
from scheduler import tasks
from scheduler.education import KIND_KEYS, EducationRoutine
from storage import people, submissions
from storage.models import Chat, Outbox, Person, Task, Unit

router = Router(name="education")


@router.callback_query(F.data.regexp(rf"^t:{ID}:done$"))
async def confirm(query: CallbackQuery, app: App, actor: Person | None, lang: str) -> None:
    task_id = int((query.data or "").split(":")[1])
    if actor is None:
        await query.answer(t(lang, "common.unknown_user"), show_alert=True)
        return
    async with app.sessions.begin() as session:
        task = await session.get(Task, task_id)
        if task is None or task.school_id != app.school_id:
            refusal = "edu.expired"
        elif task.routine != EducationRoutine.name:
            refusal = "common.stale_button"  # another routine's task: only its buttons answer
        elif not may_answer_for(actor, task):
            refusal = "edu.not_yours"
        else:
            refusal = None
            result = await tasks.complete(
                session,
                task,
                actor,
                app.now(),
                app.today(),
                tg_chat_id=query.message.chat.id if query.message else None,
                tg_message_id=query.message.message_id if query.message else None,
            )
            unit = await session.get(Unit, task.unit_id) if task.unit_id else None
    # Answers go out after the transaction: the database is not held during a Bot API call.
    if refusal is not None or task is None:
        await query.answer(t(lang, refusal or "edu.expired"), show_alert=True)
        return
    kind = t(lang, KIND_KEYS.get(task.kind, "edu.kind.daily"))
    unit_name = unit.name if unit else ""
    match result.outcome:
        case tasks.Completion.DONE | tasks.Completion.LATE:
            key = (
                "edu.confirmed" if result.outcome is tasks.Completion.DONE else "edu.confirmed_late"
            )
            text = t(
                lang,
                key,
                unit=unit_name,
                kind=kind,
                who=actor.display_name,
                time=app.now().astimezone(app.tz).strftime("%H:%M"),
            )
            await query.answer(text)
            if query.message is not None and isinstance(query.message, Message):
                await query.message.edit_reply_markup(reply_markup=None)
                await query.message.reply(text)
        case tasks.Completion.ALREADY:
            who = result.done_by.display_name if result.done_by else "?"
            await query.answer(t(lang, "edu.already", who=who), show_alert=True)
        case _:
            await query.answer(t(lang, "edu.expired"), show_alert=True)


@router.message(F.photo)
async def photo_evidence(
    message: Message, bot: Bot, app: App, actor: Person | None, lang: str
) -> None:
    """A photo from a class's teacher, in its group or privately, is kept as that day's
    education record (the prompt it replies to, or else the class's latest prompt today).
    A registered person's private photo that belongs to no task is kept all the same."""
    if actor is None:
        if message.chat.type == "private":
            await message.answer(t(lang, "common.unknown_user"))
        return
    async with app.sessions() as session:
        task = await _task_for_photo(session, app, actor, message)
    if task is None and message.chat.type != "private":
        return  # a group's ordinary chatter, not evidence
    try:
        photo = await download_photo(bot, app, message)
    except MediaTooLarge as exc:
        await message.answer(t(lang, "edu.photo_too_large", limit=exc.limit // (1024 * 1024)))
        return
    assert photo is not None
    async with app.sessions.begin() as session:
        await submissions.add(
            session,
            app.school_id,
            actor.id,
            "photo",
            app.now(),
            task_id=task.id if task else None,
            text=message.caption or "",
            tg_chat_id=message.chat.id,
            tg_message_id=message.message_id,
            files=[photo],
        )
        unit = await session.get(Unit, task.unit_id) if task and task.unit_id else None
    if task is None:
        await message.reply(t(lang, "edu.photo_kept_unlinked"))
    else:
        await message.reply(t(lang, "edu.photo_saved", unit=unit.name if unit else ""))


def may_answer_for(person: Person, task: Task) -> bool:
    if people.has_role(person, "admin"):
        return True
    return task.unit_id in people.unit_ids_with_role(person, "head_teacher", "staff")


async def _task_for_photo(session, app: App, actor: Person, message: Message) -> Task | None:  # type: ignore[no-untyped-def]
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and reply.from_user.is_bot:
        task = await session.scalar(
            select(Task)
            .join(Outbox, Outbox.task_id == Task.id)
            .where(
                Outbox.tg_chat_id == message.chat.id,
                Outbox.sent_message_id == reply.message_id,
                Task.routine == "education",
            )
        )
        if task is not None and may_answer_for(actor, task):
            return task
    unit_ids = people.unit_ids_with_role(actor, "head_teacher")
    if message.chat.type != "private":
        chat = await session.scalar(select(Chat).where(Chat.tg_chat_id == message.chat.id))
        if chat is None or chat.unit_id is None:
            return None
        if chat.unit_id not in unit_ids and not people.has_role(actor, "admin"):
            return None
        unit_ids = {chat.unit_id}
    if not unit_ids:
        return None
    return await session.scalar(
        select(Task)
        .where(
            Task.school_id == app.school_id,
            Task.routine == "education",
            Task.day == app.today(),
            Task.unit_id.in_(unit_ids),
            Task.due_at <= app.now(),
            Task.status != "cancelled",
        )
        .order_by(Task.due_at.desc(), Task.id.desc())
        .limit(1)
    )
