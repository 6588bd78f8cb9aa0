"""Children's data (PIPL): the consent a guardian gives before anything else (同意 / 不同意),
/mydata (everything kept about oneself, as a file), /forget <name or id> (an admin deletes a
guardian, after a confirm button).

This router comes early: a guardian waiting for consent gets the consent text for any message
or button, and nothing they send is stored.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.app import App
from bot.core.i18n import t
from bot.core.messages import OutMessage
from bot.telegram_transport import keyboard
from handlers.common import refuse_unless
from handlers.duty_common import ctx_of
from handlers.onboarding import help_text
from scheduler import privacy as pv
from scheduler.actors import Person
from storage import privacy as store

router = Router(name="privacy")


def _waiting(_event: object, actor: Person | None, app: App) -> bool:
    return pv.waiting_for_consent(actor, app.settings)


def _not_ours(query: CallbackQuery) -> bool:
    return not (query.data or "").startswith(f"{pv.PREFIX}:")


@router.message(_waiting, F.chat.type == "private")
async def ask_consent_first(message: Message, app: App, lang: str) -> SendMessage:
    text, rows = pv.consent_message(app.settings, lang)
    return message.answer(text, reply_markup=keyboard(OutMessage(text, buttons=rows)))


@router.callback_query(_waiting, _not_ours)
async def press_before_consent(query: CallbackQuery, lang: str) -> AnswerCallbackQuery:
    return query.answer(t(lang, "privacy.consent_first"), show_alert=True)


@router.callback_query(F.data.startswith(f"{pv.PREFIX}:"))
async def pressed(
    query: CallbackQuery, app: App, actor: Person | None, lang: str
) -> AnswerCallbackQuery:
    press = pv.Press.parse(query.data)
    if press is None:
        return query.answer(t(lang, "privacy.stale"), show_alert=True)
    if actor is None:
        return query.answer(t(lang, "common.unknown_user"), show_alert=True)
    message = query.message if isinstance(query.message, Message) else None
    if press.action == pv.DECLINE:
        if message is not None:
            await message.answer(t(lang, "privacy.declined"))
        return query.answer()
    if press.action == pv.CONSENT:
        async with app.sessions.begin() as session:
            outcome = await pv.consent(session, ctx_of(app), actor.id, app.settings, app.now())
            person = await session.get(Person, actor.id)
            welcome = help_text(person, lang) if person is not None else ""
        if message is not None and outcome is pv.Outcome.DONE:
            await message.answer(t(lang, "privacy.consented") + "\n\n" + welcome)
        return query.answer(t(lang, "privacy.consented_short"))
    forget = pv.forget_pupil if press.action == pv.FORGET_PUPIL else pv.forget
    async with app.sessions.begin() as session:
        result = await forget(session, ctx_of(app), actor, press.person_id, app.now())
    match result.outcome:
        case pv.Outcome.DONE:
            store.delete_files(result.files)
            key = (
                "privacy.pupil_forgotten"
                if press.action == pv.FORGET_PUPIL
                else "privacy.forgotten"
            )
            text = t(lang, key, id=press.person_id, **result.counts)
            if message is not None:
                await message.answer(text)
            return query.answer(t(lang, "privacy.forgotten_short"))
        case pv.Outcome.NOT_ALLOWED:
            return query.answer(t(lang, "common.not_allowed"), show_alert=True)
        case _:
            return query.answer(t(lang, "privacy.stale"), show_alert=True)


@router.message(Command("mydata"))
async def my_data(message: Message, app: App, actor: Person | None, lang: str) -> None:
    if actor is None:
        await message.answer(t(lang, "common.unknown_user"))
        return
    if message.chat.type != "private":
        await message.answer(t(lang, "privacy.mydata_private"))
        return
    async with app.sessions.begin() as session:
        export = await pv.my_data(session, ctx_of(app), actor.id, app.now())
    await message.answer_document(
        BufferedInputFile(export.content, filename=export.filename),
        caption=t(lang, "privacy.mydata_caption"),
    )


@router.message(Command("forget"))
async def forget(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> SendMessage | None:
    if not await refuse_unless(message, actor, lang, "admin"):
        return None
    words = (command.args or "").strip()[:100]
    if not words:
        return message.answer(t(lang, "privacy.forget_usage"))
    async with app.sessions() as session:
        child = await pv.find_pupil(session, app.school_id, words)
        found = await pv.find_guardian(session, app.school_id, words)
        name = found.person.display_name if found.person else ""
        person_id = found.person.id if found.person else 0
    if child.outcome is pv.Outcome.DONE:  # 三(1)班 王小明: a pupil
        return message.answer(
            t(lang, "privacy.pupil_confirm", name=child.name, unit=child.unit_name),
            reply_markup=keyboard(
                OutMessage("", buttons=pv.forget_rows(child.pupil_id, lang, pv.FORGET_PUPIL))
            ),
        )
    match found.outcome:
        case pv.Outcome.DONE:
            return message.answer(
                t(lang, "privacy.forget_confirm", name=name, id=person_id),
                reply_markup=keyboard(OutMessage("", buttons=pv.forget_rows(person_id, lang))),
            )
        case pv.Outcome.AMBIGUOUS:
            return message.answer(
                t(lang, "privacy.forget_ambiguous", name=words, count=found.count)
            )
        case _:
            return message.answer(t(lang, "privacy.forget_unknown", name=words))
