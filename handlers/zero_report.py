"""The daily report: 零报告 / 有情况 buttons, the incident conversation, /report, /incident, /zero.

Button presses are answered by returning ``query.answer()``, and the conversation's
messages by returning their reply: in webhook mode it goes back in the webhook's response,
one Bot API call fewer per answer (bot/webhook_reply.py; polling sends it as a call).

The conversation (what happened → where → how serious → photos → confirm) is an aiogram FSM
whose state lives in the database (bot/fsm_storage.py), and every answer is saved in the
draft incident at once, so a restart resumes it at the same step. Each step's handlers only
act in that step's state: outside the conversation, photos go on to education's handler.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.core.dates import ParseFailure, describe, examples, parse_day
from bot.core.i18n import t
from bot.core.messages import OutMessage
from handlers import common
from handlers.common import (
    LEADERS,
    NOT_COMMAND,
    ctx_of,
    first_of_album,
    parse_id,
    refuse_unless,
    school_calendar,
)
from handlers.conversation import move_to
from handlers.media import MediaTooLarge, download_photo
from handlers.rendering import keyboard
from scheduler import zero_report as zr
from scheduler.actors import Person
from scheduler.app import App
from scheduler.hazards.buttons import Action, raise_from_row

router = Router(name="zero_report")


class IncidentReport(StatesGroup):
    text = State()
    place = State()
    severity = State()
    photos = State()
    confirm = State()


# The conversation's steps as the services name them (scheduler/zero_report/incidents.py).
_STATES = {
    zr.Step.TEXT: IncidentReport.text,
    zr.Step.PLACE: IncidentReport.place,
    zr.Step.SEVERITY: IncidentReport.severity,
    zr.Step.PHOTOS: IncidentReport.photos,
    zr.Step.CONFIRM: IncidentReport.confirm,
}


def _moves(state: FSMContext) -> zr.MoveTo:
    """The chat's conversation, moved on inside a service's transaction."""
    return lambda session, step, data: move_to(
        session, state, _STATES[step] if step is not None else None, data
    )


def _severity_markup(incident_id: int, lang: str) -> InlineKeyboardMarkup | None:
    return keyboard(zr.severity_rows(incident_id, lang))


def _photos_markup(incident_id: int, lang: str) -> InlineKeyboardMarkup | None:
    return keyboard(zr.photos_rows(incident_id, lang))


def _confirm_markup(incident_id: int, lang: str) -> InlineKeyboardMarkup | None:
    return keyboard(zr.confirm_rows(incident_id, lang))


def _refusal_text(answer: zr.Answer | zr.Started, lang: str) -> str:
    if answer.outcome is zr.Outcome.NOT_YOURS:
        return t(lang, "zero.not_yours", unit=answer.unit_name)
    return t(lang, "zero.expired")


# -- the prompt's buttons ---------------------------------------------------------------------


@router.callback_query(zr.TaskPress.filter(action=zr.TaskAction.ZERO))
async def answer_zero(
    query: CallbackQuery, press: zr.TaskPress, app: App, actor: Person | None, lang: str
) -> AnswerCallbackQuery:
    if actor is None:
        return query.answer(t(lang, "common.unknown_user"), show_alert=True)
    message = common.pressed_message(query)
    answer = await zr.answer_zero(
        app.sessions, ctx_of(app), press.task_id, actor, app.now(), **common.pressed_at(message)
    )
    match answer.outcome:
        case zr.Outcome.DONE | zr.Outcome.LATE:
            key = "zero.done" if answer.outcome is zr.Outcome.DONE else "zero.done_late"
            text = t(lang, key, unit=answer.unit_name, who=actor.display_name, time=_now(app))
            if message is not None:  # 有情况 stays: something may still happen today
                markup = keyboard(zr.incident_only(press.task_id, lang))
                await message.edit_text(text, reply_markup=markup)
            return query.answer()
        case zr.Outcome.ALREADY:
            return query.answer(_already_text(answer, app, lang), show_alert=True)
        case _:
            return query.answer(_refusal_text(answer, lang), show_alert=True)


def _already_text(answer: zr.Answer, app: App, lang: str) -> str:
    return t(
        lang,
        "zero.already",
        unit=answer.unit_name,
        who=answer.answered_by,
        answer=t(lang, f"zero.answer.{answer.answer}"),
        time=answer.at.astimezone(app.tz).strftime("%H:%M") if answer.at else "",
    )


@router.callback_query(zr.TaskPress.filter(action=zr.TaskAction.INCIDENT))
@router.callback_query(zr.UnitPress.filter())
async def answer_incident(
    query: CallbackQuery,
    press: zr.TaskPress | zr.UnitPress,
    bot: Bot,
    app: App,
    actor: Person | None,
    lang: str,
    state: FSMContext,
) -> AnswerCallbackQuery:
    if actor is None:
        return query.answer(t(lang, "common.unknown_user"), show_alert=True)
    started = await zr.begin_incident(
        app.sessions,
        ctx_of(app),
        actor,
        app.now(),
        _moves(state),
        task_id=press.task_id if isinstance(press, zr.TaskPress) else None,
        unit_id=press.unit_id if isinstance(press, zr.UnitPress) else None,
        tg_chat_id=query.message.chat.id if query.message else None,
    )
    if started.outcome is not zr.Outcome.DONE:
        return query.answer(_refusal_text(started, lang), show_alert=True)
    if query.message is not None:
        await bot.send_message(
            query.message.chat.id, t(lang, "zero.ask_text", unit=started.unit_name)
        )
    return query.answer()


# -- the conversation: text, place, severity, photos, confirm ------------------------------------


# The typed answers: the step each state saves, what checks it, and its length limit.
_TYPED = {
    IncidentReport.text.state: (zr.Step.TEXT, zr.text_problem, zr.MAX_TEXT),
    IncidentReport.place.state: (zr.Step.PLACE, zr.place_problem, zr.MAX_PLACE),
}


@router.message(IncidentReport.text, F.text, NOT_COMMAND)
@router.message(IncidentReport.place, F.text, NOT_COMMAND)
async def got_words(
    message: Message,
    app: App,
    actor: Person | None,
    lang: str,
    state: FSMContext,
    raw_state: str | None,
) -> SendMessage:
    """What happened, then where: each checked and kept, and the next question asked."""
    step, problem_of, limit = _TYPED[raw_state or ""]
    problem = problem_of(message.text)
    if problem is not None:
        return message.answer(t(lang, problem, limit=limit))
    if not await _save(app, actor, state, step, (message.text or "").strip()):
        return await _gone(message, state, lang)
    if step is zr.Step.TEXT:
        return message.answer(t(lang, "zero.ask_place"))
    incident_id = await _draft_id(state)
    return message.answer(
        t(lang, "zero.ask_severity"), reply_markup=_severity_markup(incident_id, lang)
    )


@router.message(IncidentReport.severity, F.text, NOT_COMMAND)
async def typed_severity(
    message: Message, app: App, actor: Person | None, lang: str, state: FSMContext
) -> SendMessage:
    severity = zr.parse_severity(message.text)
    incident_id = await _draft_id(state)
    if severity is None:
        return message.answer(
            t(lang, "zero.need_severity"), reply_markup=_severity_markup(incident_id, lang)
        )
    if await _save(app, actor, state, zr.Step.SEVERITY, severity):
        return message.answer(
            _photos_question(severity, lang), reply_markup=_photos_markup(incident_id, lang)
        )
    return await _gone(message, state, lang)


def _photos_question(severity: str, lang: str) -> str:
    chosen = t(lang, "zero.severity_chosen", severity=t(lang, zr.SEVERITY_LABELS[severity]))
    return f"{chosen}\n\n{t(lang, 'zero.ask_photos')}"


@router.message(IncidentReport.photos, F.photo)
async def got_photo(
    message: Message, bot: Bot, app: App, actor: Person | None, lang: str, state: FSMContext
) -> SendMessage | None:
    incident_id = await _draft_id(state)
    try:
        photo = await download_photo(bot, app, message)
    except MediaTooLarge as exc:
        return message.answer(t(lang, "zero.photo_too_large", limit=exc.limit // (1024 * 1024)))
    if actor is None or photo is None:
        return None
    if not await zr.keep_photo(app.sessions, ctx_of(app), incident_id, actor, photo, app.now()):
        return await _gone(message, state, lang)
    if not first_of_album(message.media_group_id):
        return None
    return message.answer(
        t(lang, "zero.photo_saved"), reply_markup=_photos_markup(incident_id, lang)
    )


# The conversation's buttons: each counts only at its own step of its own draft.
_BUTTON_STEPS: dict[type, State] = {
    zr.SeverityPress: IncidentReport.severity,
    zr.PhotosPress: IncidentReport.photos,
    zr.ConfirmPress: IncidentReport.confirm,
}


@router.callback_query(zr.SeverityPress.filter())
@router.callback_query(zr.PhotosPress.filter())
@router.callback_query(zr.ConfirmPress.filter())
async def conversation_button(
    query: CallbackQuery,
    press: zr.SeverityPress | zr.PhotosPress | zr.ConfirmPress,
    app: App,
    actor: Person | None,
    lang: str,
    state: FSMContext,
) -> AnswerCallbackQuery:
    step = _BUTTON_STEPS[type(press)]
    refusal = await common.off_step(
        query, state, step, "incident_id", press.incident_id, lang, "zero"
    )
    if refusal is not None:
        return refusal
    message = common.pressed_message(query)
    if isinstance(press, zr.SeverityPress):
        await _severity_chosen(message, press, app, actor, lang, state)
        return query.answer()
    assert actor is not None
    if isinstance(press, zr.PhotosPress):
        await _photos_done(message, press.incident_id, app, actor, lang, state)
    else:
        await _confirm(message, press, app, actor, lang, state)
    return query.answer()


async def _severity_chosen(
    message: Message | None,
    press: zr.SeverityPress,
    app: App,
    actor: Person | None,
    lang: str,
    state: FSMContext,
) -> None:
    severity = press.severity.value
    saved = await _save(app, actor, state, zr.Step.SEVERITY, severity)
    if message is not None:
        if not saved:
            await (await _gone(message, state, lang))
        else:  # the question becomes the next one: one Bot API call instead of two
            await message.edit_text(
                _photos_question(severity, lang),
                reply_markup=_photos_markup(press.incident_id, lang),
            )


async def _photos_done(
    message: Message | None,
    incident_id: int,
    app: App,
    actor: Person,
    lang: str,
    state: FSMContext,
) -> None:
    summary = await zr.photos_done(app.sessions, ctx_of(app), incident_id, actor, _moves(state))
    if message is not None:
        if summary is None:
            await (await _gone(message, state, lang))
        else:
            await message.edit_text(
                zr.incident_summary(summary, lang),
                reply_markup=_confirm_markup(incident_id, lang),
            )


async def _confirm(
    message: Message | None,
    press: zr.ConfirmPress,
    app: App,
    actor: Person,
    lang: str,
    state: FSMContext,
) -> None:
    incident_id = press.incident_id
    finished = await zr.finish_incident(
        app.sessions,
        ctx_of(app),
        incident_id,
        actor,
        app.now(),
        _moves(state),
        send=press.choice is zr.Choice.SEND,
        policy=app.settings.zero_report,
    )
    if finished.outcome is zr.Finish.SENT:
        app.wake_sender()  # the alert leaves now, not at the sender's next poll
    if message is not None:
        match finished.outcome:
            case zr.Finish.SENT:
                key = "zero.submitted_urgent" if finished.urgent else "zero.submitted"
                outcome = t(lang, key, id=incident_id)
            case zr.Finish.CANCELLED:
                outcome = t(lang, "zero.draft_cancelled")
            case _:
                outcome = t(lang, "zero.draft_gone")
        # The summary keeps what was sent and says what became of it; its buttons go, but
        # for 发现隐患: what was reported may be a hazard to fix (its text, place, photos).
        text = f"{message.text or ''}\n\n{outcome}"
        raise_from = OutMessage(
            text,
            buttons=(raise_from_row(Action.FROM_INCIDENT, incident_id, lang),)
            if finished.outcome is zr.Finish.SENT
            else (),
        )
        await message.edit_text(text, reply_markup=keyboard(raise_from.buttons))


# Whatever else arrives during a step gets that step's hint; nothing changes.
STEP_HINTS = {
    IncidentReport.text: "zero.need_text",
    IncidentReport.place: "zero.need_place",
    IncidentReport.severity: "zero.need_severity",
    IncidentReport.photos: "zero.need_photo",
    IncidentReport.confirm: "zero.need_confirm",
}


@router.message(IncidentReport.text, NOT_COMMAND)
@router.message(IncidentReport.place, NOT_COMMAND)
@router.message(IncidentReport.severity, NOT_COMMAND)
@router.message(IncidentReport.photos, NOT_COMMAND)
@router.message(IncidentReport.confirm, NOT_COMMAND)
async def wrong_kind_of_answer(message: Message, lang: str, state: FSMContext) -> SendMessage:
    current = await state.get_state()
    incident_id = await _draft_id(state)
    hint = next((key for s, key in STEP_HINTS.items() if s.state == current), "zero.need_text")
    markup = {
        IncidentReport.severity.state: _severity_markup,
        IncidentReport.photos.state: _photos_markup,
        IncidentReport.confirm.state: _confirm_markup,
    }.get(current or "")
    return message.answer(
        t(lang, hint), reply_markup=markup(incident_id, lang) if markup is not None else None
    )


async def _draft_id(state: FSMContext) -> int:
    return await common.draft_id(state, "incident_id")


async def _save(
    app: App, actor: Person | None, state: FSMContext, step: zr.Step, answer: str
) -> bool:
    """Keep one answer in the draft and move to the next step, in one transaction (the
    service's): a restart resumes at the step after the last answer saved."""
    if actor is None:
        return False
    incident_id = await _draft_id(state)
    return await zr.answer_step(
        app.sessions, ctx_of(app), incident_id, actor, step, answer, _moves(state)
    )


async def _gone(message: Message, state: FSMContext, lang: str) -> SendMessage:
    """The draft was sent, cancelled or is someone else's: the conversation ends, and the
    message that says so (a message's handler returns it, a button's awaits it)."""
    await state.clear()
    return message.answer(t(lang, "zero.draft_gone"))


def _now(app: App) -> str:
    return app.now().astimezone(app.tz).strftime("%H:%M")


# -- /report, /incident, /zero ------------------------------------------------------------------


@router.message(Command("report"))
async def report(message: Message, app: App, actor: Person | None, lang: str) -> None:
    if actor is None:
        await message.answer(t(lang, "common.unknown_user"))
        return
    if message.chat.type != "private":
        await message.answer(t(lang, "zero.report_private_only"))
        return
    menus = await zr.report_menus(app.sessions, ctx_of(app), actor, app.today(), lang)
    if not menus:
        await message.answer(t(lang, "zero.report_not_allowed"))
        return
    for menu in menus:
        await message.answer(menu.text, reply_markup=keyboard(menu.buttons))


# What may follow the incident's number: mark it handled, or change the note afterwards.
_DONE_WORDS = ("已处理", "处理", "done")
_NOTE_WORDS = ("备注", "note")
_SEPARATORS = " ，,：:。;；"


def _incident_action(words: str) -> tuple[str, str] | None:
    """("done" | "note", the note) from what follows the number, or None. People type
    ``已处理，已通知家长`` without a space, so a Chinese word may run straight into its note."""
    for action, keywords in (("done", _DONE_WORDS), ("note", _NOTE_WORDS)):
        for keyword in keywords:
            if not words.lower().startswith(keyword):
                continue
            rest = words[len(keyword) :]
            if rest[:1] in ("", *_SEPARATORS):
                return action, rest.lstrip(_SEPARATORS).strip()
            if keyword.isascii():
                continue  # "donebefore" is not "done"
            # "已处理完毕" is a note by itself, not a typo of the keyword.
            return action, words.strip() if action == "done" else rest.strip()
    return None


@router.message(Command("incident"))
async def incident(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> None:
    if not await refuse_unless(message, actor, lang, *LEADERS):
        return
    assert actor is not None
    parts = (command.args or "").strip().split(maxsplit=1)
    incident_id = parse_id(parts[0]) if parts else None
    if incident_id is None:
        await message.answer(t(lang, "zero.incident_usage"))
        return
    if len(parts) == 1:
        await _show_incident(message, app, incident_id, lang)
        return
    action = _incident_action(parts[1])
    if action is None:
        await message.answer(t(lang, "zero.incident_usage"))
        return
    verb, note = action
    if len(note) > zr.MAX_NOTE:
        await message.answer(t(lang, "zero.note_too_long", limit=zr.MAX_NOTE))
        return
    if verb == "note" and not note:
        await message.answer(t(lang, "zero.note_needs_text", id=incident_id))
        return
    handled = await zr.handle_incident(
        app.sessions, ctx_of(app), incident_id, actor, note, app.now(), done=verb == "done"
    )
    app.wake_sender()
    await message.answer(_handling_reply(handled, incident_id, actor, app, lang))


def _handling_reply(
    handled: zr.Handled, incident_id: int, actor: Person, app: App, lang: str
) -> str:
    match handled.outcome:
        case zr.Handling.HANDLED:
            return t(
                lang,
                "zero.incident_handled",
                id=incident_id,
                who=actor.display_name,
                time=_now(app),
            )
        case zr.Handling.ALREADY:
            return t(lang, "zero.incident_already_handled", id=incident_id, who=handled.handled_by)
        case zr.Handling.NOTED:
            return t(lang, "zero.note_changed", id=incident_id)
        case zr.Handling.SAME_NOTE:
            return t(lang, "zero.note_same", id=incident_id)
        case zr.Handling.NOT_HANDLED:
            return t(lang, "zero.note_not_handled", id=incident_id)
        case zr.Handling.NOT_ALLOWED if handled.handled_by:
            return t(lang, "zero.note_not_yours", id=incident_id, who=handled.handled_by)
        case zr.Handling.NOT_ALLOWED:
            return t(lang, "common.not_allowed")
        case _:
            return t(lang, "zero.incident_unknown", id=incident_id)


async def _show_incident(message: Message, app: App, incident_id: int, lang: str) -> None:
    line = await zr.show_incident(app.sessions, ctx_of(app), incident_id)
    if line is None:
        await message.answer(t(lang, "zero.incident_unknown", id=incident_id))
        return
    text = zr.incident_text(line, lang, app.tz)
    if line.handled_note:
        text += f"\n✅ {line.handled_note}"
    await message.answer(text)


@router.message(Command("zero"))
async def zero_grid(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> None:
    if not await refuse_unless(message, actor, lang, *LEADERS):
        return
    words = (command.args or "").strip()
    day = app.today()
    if words:
        calendar = await school_calendar(app)
        parsed = parse_day(words, app.now(), tz=app.settings.school.tz, calendar=calendar)
        if isinstance(parsed, ParseFailure):
            await message.answer(describe(parsed, lang) + "\n\n" + examples(lang))
            return
        day = parsed
    report = await zr.day_grid(app.sessions, ctx_of(app), day)
    for part in zr.split_message(zr.format_grid(report, lang, app.tz, app.today())):
        await message.answer(part)
