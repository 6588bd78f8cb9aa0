"""Emergency drills (应急疏散演练): /drill (the next plan), a head teacher's headcount
(/drill 42 41 一人病假, in the class group or in private, /drill 三(2)班 42 41 … for a
teacher of several classes), the commander's feedback (/drill 问题 …, /drill 措施 …), and the
commander's 开始演练 / 结束演练 buttons. A forged or stale button changes nothing."""

from __future__ import annotations

import re

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Message

from bot.core.dates import ParseFailure, describe, parse_moment
from bot.core.i18n import t
from handlers.common import ctx_of, pressed_message, school_calendar
from handlers.media import MediaTooLarge, download_photo
from handlers.rendering import keyboard
from scheduler import drills as dr
from scheduler.actors import Person, has_role
from scheduler.app import App
from scheduler.drills import answers
from scheduler.drills.common import STAFF

router = Router(name="drills")

_COUNT = re.compile(r"^(?:(\S*班)\s+)?(-?\d{1,4})\s*[/ ]\s*(-?\d{1,4})(?:\s+(.+))?$", re.S)
_FEEDBACK = {"问题": "problems", "存在问题": "problems", "problems": "problems"}
_FEEDBACK |= {"措施": "measures", "改进措施": "measures", "measures": "measures"}
_FEEDBACK |= {"建议": "measures", "suggestion": "measures"}
_MOVE = re.compile(r"^#?(\d{1,9})\s*(?:改到|改期到|改期|移到|move\s+to|to)\s*(.+)$", re.I | re.S)


async def _photo(message: Message, bot: Bot, app: App, actor: Person, lang: str) -> SendMessage:
    """A photo with the caption /drill: kept with the latest drill (marshals, commander)."""
    try:
        photo = await download_photo(bot, app, message)
    except MediaTooLarge:
        return message.answer(t(lang, "drill.photo_too_big"))
    assert photo is not None
    stored, *_ = photo
    result = await answers.add_photo(
        app.sessions, ctx_of(app), actor, stored, app.now(), app.settings
    )
    return message.answer(_note_reply(result.outcome, "photo", result.unit_name, lang))


def _note_reply(outcome: dr.Outcome, kind: str, day: str, lang: str) -> str:
    match outcome:
        case dr.Outcome.DONE:
            return t(lang, f"drill.note_saved.{kind}", day=day)
        case dr.Outcome.NOT_ALLOWED:
            return t(lang, "drill.not_marshal")
        case dr.Outcome.BAD_COUNT:
            return t(lang, "drill.too_many_photos")
        case _:
            return t(lang, "drill.no_held_drill")


@router.message(Command("drill"))
async def drill_command(
    message: Message, command: CommandObject, bot: Bot, app: App, actor: Person | None, lang: str
) -> SendMessage:
    if not has_role(actor, *STAFF):  # a stranger in a group is told too
        return message.answer(
            t(lang, "common.unknown_user" if actor is None else "common.not_allowed")
        )
    assert actor is not None
    if message.photo:
        return await _photo(message, bot, app, actor, lang)
    words = (command.args or "").strip()
    if not words:  # the next drill gets its number
        return message.answer(
            await answers.next_drill(app.sessions, ctx_of(app), app.settings, app.today(), lang)
        )
    moving = _MOVE.match(words)
    if moving is not None:
        return message.answer(await _move(app, actor, int(moving[1]), moving[2], lang))
    verb, _, rest = words.partition(" ")
    if verb.lower() in _FEEDBACK:
        return message.answer(await _feedback(app, actor, _FEEDBACK[verb.lower()], rest, lang))
    found = _COUNT.match(words)
    if found is None:
        return message.answer(t(lang, "drill.usage"))
    class_name, expected, present, reason = found.groups()
    return message.answer(
        await _count(message, app, actor, class_name, int(expected), int(present), reason, lang)
    )


async def _feedback(app: App, actor: Person, field: str, text: str, lang: str) -> str:
    if not text.strip():
        return t(lang, "drill.usage")
    given = await answers.give_feedback(
        app.sessions, ctx_of(app), actor, field, text, app.now(), app.settings
    )
    if given.note:  # a floor marshal's 问题 / 建议, kept with the drill
        if given.outcome is dr.Outcome.NOT_ALLOWED:
            return t(lang, "drill.not_commander")
        return _note_reply(given.outcome, given.note, given.day, lang)
    match given.outcome:
        case dr.Outcome.DONE if given.closed:
            return t(lang, "drill.closed")
        case dr.Outcome.DONE:
            other = "drill.ask_measures" if field == "problems" else "drill.ask_problems"
            return t(lang, "drill.feedback_saved") + "\n" + t(lang, other)
        case _:
            return t(lang, "drill.no_ended_drill")


async def _move(app: App, actor: Person, drill_id: int, when: str, lang: str) -> str:
    """/drill 12 改到 下周三 10:00: the school calendar reads the day."""
    calendar = await school_calendar(app)
    parsed = parse_moment(when, app.now(), tz=app.settings.school.tz, calendar=calendar)
    if isinstance(parsed, ParseFailure):
        return describe(parsed, lang) + "\n" + t(lang, "drill.move_usage")
    if not parsed.has_time:
        return t(lang, "drill.move_needs_time") + "\n" + t(lang, "drill.move_usage")
    result = await answers.move(
        app.sessions,
        ctx_of(app),
        drill_id,
        actor,
        parsed.at,
        app.now(),
        app.settings,
        school_day=calendar.is_school_day(parsed.at.astimezone(app.tz).date()),
    )
    app.wake_sender()
    match result.outcome:
        case dr.Outcome.DONE:
            return t(lang, "drill.moved", id=drill_id, new=result.unit_name, told=result.seconds)
        case dr.Outcome.NOT_ALLOWED:
            return t(lang, "drill.move_admins_only")
        case dr.Outcome.STALE:
            return t(lang, "drill.move_started", id=drill_id)
        case dr.Outcome.PAST:
            return t(lang, "drill.move_past")
        case dr.Outcome.NOT_SCHOOL_DAY:
            return t(lang, "drill.move_not_school_day")
        case dr.Outcome.CLASH:
            return t(lang, "drill.move_clash")
        case _:
            return t(lang, "drill.move_unknown", id=drill_id)


async def _count(
    message: Message,
    app: App,
    actor: Person,
    class_name: str | None,
    expected: int,
    present: int,
    reason: str | None,
    lang: str,
) -> str:
    result = await answers.report_count(
        app.sessions,
        ctx_of(app),
        actor,
        class_name,
        expected,
        present,
        reason or "",
        app.now(),
        app.settings,
        tg_chat_id=message.chat.id,
        private=message.chat.type == "private",
    )
    if result.outcome is dr.Outcome.NO_CLASS:
        return t(lang, "drill.which_class")
    app.wake_sender()
    params = {"unit": result.unit_name, "expected": expected, "present": present}
    match result.outcome:
        case dr.Outcome.DONE | dr.Outcome.REPLACED:
            key = "drill.counted_mismatch" if result.mismatch else "drill.counted"
            text = t(lang, key, **params)
            if result.outcome is dr.Outcome.REPLACED:
                text += "\n" + t(lang, "drill.count_replaced")
            return text
        case dr.Outcome.NOT_ALLOWED:
            return t(lang, "drill.not_your_class", **params)
        case dr.Outcome.BAD_COUNT:
            return t(lang, "drill.bad_count", **params)
        case dr.Outcome.NEED_REASON:
            return t(lang, "drill.need_reason", **params)
        case _:
            return t(lang, "drill.not_started")


@router.callback_query(dr.Press.filter())
async def pressed(
    query: CallbackQuery, press: dr.Press, app: App, actor: Person | None, lang: str
) -> AnswerCallbackQuery:
    if actor is None:
        return query.answer(t(lang, "common.unknown_user"), show_alert=True)
    result = await answers.pressed(app.sessions, ctx_of(app), press, actor, app.now(), app.settings)
    match result.outcome:
        case dr.Outcome.DONE:
            pass
        case dr.Outcome.NOT_ALLOWED:
            return query.answer(t(lang, "drill.not_commander"), show_alert=True)
        case _:
            return query.answer(t(lang, "drill.stale_button"), show_alert=True)
    app.wake_sender()
    message = pressed_message(query)
    time = app.now().astimezone(app.tz).strftime("%H:%M:%S")
    if message is not None and press.action is dr.Action.START:
        rows = dr.end_rows(press.drill_id, lang)
        await message.edit_text(t(lang, "drill.started", time=time), reply_markup=keyboard(rows))
    elif message is not None:
        took = dr.duration(result.seconds, lang)
        await message.edit_text(t(lang, "drill.ended", time=time, took=took))
    return query.answer()


# A press of ours that does not unpack (forged, truncated): the drill's own word for it.
_PREFIXES = tuple(f"{prefix}:" for prefix in (dr.Press.prefix, *dr.Press.legacy_prefixes))


@router.callback_query(F.data.startswith(_PREFIXES))
async def not_ours_any_more(query: CallbackQuery, lang: str) -> AnswerCallbackQuery:
    return query.answer(t(lang, "drill.stale_button"), show_alert=True)
