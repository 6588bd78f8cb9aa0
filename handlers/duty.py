"""24-hour duty: /duty, /roster, roster files, /swap, /handover, /patrol and the handover's
checklist and confirmation buttons.

The note-and-photos step of a handover and the photos of a patrol are aiogram FSM states;
their handlers act only in those states (or on a photo replying to the handover checklist),
so outside them photos go on to education's handler. A state older than ``STATE_TTL`` is
dropped, so a forgotten conversation never swallows tomorrow's messages.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from collections import OrderedDict

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.app import App
from bot.dates import ParseFailure, describe, parse_day
from bot.i18n import t
from bot.telegram_transport import keyboard
from handlers.common import ADMIN, LEADERS, refuse_unless
from handlers.media import MediaTooLarge, PhotoFile, download_photo
from scheduler import duty_handover as handovers
from scheduler import duty_patrol as patrols
from scheduler import duty_roster as roster
from scheduler import duty_swap as swaps
from scheduler.routine import Context
from storage import duty as store
from storage.messages import Button, OutMessage
from storage.models import Person

router = Router(name="duty")

STAFF = ("admin", "duty_leader", "teacher", "head_teacher", "guard", "staff")
WEEK_WORDS = {"week", "本周", "一周", "周", "7"}
STATE_TTL = dt.timedelta(minutes=60)
MAX_PROBLEM_LINES = 40
NOT_COMMAND = ~F.text.startswith("/")
_ALBUMS_ANSWERED: OrderedDict[str, None] = OrderedDict()


class HandoverNote(StatesGroup):
    collecting = State()


class PatrolInput(StatesGroup):
    collecting = State()


def _ctx(app: App) -> Context:
    if app.ticker is not None:
        return app.ticker.ctx
    return Context(app.school_id, app.settings.school.language, app.tz)


# --- the roster --------------------------------------------------------------------------


@router.message(Command("duty"))
async def duty_command(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> None:
    """/duty: today and tomorrow; /duty week; /duty <date>; /duty <date> <post> <name>."""
    if not await refuse_unless(message, actor, lang, *STAFF):
        return
    assert actor is not None
    args = (command.args or "").strip()
    tokens = args.split()
    post_at = next(
        (i for i, word in enumerate(tokens) if roster.find_post(app.settings, word)), None
    )
    if post_at is not None:
        await _set_post(message, app, actor, lang, tokens, post_at)
        return
    today = app.today()
    if not args:
        days = [today, today + dt.timedelta(days=1)]
    elif args.lower() in WEEK_WORDS:
        if not await refuse_unless(message, actor, lang, *LEADERS):
            return
        days = [today + dt.timedelta(days=n) for n in range(7)]
    else:
        day = parse_day(args, app.now(), tz=app.settings.school.tz)
        if isinstance(day, ParseFailure):
            await message.answer(describe(day, lang) + "\n\n" + t(lang, "duty.usage"))
            return
        days = [day]
    async with app.sessions() as session:
        text = await roster.roster_text(
            session, app.school_id, app.settings, days, lang, compact=len(days) > 2
        )
    await message.answer(text)


async def _set_post(
    message: Message, app: App, actor: Person, lang: str, tokens: list[str], post_at: int
) -> None:
    if not await refuse_unless(message, actor, lang, *ADMIN):
        return
    names = [n for word in tokens[post_at + 1 :] for n in roster.split_names(word)]
    async with app.sessions.begin() as session:
        result = await roster.set_post(
            session,
            app.school_id,
            app.settings,
            app.now(),
            actor,
            " ".join(tokens[:post_at]),
            tokens[post_at],
            names,
        )
        if isinstance(result, roster.Problem):
            await message.answer(roster.problem_text(result, lang) + "\n\n" + t(lang, "duty.usage"))
            return
        text = await roster.roster_text(session, app.school_id, app.settings, [result.day], lang)
    await message.answer(t(lang, "duty.set.done") + "\n" + text)


@router.message(Command("roster"))
async def roster_command(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> None:
    """/roster template sends the .xlsx template; /roster alone says how to import."""
    if not await refuse_unless(message, actor, lang, *ADMIN):
        return
    if (command.args or "").strip().lower() not in ("template", "模板"):
        await message.answer(t(lang, "duty.roster.help"))
        return
    async with app.sessions() as session:
        staff = await store.duty_staff(session, app.school_id)
    data = roster.template_xlsx(app.settings, staff, app.today() + dt.timedelta(days=1))
    await message.answer_document(
        BufferedInputFile(data, filename=roster.TEMPLATE_FILENAME),
        caption=t(lang, "duty.roster.template_caption"),
    )


def _looks_like_roster(message: Message) -> bool:
    name = (message.document.file_name or "").lower() if message.document else ""
    return name.endswith((".xlsx", ".csv"))


@router.message(F.document, F.chat.type == "private", _looks_like_roster)
async def roster_file(
    message: Message, bot: Bot, app: App, actor: Person | None, lang: str
) -> None:
    if not await refuse_unless(message, actor, lang, *ADMIN):
        return
    assert actor is not None and message.document is not None
    document = message.document
    if (document.file_size or 0) > roster.MAX_FILE_BYTES:
        await message.answer(t(lang, "duty.roster.too_big", kb=roster.MAX_FILE_BYTES // 1024))
        return
    buffer = io.BytesIO()
    await bot.download(document, destination=buffer)
    async with app.sessions.begin() as session:
        result = await roster.import_roster(
            session,
            app.school_id,
            app.settings,
            app.now(),
            actor,
            buffer.getvalue(),
            document.file_name or "",
        )
        shown = result.days[:14]
        text = (
            await roster.roster_text(
                session, app.school_id, app.settings, shown, lang, compact=True
            )
            if result.ok
            else ""
        )
    if not result.ok:
        await message.answer(_rejection(result.problems, lang))
        return
    first, last = result.days[0], result.days[-1]
    head = t(
        lang,
        "duty.roster.imported",
        rows=len(result.assignments),
        days=len(result.days),
        first=first.isoformat(),
        last=last.isoformat(),
    )
    await message.answer(f"{head}\n\n{text}")


def _rejection(problems: list[roster.Problem], lang: str) -> str:
    lines = [roster.problem_text(p, lang) for p in problems[:MAX_PROBLEM_LINES]]
    if len(problems) > MAX_PROBLEM_LINES:
        lines.append(t(lang, "duty.roster.more", count=len(problems) - MAX_PROBLEM_LINES))
    head = t(lang, "duty.roster.rejected", count=len(problems))
    return "\n".join([head, *lines])


# --- swaps -------------------------------------------------------------------------------


@router.message(Command("swap"))
async def swap_command(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> None:
    if not await refuse_unless(message, actor, lang, *STAFF):
        return
    assert actor is not None
    async with app.sessions.begin() as session:
        result = await swaps.request_swap(
            session, _ctx(app), app.settings, app.now(), actor, (command.args or "")[:200]
        )
        if isinstance(result, roster.Problem):
            await message.answer(_problem_with_usage(result, "duty.swap.usage", lang))
            return
        partner = await session.get(Person, result.partner_id)
        assert partner is not None
        what = swaps.describe(result, actor, partner, app.settings, lang)
    app.wake_sender()
    await message.answer(t(lang, "duty.swap.requested", name=partner.display_name, what=what))


@router.callback_query(F.data.regexp(r"^sw:\d+:[yn]$"))
async def swap_answer(query: CallbackQuery, app: App, actor: Person | None, lang: str) -> None:
    _, number, choice = (query.data or "").split(":")
    if actor is None:
        await query.answer(t(lang, "common.unknown_user"), show_alert=True)
        return
    async with app.sessions.begin() as session:
        result = await swaps.answer_swap(
            session, _ctx(app), app.settings, app.now(), actor, int(number), choice == "y"
        )
    app.wake_sender()
    text = t(lang, f"duty.swap.answer.{result.answer.value}")
    if result.answer in (swaps.Answer.ACCEPTED, swaps.Answer.DECLINED):
        await query.answer(text)
        if isinstance(query.message, Message):
            await query.message.edit_text(
                f"{query.message.text or ''}\n\n{text}", reply_markup=None
            )
    else:
        await query.answer(text, show_alert=True)


# --- handovers ---------------------------------------------------------------------------


@router.message(Command("handover"))
async def handover_command(message: Message, app: App, actor: Person | None, lang: str) -> None:
    if not await refuse_unless(message, actor, lang, *STAFF):
        return
    async with app.sessions() as session:
        text = await handovers.recent_text(session, _ctx(app), app.settings, lang)
    await message.answer(text)


@router.callback_query(F.data.regexp(r"^dh:\d+:(c\d+|n|s|ok)$"))
async def handover_button(
    query: CallbackQuery, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    _, number, action = (query.data or "").split(":")
    handover_id = int(number)
    if actor is None:
        await query.answer(t(lang, "common.unknown_user"), show_alert=True)
        return
    ctx, settings, now = _ctx(app), app.settings, app.now()
    async with app.sessions.begin() as session:
        if action.startswith("c"):
            step = await handovers.toggle(
                session, ctx, settings, handover_id, actor, int(action[1:])
            )
        elif action == "n":
            step = await handovers.check_editable(session, ctx, handover_id, actor)
        elif action == "s":
            step = await handovers.submit(session, ctx, settings, handover_id, actor, now)
        else:
            step = await handovers.confirm(session, ctx, settings, handover_id, actor, now)
    app.wake_sender()
    if step.outcome is not handovers.Outcome.OK:
        await query.answer(_step_refusal(step, action, lang), show_alert=True)
        if step.view is not None and step.outcome is handovers.Outcome.CLOSED:
            await _show(query, handovers.checklist_message(step.view, settings, lang))
        return
    assert step.view is not None
    if action == "n":
        await state.set_state(HandoverNote.collecting)
        await state.set_data({"handover": handover_id, "since": now.isoformat()})
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.answer(t(lang, "duty.handover.note_ask"))
        return
    if action == "ok":
        await query.answer(t(lang, "duty.handover.confirmed"))
        await _show(query, handovers.confirmed_message(step.view, settings, lang))
        return
    await _show(query, handovers.checklist_message(step.view, settings, lang))
    if action == "s":
        await _leave_note_state(state, handover_id)
        key = "duty.handover.submitted" if step.view.incoming else "duty.handover.submitted_alone"
        name = step.view.incoming.display_name if step.view.incoming else ""
        await query.answer(t(lang, key, name=name), show_alert=True)
    else:
        await query.answer()


def _step_refusal(step: handovers.Step, action: str, lang: str) -> str:
    match step.outcome:
        case handovers.Outcome.NOT_YOURS:
            return t(
                lang, "duty.handover.not_yours_in" if action == "ok" else "duty.handover.not_yours"
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
        await query.message.edit_text(out.text, reply_markup=keyboard(out))


async def _leave_note_state(state: FSMContext, handover_id: int) -> None:
    if await state.get_state() == HandoverNote.collecting.state:
        data = await state.get_data()
        if data.get("handover") == handover_id:
            await state.clear()


@router.message(HandoverNote.collecting, F.text, NOT_COMMAND)
async def handover_note_text(
    message: Message, bot: Bot, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    handover_id = await _live_state(state, app)
    if actor is None:
        return
    text = (message.text or "")[: handovers.MAX_NOTE]
    async with app.sessions.begin() as session:
        step = await handovers.add_note(
            session,
            _ctx(app),
            handover_id,
            actor,
            text,
            app.now(),
            tg_chat_id=message.chat.id,
            tg_message_id=message.message_id,
        )
    await _after_note(message, bot, app, state, step, lang, "duty.handover.note_saved")


@router.message(HandoverNote.collecting, F.photo)
async def handover_note_photo(
    message: Message, bot: Bot, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    handover_id = await _live_state(state, app)
    if actor is None:
        return
    await _add_handover_photo(message, bot, app, actor, lang, state, handover_id)


@router.message(F.chat.type == "private", F.reply_to_message, F.photo | (F.text & NOT_COMMAND))
async def reply_to_checklist(
    message: Message, bot: Bot, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    """A photo or a text replying to the handover checklist belongs to that handover."""
    reply = message.reply_to_message
    if actor is None or reply is None:
        raise SkipHandler
    async with app.sessions() as session:
        handover = await handovers.handover_of_prompt(
            session, app.school_id, message.chat.id, reply.message_id
        )
    if handover is None or handover.outgoing_id != actor.id:
        raise SkipHandler
    if message.photo:
        await _add_handover_photo(message, bot, app, actor, lang, state, handover.id)
        return
    async with app.sessions.begin() as session:
        step = await handovers.add_note(
            session,
            _ctx(app),
            handover.id,
            actor,
            (message.text or "")[: handovers.MAX_NOTE],
            app.now(),
            tg_chat_id=message.chat.id,
            tg_message_id=message.message_id,
        )
    await _after_note(message, bot, app, state, step, lang, "duty.handover.note_saved")


async def _add_handover_photo(
    message: Message,
    bot: Bot,
    app: App,
    actor: Person,
    lang: str,
    state: FSMContext,
    handover_id: int,
) -> None:
    photo = await _download(message, bot, app, lang)
    if photo is None:
        return
    async with app.sessions.begin() as session:
        step = await handovers.add_photo(
            session,
            _ctx(app),
            handover_id,
            actor,
            photo,
            message.caption or "",
            app.now(),
            tg_chat_id=message.chat.id,
            tg_message_id=message.message_id,
        )
    key = "duty.handover.photo_saved" if _first_of_album(message.media_group_id) else ""
    await _after_note(message, bot, app, state, step, lang, key)


async def _after_note(
    message: Message,
    bot: Bot,
    app: App,
    state: FSMContext,
    step: handovers.Step,
    lang: str,
    saved_key: str,
) -> None:
    """Refresh the checklist (note, photo count) and say so; or say why not."""
    if step.outcome is not handovers.Outcome.OK or step.view is None:
        await state.clear()
        await message.answer(_step_refusal(step, "n", lang))
        return
    async with app.sessions() as session:
        where = await handovers.prompt_message_id(session, step.view.handover)
    if where is not None:
        out = handovers.checklist_message(step.view, app.settings, lang)
        with contextlib.suppress(TelegramBadRequest):
            await bot.edit_message_text(
                out.text, chat_id=where[0], message_id=where[1], reply_markup=keyboard(out)
            )
    if saved_key:
        await message.answer(t(lang, saved_key, photos=step.view.photos))


# --- patrols -----------------------------------------------------------------------------


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
    """/patrol <what was checked>, with a photo (the command as its caption) or without."""
    if not await refuse_unless(message, actor, lang, *STAFF):
        return
    assert actor is not None
    photo = await _download(message, bot, app, lang) if message.photo else None
    if message.photo and photo is None:
        return
    async with app.sessions.begin() as session:
        patrol = await patrols.start_patrol(
            session,
            app.school_id,
            app.settings,
            actor,
            app.now(),
            (command.args or "")[: patrols.MAX_TEXT],
            photo,
            tg_chat_id=message.chat.id,
            tg_message_id=message.message_id,
        )
    await state.set_state(PatrolInput.collecting)
    await state.set_data({"patrol": patrol.id, "since": app.now().isoformat()})
    key = "duty.patrol.started" if patrol.text or photo else "duty.patrol.ask"
    out = _patrol_markup_message(
        patrol.id, t(lang, key, time=app.now().astimezone(app.tz).strftime("%H:%M")), lang
    )
    await message.answer(out.text, reply_markup=keyboard(out))


@router.message(PatrolInput.collecting, F.photo | (F.text & NOT_COMMAND))
async def patrol_more(
    message: Message, bot: Bot, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    patrol_id = await _live_state(state, app, "patrol")
    if actor is None:
        return
    photo = await _download(message, bot, app, lang) if message.photo else None
    if message.photo and photo is None:
        return
    async with app.sessions.begin() as session:
        patrol = await patrols.add_to_patrol(
            session,
            app.school_id,
            patrol_id,
            actor,
            app.now(),
            (message.text or message.caption or "")[: patrols.MAX_TEXT],
            photo,
        )
        photos = len(patrol.attachments) if patrol else 0
    if patrol is None:
        await state.clear()
        await message.answer(t(lang, "duty.patrol.gone"))
        return
    if photo is None or _first_of_album(message.media_group_id):
        out = _patrol_markup_message(patrol_id, t(lang, "duty.patrol.added", photos=photos), lang)
        await message.answer(out.text, reply_markup=keyboard(out))


@router.callback_query(F.data.regexp(r"^pt:\d+:done$"))
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
        with contextlib.suppress(TelegramBadRequest):
            await query.message.edit_text(summary, reply_markup=None)


# --- helpers -----------------------------------------------------------------------------


async def _live_state(state: FSMContext, app: App, field: str = "handover") -> int:
    """The conversation's object id; a stale conversation is dropped and the message goes on
    to the routers after this one."""
    data = await state.get_data()
    since = data.get("since")
    started = dt.datetime.fromisoformat(since) if isinstance(since, str) else None
    if field not in data or started is None or app.now() - started > STATE_TTL:
        await state.clear()
        raise SkipHandler
    return int(data[field])


async def _download(message: Message, bot: Bot, app: App, lang: str) -> PhotoFile | None:
    try:
        return await download_photo(bot, app, message)
    except MediaTooLarge as exc:
        await message.answer(t(lang, "duty.photo_too_large", limit=exc.limit // (1024 * 1024)))
        return None


def _first_of_album(media_group_id: str | None) -> bool:
    """An album arrives as several messages: it gets one answer (per process, bounded)."""
    if media_group_id is None:
        return True
    if media_group_id in _ALBUMS_ANSWERED:
        return False
    _ALBUMS_ANSWERED[media_group_id] = None
    while len(_ALBUMS_ANSWERED) > 1000:
        _ALBUMS_ANSWERED.popitem(last=False)
    return True


def _problem_with_usage(problem: roster.Problem, usage_key: str, lang: str) -> str:
    text = roster.problem_text(problem, lang)
    return text if problem.key == usage_key else f"{text}\n\n{t(lang, usage_key)}"
