"""Children's data (PIPL): the consent a guardian gives before anything else (同意 / 不同意),
/mydata (everything kept about oneself, as a file), /forget <name or id> (an admin deletes a
guardian, after a confirm button).

This router comes early: a guardian waiting for consent gets the consent text for any message
or button, and nothing they send is stored. The rules and the transactions are the services' of
scheduler/privacy.py.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.core.i18n import t
from handlers.common import ctx_of, refuse_unless
from handlers.onboarding import help_text
from handlers.rendering import keyboard
from scheduler import privacy as pv
from scheduler.actors import Person
from scheduler.app import App

router = Router(name="privacy")


def _waiting(_event: object, actor: Person | None, app: App) -> bool:
    return pv.waiting_for_consent(actor, app.settings)


def _not_ours(query: CallbackQuery) -> bool:
    return not pv.is_privacy_press(query.data)


@router.message(_waiting, F.chat.type == "private")
async def ask_consent_first(message: Message, app: App, lang: str) -> SendMessage:
    text, rows = pv.consent_message(app.settings, lang)
    return message.answer(text, reply_markup=keyboard(rows))


@router.callback_query(_waiting, _not_ours)
async def press_before_consent(query: CallbackQuery, lang: str) -> AnswerCallbackQuery:
    return query.answer(t(lang, "privacy.consent_first"), show_alert=True)


@router.callback_query(pv.Press.filter(action=pv.Action.DECLINE))
async def declined(query: CallbackQuery, actor: Person | None, lang: str) -> AnswerCallbackQuery:
    if actor is None:
        return query.answer(t(lang, "common.unknown_user"), show_alert=True)
    if isinstance(query.message, Message):
        await query.message.answer(t(lang, "privacy.declined"))
    return query.answer()


@router.callback_query(pv.Press.filter(action=pv.Action.CONSENT))
async def consented(
    query: CallbackQuery, app: App, actor: Person | None, lang: str
) -> AnswerCallbackQuery:
    if actor is None:
        return query.answer(t(lang, "common.unknown_user"), show_alert=True)
    done = await pv.consent(app.sessions, ctx_of(app), actor.id, app.settings, app.now())
    if isinstance(query.message, Message) and done.outcome is pv.Outcome.DONE:
        welcome = help_text(done.person, lang) if done.person is not None else ""
        await query.message.answer(t(lang, "privacy.consented") + "\n\n" + welcome)
    return query.answer(t(lang, "privacy.consented_short"))


@router.callback_query(pv.Press.filter(action=(pv.Action.FORGET, pv.Action.FORGET_PUPIL)))
async def forget_pressed(
    query: CallbackQuery, press: pv.Press, app: App, actor: Person | None, lang: str
) -> AnswerCallbackQuery:
    if actor is None:
        return query.answer(t(lang, "common.unknown_user"), show_alert=True)
    result = await pv.forget(
        app.sessions, ctx_of(app), actor, press.action, press.person_id, app.now()
    )
    match result.outcome:
        case pv.Outcome.DONE:
            pupil = press.action is pv.Action.FORGET_PUPIL
            key = "privacy.pupil_forgotten" if pupil else "privacy.forgotten"
            text = t(lang, key, id=press.person_id, **result.counts)
            if isinstance(query.message, Message):
                await query.message.answer(text)
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
    export = await pv.my_data(app.sessions, ctx_of(app), actor.id, app.now())
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
    named = await pv.find_to_forget(app.sessions, app.school_id, words)
    match named.outcome:
        case pv.Named.PUPIL:  # 三(1)班 王小明
            return message.answer(
                t(lang, "privacy.pupil_confirm", name=named.name, unit=named.unit_name),
                reply_markup=keyboard(named.rows(lang)),
            )
        case pv.Named.GUARDIAN:
            return message.answer(
                t(lang, "privacy.forget_confirm", name=named.name, id=named.target_id),
                reply_markup=keyboard(named.rows(lang)),
            )
        case pv.Named.AMBIGUOUS:
            return message.answer(
                t(lang, "privacy.forget_ambiguous", name=words, count=named.count)
            )
        case _:
            return message.answer(t(lang, "privacy.forget_unknown", name=words))
