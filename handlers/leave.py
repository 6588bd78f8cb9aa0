"""Substitutes (代班): /leave 张老师 明天 到 周五 代班 李老师 (an admin), /leave 明天 到 周五 代班
李老师 (a head teacher asking; an admin's 批准 button), /leave list, /leave cancel N. Who may
and the transactions are the services' of scheduler/substitutes.py."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Message

from bot.core.dates import DateRange, ParseFailure, describe, parse_range
from bot.core.i18n import t
from handlers.common import ctx_of, parse_id, school_calendar
from scheduler import substitutes as sb
from scheduler.actors import Person
from scheduler.app import App

router = Router(name="leave")

_SUBSTITUTE_WORDS = ("代班", "代课", "substitute", "covered by")
_LIST = {"list", "列表", "查看"}
_CANCEL = {"cancel", "取消", "撤销"}


@router.message(Command("leave"))
async def leave_command(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> SendMessage:
    words = (command.args or "").strip()[:200]
    verb, _, rest = words.partition(" ")
    listing = not words or verb.lower() in _LIST
    if not sb.may_use(actor, listing):
        return message.answer(
            t(lang, "common.unknown_user" if actor is None else "leave.not_allowed")
        )
    assert actor is not None
    if listing:
        text = await sb.listing(app.sessions, ctx_of(app), actor, app.today(), lang)
        return message.answer(text if words else t(lang, "leave.usage") + "\n\n" + text)
    if verb.lower() in _CANCEL:
        return message.answer(await _cancel(app, actor, rest, lang))
    return message.answer(await _create(app, actor, words, lang))


async def _create(app: App, actor: Person, words: str, lang: str) -> str:
    marker = next((w for w in _SUBSTITUTE_WORDS if w in words.lower()), None)
    if marker is None:
        return t(lang, "leave.usage")
    at = words.lower().index(marker)
    left, substitute = words[:at].strip(), words[at + len(marker) :].strip()
    if not left or not substitute:
        return t(lang, "leave.usage")
    calendar = await school_calendar(app)
    now, tz = app.now(), app.settings.school.tz
    absent: str | None = None
    span = parse_range(left, now, tz=tz, calendar=calendar)
    if isinstance(span, ParseFailure) and " " in left:
        name, _, days = left.partition(" ")
        named = parse_range(days.strip(), now, tz=tz, calendar=calendar)
        if isinstance(named, DateRange):
            absent, span = name.strip(), named
    if isinstance(span, ParseFailure):
        return describe(span, lang) + "\n\n" + t(lang, "leave.usage")
    result = await sb.request_leave(
        app.sessions,
        ctx_of(app),
        actor,
        absent,
        span.start,
        span.end,
        substitute,
        app.today(),
        app.now(),
    )
    app.wake_sender()
    match result.outcome:
        case sb.Outcome.ACTIVE:
            return t(lang, "leave.active", id=result.leave_id, **result.texts)
        case sb.Outcome.REQUESTED:
            return t(lang, "leave.requested", id=result.leave_id, **result.texts)
        case _:
            return _refusal(result, lang)


async def _cancel(app: App, actor: Person, rest: str, lang: str) -> str:
    found = parse_id(rest)
    if found is None:
        return t(lang, "leave.usage")
    result = await sb.cancel(app.sessions, ctx_of(app), actor, found, app.today(), app.now())
    app.wake_sender()
    if result.outcome is sb.Outcome.CANCELLED:
        return t(lang, "leave.cancelled", id=found, **result.texts)
    return _refusal(result, lang)


def _refusal(result: sb.Result, lang: str) -> str:
    match result.outcome:
        case sb.Outcome.NOT_ALLOWED:
            return t(lang, "leave.not_allowed")
        case sb.Outcome.UNKNOWN_PERSON:
            return t(lang, "leave.unknown_person", name=result.name)
        case sb.Outcome.AMBIGUOUS:
            return t(lang, "leave.ambiguous_person", name=result.name)
        case sb.Outcome.NOT_HEAD_TEACHER:
            return t(lang, "leave.not_head_teacher", name=result.name)
        case sb.Outcome.SAME_PERSON:
            return t(lang, "leave.same_person")
        case sb.Outcome.PAST:
            return t(lang, "leave.past")
        case sb.Outcome.TOO_LONG:
            return t(lang, "leave.too_long", days=sb.MAX_DAYS)
        case sb.Outcome.NOT_FOUND:
            return t(lang, "leave.not_found")
        case _:
            return t(lang, "leave.stale")


@router.callback_query(sb.Press.filter())
async def decided(
    query: CallbackQuery, press: sb.Press, app: App, actor: Person | None, lang: str
) -> AnswerCallbackQuery:
    if actor is None:
        return query.answer(t(lang, "common.unknown_user"), show_alert=True)
    result = await sb.decide(app.sessions, ctx_of(app), actor, press, app.now())
    app.wake_sender()
    match result.outcome:
        case sb.Outcome.ACTIVE | sb.Outcome.REFUSED:
            key = (
                "leave.decided.active"
                if result.outcome is sb.Outcome.ACTIVE
                else "leave.decided.refused"
            )
            text = t(lang, key, **result.texts)
            if isinstance(query.message, Message):
                await query.message.answer(text)
            return query.answer(text)
        case _:
            return query.answer(_refusal(result, lang), show_alert=True)
