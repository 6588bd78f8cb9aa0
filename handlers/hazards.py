"""Hazards (隐患): /hazard raises one step by step, /hazard N shows its history or takes a
step (指派 assign, 措施 measure, 重开 reopen), /hazards lists the open ones, and the buttons
of the chain (the principal's list, 整改完成, 通过 / 驳回, 审核签字).

Conversations (raising; the owner's photos and note; a rejection's reason and deadline)
keep their state in the database, and every answer is saved at once, so a restart resumes
at the same step. Buttons carry their round: a stale or forged one changes nothing.
The rules and the transactions are the services' of scheduler/hazards/services.py; a step
that moves the conversation hands its service ``moves(state)``, so the answer and the next
step are saved in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, FSInputFile, Message

from bot.core.dates import ParseFailure, describe, examples
from bot.core.i18n import t
from bot.core.messages import OutMessage
from handlers import common
from handlers.common import (
    NOT_COMMAND,
    ctx_of,
    first_of_album,
    parse_id,
    pressed_message,
    school_calendar,
)
from handlers.conversation import move_to
from handlers.duty.common import download
from handlers.rendering import keyboard
from scheduler import hazards as hz
from scheduler import inspections as insp
from scheduler import zero_report as zr
from scheduler.actors import Person
from scheduler.app import App
from scheduler.hazards import buttons, services
from scheduler.hazards.services import MAX_NOTE, MAX_PLACE, MAX_WHAT, Step

router = Router(name="hazards")

_ASSIGN = ("指派", "assign")
_MEASURE = ("措施", "measure")
_REOPEN = ("重开", "reopen")
MAX_PHOTOS_SHOWN = 10


class RaiseHazard(StatesGroup):
    what = State()
    place = State()
    category = State()
    severity = State()
    photos = State()


class FixHazard(StatesGroup):
    photos = State()
    note = State()


class RejectFix(StatesGroup):
    reason = State()
    deadline = State()


_STATES: dict[Step, State] = {
    Step.WHAT: RaiseHazard.what,
    Step.PLACE: RaiseHazard.place,
    Step.CATEGORY: RaiseHazard.category,
    Step.SEVERITY: RaiseHazard.severity,
    Step.PHOTOS: RaiseHazard.photos,
    Step.FIX_PHOTOS: FixHazard.photos,
    Step.FIX_NOTE: FixHazard.note,
    Step.REJECT_REASON: RejectFix.reason,
    Step.REJECT_DEADLINE: RejectFix.deadline,
}


def moves(state: FSMContext) -> services.Move:
    """How a service moves this chat's conversation, in the transaction it hands over (the
    conversation's state is kept in the same database: bot/fsm_storage.py)."""

    async def move(session: Any, step: Step | None, data: Mapping[str, Any] | None) -> None:
        await move_to(session, state, _STATES[step] if step is not None else None, data)

    return move


async def _data(state: FSMContext) -> dict[str, object]:
    return dict(await state.get_data())


# -- /hazard, /hazards -----------------------------------------------------------------------


@router.message(Command("hazards"))
async def list_hazards(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> SendMessage:
    if not hz.may_list(actor):
        return message.answer(
            t(lang, "common.unknown_user" if actor is None else "common.not_allowed")
        )
    text = await services.listing(
        app.sessions,
        ctx_of(app),
        lang,
        app.today(),
        (command.args or "")[:40],
        app.settings.hazards,
    )
    return message.answer(text)


@router.message(Command("hazard"))
async def hazard_command(
    message: Message,
    command: CommandObject,
    app: App,
    actor: Person | None,
    lang: str,
    state: FSMContext,
) -> SendMessage | None:
    if actor is None:
        return message.answer(t(lang, "common.unknown_user"))
    words = (command.args or "").strip()
    if not words:
        return await _start_raising(message, app, actor, lang, state)
    number, _, rest = words.partition(" ")
    hazard_id, rest = parse_id(number), rest.strip()
    if hazard_id is None:
        return message.answer(t(lang, "hazard.usage"))
    if not rest:
        return await _show(message, app, actor, hazard_id, lang)
    verb, _, tail = rest.partition(" ")
    tail = tail.strip()
    if verb.lower() in _ASSIGN:
        return await _assign(message, app, actor, hazard_id, tail, lang)
    if verb.lower() in _MEASURE or verb.lower() in _REOPEN:
        if not tail:
            return message.answer(t(lang, "hazard.needs_text", id=hazard_id, verb=verb))
        if len(tail) > MAX_NOTE:
            return message.answer(t(lang, "hazard.text_too_long", limit=MAX_NOTE))
        if verb.lower() in _REOPEN:
            result = await services.reopen(
                app.sessions, ctx_of(app), hazard_id, actor, tail, app.now(), app.settings.hazards
            )
        else:
            result = await services.record_measure(
                app.sessions, ctx_of(app), hazard_id, actor, tail, app.now()
            )
        app.wake_sender()
        done = "hazard.reopened" if verb.lower() in _REOPEN else "hazard.measure_saved"
        return message.answer(_reply(result, lang, done))
    return message.answer(t(lang, "hazard.usage"))


async def _start_raising(
    message: Message, app: App, actor: Person, lang: str, state: FSMContext
) -> SendMessage:
    if message.chat.type != "private":
        return message.answer(t(lang, "hazard.private_only"))
    started = await services.start(
        app.sessions, ctx_of(app), actor, app.now(), moves(state), tg_chat_id=message.chat.id
    )
    if started.outcome is not hz.Outcome.DONE:
        return message.answer(t(lang, "common.not_allowed"))
    return message.answer(t(lang, "hazard.ask_what"))


async def _show(
    message: Message, app: App, actor: Person, hazard_id: int, lang: str
) -> SendMessage | None:
    if not hz.may_list(actor):
        return message.answer(t(lang, "common.not_allowed"))
    found = await services.history(
        app.sessions, ctx_of(app), hazard_id, lang, app.today(), app.settings.hazards
    )
    if found is None:
        return message.answer(t(lang, "hazard.unknown", id=hazard_id))
    await message.answer(found.text)
    for caption, path in found.photos[:MAX_PHOTOS_SHOWN]:
        await message.answer_photo(FSInputFile(path), caption=caption)
    return None


async def _assign(
    message: Message, app: App, actor: Person, hazard_id: int, words: str, lang: str
) -> SendMessage:
    name, _, when = words.partition(" ")
    if not name or not when.strip():
        return message.answer(t(lang, "hazard.assign_usage", id=hazard_id))
    deadline = hz.parse_deadline(
        when, app.now(), app.settings.school.tz, await school_calendar(app)
    )
    if isinstance(deadline, ParseFailure):
        return message.answer(_bad_deadline(deadline, lang))
    result = await services.assign(
        app.sessions, ctx_of(app), hazard_id, actor, name, deadline, app.now(), app.settings.hazards
    )
    app.wake_sender()
    return message.answer(_reply(result, lang, "hazard.assigned"))


def _bad_deadline(failure: ParseFailure, lang: str) -> str:
    return f"{describe(failure, lang)}\n\n{t(lang, 'hazard.deadline_examples')}\n{examples(lang)}"


def _reply(result: hz.Result, lang: str, done_key: str) -> str:
    """The answer to a step: what it did, or why nothing changed."""
    params = {
        "id": result.hazard_id,
        "name": result.name,
        "deadline": result.deadline.isoformat() if result.deadline else "",
        "status": hz.status_label(result.status, lang) if result.status else "",
    }
    key = done_key if result.outcome is hz.Outcome.DONE else _REFUSALS[result.outcome]
    text = t(lang, key, **params)
    if result.outcome is hz.Outcome.PAST_DEADLINE:
        text += "\n" + t(lang, "hazard.deadline_examples")
    return text


# Why a step did nothing.
_REFUSALS = {
    hz.Outcome.NOT_FOUND: "hazard.unknown",
    hz.Outcome.NOT_ALLOWED: "hazard.not_allowed",
    hz.Outcome.STALE: "hazard.stale",
    hz.Outcome.PAST_DEADLINE: "hazard.deadline_past",
    hz.Outcome.FAR_DEADLINE: "hazard.deadline_far",
    hz.Outcome.NO_OWNER: "hazard.no_owner",
    hz.Outcome.NEED_PHOTO: "hazard.need_after_photo",
}


# -- raising: what, where, category, severity, photos ------------------------------------------


@router.message(Command("cancel"), StateFilter(RaiseHazard))
async def cancel_raising(
    message: Message, app: App, actor: Person | None, lang: str, state: FSMContext
) -> SendMessage:
    """/cancel while raising: the draft is cancelled, and an inspection item whose 有隐患 opened
    it is unchecked again and its buttons sent anew (not left marked 有隐患 #N)."""
    redrawn = await insp.cancel_draft(
        app.sessions,
        ctx_of(app),
        await common.draft_id(state, "hazard_id"),
        actor,
        app.now(),
        lang,
        moves(state),
    )
    if redrawn is None:
        return message.answer(t(lang, "common.cancelled"))
    await message.answer(t(lang, "common.cancelled"))
    return message.answer(redrawn.text, reply_markup=keyboard(redrawn.buttons))


async def _answer(
    app: App, actor: Person | None, state: FSMContext, then: Step | None = None, **fields: str
) -> Step | None:
    """One answer saved in the draft and the conversation moved on (to ``then``, or else to
    the next question the draft has no answer for: an inspection's item comes with its place
    and category), in one transaction. None: the draft is gone."""
    hazard_id = await common.draft_id(state, "hazard_id")
    return await services.answer(
        app.sessions, ctx_of(app), hazard_id, actor, moves(state), then=then, **fields
    )


async def _gone(message: Message, state: FSMContext, lang: str) -> SendMessage:
    await state.clear()
    return message.answer(t(lang, "hazard.draft_gone"))


@router.message(RaiseHazard.what, F.text, NOT_COMMAND)
async def got_what(
    message: Message, app: App, actor: Person | None, lang: str, state: FSMContext
) -> SendMessage:
    problem = zr.text_problem(message.text, MAX_WHAT)
    if problem is not None:
        return message.answer(t(lang, problem, limit=MAX_WHAT))
    return await _answered(message, app, actor, lang, state, what=(message.text or "").strip())


@router.message(RaiseHazard.place, F.text, NOT_COMMAND)
async def got_place(
    message: Message, app: App, actor: Person | None, lang: str, state: FSMContext
) -> SendMessage:
    problem = zr.place_problem(message.text)
    if problem is not None:
        return message.answer(t(lang, problem, limit=MAX_PLACE))
    return await _answered(message, app, actor, lang, state, place=(message.text or "").strip())


async def _answered(
    message: Message,
    app: App,
    actor: Person | None,
    lang: str,
    state: FSMContext,
    then: Step | None = None,
    **fields: str,
) -> SendMessage:
    """A typed answer saved (``_answer``), then the question of the step it moved to."""
    step = await _answer(app, actor, state, then, **fields)
    if step is None:
        return await _gone(message, state, lang)
    asked = services.question(
        step, await common.draft_id(state, "hazard_id"), lang, app.settings.hazards
    )
    return message.answer(asked.text, reply_markup=keyboard(asked.buttons))


@router.message(RaiseHazard.category, F.text, NOT_COMMAND)
async def typed_category(
    message: Message, app: App, actor: Person | None, lang: str, state: FSMContext
) -> SendMessage:
    typed = (message.text or "").strip().lower()
    policy = app.settings.hazards
    found = next((c.id for c in policy.categories if typed in (c.id, c.zh, c.en.lower())), None)
    hazard_id = await common.draft_id(state, "hazard_id")
    if found is None:
        rows = buttons.category_rows(hazard_id, lang, policy)
        return message.answer(t(lang, "hazard.need_category"), reply_markup=keyboard(rows))
    return await _answered(message, app, actor, lang, state, category=found)


@router.message(RaiseHazard.severity, F.text, NOT_COMMAND)
async def typed_severity(
    message: Message, app: App, actor: Person | None, lang: str, state: FSMContext
) -> SendMessage:
    severity = zr.parse_severity(message.text)
    hazard_id = await common.draft_id(state, "hazard_id")
    if severity is None:
        rows = buttons.severity_rows(hazard_id, lang)
        return message.answer(t(lang, "zero.need_severity"), reply_markup=keyboard(rows))
    return await _answered(message, app, actor, lang, state, Step.PHOTOS, severity=severity)


@router.message(RaiseHazard.photos, F.photo)
@router.message(FixHazard.photos, F.photo)
async def got_photo(
    message: Message, bot: Bot, app: App, actor: Person | None, lang: str, state: FSMContext
) -> SendMessage | None:
    """A photo of the draft being raised, or one of the owner's "after" photos of the fix;
    the first of an album is answered with the button that ends the photos."""
    photo = await download(message, bot, app, lang)
    if actor is None or photo is None:
        return None
    data = await _data(state)
    hazard_id, round_ = int(str(data.get("hazard_id", 0))), int(str(data.get("round", 0)))
    fixing = await state.get_state() == FixHazard.photos.state
    if fixing:
        result = await services.add_fix_photo(
            app.sessions, ctx_of(app), hazard_id, actor, photo, app.now()
        )
        if result.outcome is not hz.Outcome.DONE:
            await state.clear()
            return message.answer(_reply(result, lang, "hazard.photo_saved"))
    elif not await services.add_photo(
        app.sessions, ctx_of(app), hazard_id, actor, photo, app.now()
    ):
        return await _gone(message, state, lang)
    if not first_of_album(message.media_group_id):
        return None
    if fixing:
        rows = buttons.fix_done_rows(hazard_id, round_, lang)
        return message.answer(t(lang, "hazard.fix_photo_saved"), reply_markup=keyboard(rows))
    rows = buttons.photos_done_rows(hazard_id, lang)
    return message.answer(t(lang, "hazard.photo_saved"), reply_markup=keyboard(rows))


@router.message(FixHazard.note, F.text, NOT_COMMAND)
async def got_fix_note(
    message: Message, app: App, actor: Person | None, lang: str, state: FSMContext
) -> SendMessage:
    note = (message.text or "").strip()
    if len(note) > MAX_NOTE:
        return message.answer(t(lang, "hazard.text_too_long", limit=MAX_NOTE))
    if actor is None:
        return message.answer(t(lang, "common.unknown_user"))
    result = await services.finish_fix(
        app.sessions,
        ctx_of(app),
        await common.draft_id(state, "hazard_id"),
        actor,
        note,
        app.now(),
        app.settings.hazards,
        moves(state),
    )
    app.wake_sender()
    return message.answer(_reply(result, lang, "hazard.fixed"))


@router.message(RejectFix.reason, F.text, NOT_COMMAND)
async def got_reject_reason(
    message: Message, app: App, lang: str, state: FSMContext
) -> SendMessage:
    reason = (message.text or "").strip()
    if len(reason) > MAX_NOTE:
        return message.answer(t(lang, "hazard.text_too_long", limit=MAX_NOTE))
    data = {**await _data(state), "reason": reason}
    await services.move(app.sessions, moves(state), Step.REJECT_DEADLINE, data)
    return message.answer(
        t(lang, "hazard.ask_new_deadline") + "\n" + t(lang, "hazard.deadline_examples")
    )


@router.message(RejectFix.deadline, F.text, NOT_COMMAND)
async def got_reject_deadline(
    message: Message, app: App, actor: Person | None, lang: str, state: FSMContext
) -> SendMessage:
    deadline = hz.parse_deadline(
        message.text or "", app.now(), app.settings.school.tz, await school_calendar(app)
    )
    if isinstance(deadline, ParseFailure):
        return message.answer(_bad_deadline(deadline, lang))
    if actor is None:
        return message.answer(t(lang, "common.unknown_user"))
    data = await _data(state)
    hazard_id, round_ = int(str(data.get("hazard_id", 0))), int(str(data.get("round", 0)))
    result = await services.reject(
        app.sessions,
        ctx_of(app),
        hazard_id,
        round_,
        actor,
        str(data.get("reason", "")),
        deadline,
        app.now(),
        app.settings.hazards,
        moves(state),
    )
    app.wake_sender()
    return message.answer(_reply(result, lang, "hazard.rejected"))


# Whatever else arrives during a step gets that step's hint; nothing changes.
_HINTS = {
    RaiseHazard.what.state: "hazard.ask_what",
    RaiseHazard.place.state: "hazard.ask_place",
    RaiseHazard.category.state: "hazard.need_category",
    RaiseHazard.severity.state: "zero.need_severity",
    RaiseHazard.photos.state: "hazard.ask_photos",
    FixHazard.photos.state: "hazard.ask_fix_photos",
    FixHazard.note.state: "hazard.ask_fix_note",
    RejectFix.reason.state: "hazard.ask_reject_reason",
    RejectFix.deadline.state: "hazard.ask_new_deadline",
}


@router.message(RaiseHazard.what, NOT_COMMAND)
@router.message(RaiseHazard.place, NOT_COMMAND)
@router.message(RaiseHazard.category, NOT_COMMAND)
@router.message(RaiseHazard.severity, NOT_COMMAND)
@router.message(RaiseHazard.photos, NOT_COMMAND)
@router.message(FixHazard.photos, NOT_COMMAND)
@router.message(FixHazard.note, NOT_COMMAND)
@router.message(RejectFix.reason, NOT_COMMAND)
@router.message(RejectFix.deadline, NOT_COMMAND)
async def wrong_kind_of_answer(message: Message, lang: str, state: FSMContext) -> SendMessage:
    return message.answer(t(lang, _HINTS.get(await state.get_state() or "", "hazard.ask_what")))


# -- the buttons -------------------------------------------------------------------------------


class _Pressed(NamedTuple):
    """A press of a hazard's button by a known person, with what its handler was given (the
    message is None when Telegram no longer has it)."""

    query: CallbackQuery
    message: Message | None
    press: buttons.Press
    app: App
    actor: Person
    lang: str
    state: FSMContext


@router.callback_query(buttons.Press.filter())
async def pressed(
    query: CallbackQuery,
    press: buttons.Press,
    app: App,
    actor: Person | None,
    lang: str,
    state: FSMContext,
) -> AnswerCallbackQuery:
    if actor is None:
        return query.answer(t(lang, "common.unknown_user"), show_alert=True)
    message = pressed_message(query)
    given = _Pressed(query, message, press, app, actor, lang, state)
    match press.action:
        case hz.Action.CATEGORY | hz.Action.SEVERITY | hz.Action.PHOTOS_DONE:
            return await _raising_button(given)
        case hz.Action.FIX | hz.Action.FIX_DONE | hz.Action.REJECT:
            return await _conversation_press(given)
        case hz.Action.FROM_PATROL | hz.Action.FROM_INCIDENT:
            return await _raise_from(given)
    result = await services.press(
        app.sessions,
        ctx_of(app),
        press.action,
        press.hazard_id,
        press.round,
        actor,
        app.now(),
        app.settings.hazards,
    )
    done_key = {
        hz.Action.LIST: "hazard.list_signed",
        hz.Action.ACCEPT: "hazard.accepted",
    }.get(press.action, "hazard.signed")
    text = _reply(result, lang, done_key)
    if result.outcome is not hz.Outcome.DONE:
        return query.answer(text, show_alert=True)
    app.wake_sender()
    if message is not None:  # the buttons go; the message says what was done, by whom, when
        stamp = t(
            lang,
            "hazard.stamp",
            who=actor.display_name,
            time=app.now().astimezone(app.tz).strftime("%m-%d %H:%M"),
        )
        await message.edit_text(f"{message.text or ''}\n\n{text} {stamp}", reply_markup=None)
    return query.answer()


async def _raising_button(pressed: _Pressed) -> AnswerCallbackQuery:
    query, message, press, app, actor, lang, state = pressed
    step = {
        hz.Action.CATEGORY: RaiseHazard.category,
        hz.Action.SEVERITY: RaiseHazard.severity,
        hz.Action.PHOTOS_DONE: RaiseHazard.photos,
    }[press.action]
    refusal = await common.off_step(
        query, state, step, "hazard_id", press.hazard_id, lang, "hazard"
    )
    if refusal is not None:
        return refusal
    policy = app.settings.hazards
    reply: OutMessage | None = None
    if press.action is hz.Action.CATEGORY:
        if press.arg not in {c.id for c in policy.categories}:
            return query.answer(t(lang, "hazard.stale_button"), show_alert=True)
        following = await _answer(app, actor, state, category=press.arg)
        if following is not None:  # the question becomes the next one
            reply = services.question(following, press.hazard_id, lang, policy)
    elif press.action is hz.Action.SEVERITY:
        if press.arg not in zr.SEVERITY_LABELS:
            return query.answer(t(lang, "hazard.stale_button"), show_alert=True)
        if await _answer(app, actor, state, Step.PHOTOS, severity=press.arg) is not None:
            reply = services.question(Step.PHOTOS, press.hazard_id, lang, policy)
    else:
        result = await services.submit(
            app.sessions, ctx_of(app), press.hazard_id, actor, app.now(), policy, moves(state)
        )
        if result.outcome is hz.Outcome.DONE:
            app.wake_sender()
            key = "hazard.submitted_urgent" if result.urgent else "hazard.submitted"
            reply = OutMessage(t(lang, key, id=result.hazard_id))
    if message is not None:
        if reply is None:
            await (await _gone(message, state, lang))
        else:
            await message.edit_text(reply.text, reply_markup=keyboard(reply.buttons))
    return query.answer()


async def _conversation_press(pressed: _Pressed) -> AnswerCallbackQuery:
    """整改完成 (the owner's "after" photos asked), 照片已发完 (the note asked), 驳回 (the
    reason asked): the step's service moves the conversation, the reply asks its question."""
    query, message, press, app, actor, lang, state = pressed
    if press.action is hz.Action.FIX_DONE:
        refusal = await common.off_step(
            query, state, FixHazard.photos, "hazard_id", press.hazard_id, lang, "hazard"
        )
        if refusal is not None:
            return refusal
    sessions, ctx, moved = app.sessions, ctx_of(app), moves(state)
    if press.action is hz.Action.FIX:
        result = await services.start_fix(
            sessions, ctx, press.hazard_id, press.round, actor, app.now(), moved
        )
    elif press.action is hz.Action.FIX_DONE:
        policy = app.settings.hazards
        result = await services.fix_photos_done(
            sessions, ctx, press.hazard_id, actor, policy, moved
        )
    else:
        result = await services.start_reject(
            sessions, ctx, press.hazard_id, press.round, actor, moved
        )
    if result.outcome is not hz.Outcome.DONE:
        return query.answer(_reply(result, lang, ""), show_alert=True)
    if message is None:
        return query.answer()
    if press.action is hz.Action.FIX:
        rows = buttons.fix_done_rows(press.hazard_id, press.round, lang)
        await message.answer(
            t(lang, "hazard.ask_fix_photos", id=press.hazard_id), reply_markup=keyboard(rows)
        )
    elif press.action is hz.Action.FIX_DONE:
        await message.edit_text(t(lang, "hazard.ask_fix_note"), reply_markup=None)
    else:
        await message.answer(t(lang, "hazard.ask_reject_reason", id=press.hazard_id))
    return query.answer()


async def _raise_from(pressed: _Pressed) -> AnswerCallbackQuery:
    """发现隐患 under a patrol or an incident: a draft filled in from it, then the questions
    it did not answer."""
    query, message, press, app, actor, lang, state = pressed
    if message is None or message.chat.type != "private":
        return query.answer(t(lang, "hazard.private_only"), show_alert=True)
    started = await services.raise_from(
        app.sessions,
        ctx_of(app),
        actor,
        app.now(),
        press.action,
        press.hazard_id,
        moves(state),
        tg_chat_id=message.chat.id,
    )
    if started.outcome is hz.Outcome.NOT_ALLOWED:
        return query.answer(t(lang, "common.not_allowed"), show_alert=True)
    if started.outcome is not hz.Outcome.DONE:
        return query.answer(t(lang, "hazard.stale_button"), show_alert=True)
    asked = services.question(started.step, started.hazard_id, lang, app.settings.hazards)
    intro = t(lang, "hazard.raise_from_started", id=started.hazard_id, photos=started.photos)
    await message.answer(f"{intro}\n{asked.text}", reply_markup=keyboard(asked.buttons))
    return query.answer()
