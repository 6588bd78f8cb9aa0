"""Admin and duty-leader commands: /today, /plan, /calendar, /pause, /resume, /people. The
transactions are the services' of scheduler/admin.py; answers go out after them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import CallbackQuery, Message

from bot.core.dates import DateRange, ParseFailure, describe, examples, parse_day, parse_range
from bot.core.i18n import t
from handlers.common import ADMIN, LEADERS, refuse_unless, school_calendar
from handlers.rendering import keyboard
from scheduler import admin
from scheduler.actors import Person
from scheduler.admin import CalendarAction, Override, Pausing
from scheduler.app import App
from scheduler.delivery import ResendScope, Resent
from scheduler.planning import format_plan_text, plan_range

router = Router(name="admin")

MAX_PLAN_DAYS = 31


@router.message(Command("today"))
async def today(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> None:
    if not await refuse_unless(message, actor, lang, *LEADERS):
        return
    assert actor is not None
    day = app.today()
    calendar = await school_calendar(app)
    if command.args:
        parsed = parse_day(command.args, app.now(), tz=app.settings.school.tz, calendar=calendar)
        if isinstance(parsed, ParseFailure):
            await message.answer(describe(parsed, lang) + "\n\n" + t(lang, "usage.today"))
            return
        day = parsed
    assert app.ticker is not None
    overview = await admin.today(
        app.sessions, app.ticker.ctx, app.settings, calendar, day, app.today(), lang, actor
    )
    resend = overview.resend
    markup = keyboard(((resend,),)) if resend else None
    await message.answer(overview.text, reply_markup=markup)


@router.callback_query(ResendScope.filter())
async def resend_unconfirmed(
    query: CallbackQuery, press: ResendScope, app: App, actor: Person | None, lang: str
) -> AnswerCallbackQuery | None:
    """An admin's 重发未确认的 N 条 (/today, a notice's report): each once more, marked 🔁."""
    if not await refuse_unless(query, actor, lang, *ADMIN):
        return None
    assert actor is not None and app.ticker is not None
    if not press.valid:
        return query.answer(t(lang, "delivery.bad_button"), show_alert=True)
    resent = await admin.resend(app.sessions, app.ticker.ctx, press, actor.id, app.now())
    match resent.outcome:
        case Resent.RESENT:
            app.wake_sender()
            return query.answer(t(lang, "delivery.resent", count=resent.count), show_alert=True)
        case Resent.NOTHING:
            return query.answer(t(lang, "delivery.nothing_to_resend"), show_alert=True)


@router.message(Command("plan"))
async def plan(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> None:
    if not await refuse_unless(message, actor, lang, *LEADERS):
        return
    text = (command.args or "").strip()
    calendar = await school_calendar(app)
    if text:
        parsed = parse_range(text, app.now(), tz=app.settings.school.tz, calendar=calendar)
        if isinstance(parsed, ParseFailure):
            await message.answer(describe(parsed, lang) + "\n\n" + t(lang, "usage.plan"))
            return
        span = parsed
    else:
        start = app.today()
        span = DateRange(start, start + dt.timedelta(days=6))
    if (span.end - span.start).days >= MAX_PLAN_DAYS:
        await message.answer(t(lang, "usage.plan"))
        return
    events = plan_range(app.settings, calendar, span.start, span.end)
    body = format_plan_text(events, calendar, span.start, span.end, "en" if lang == "en" else "zh")
    for chunk in _chunks(body, 4000):
        await message.answer(chunk)


@router.message(Command("calendar"))
async def calendar_command(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> None:
    if not await refuse_unless(message, actor, lang, *ADMIN):
        return
    assert actor is not None
    parts = (command.args or "").split(maxsplit=2)
    if not parts:
        await message.answer(await _list_overrides(app, lang))
        return
    action = parts[0].lower()
    if action not in tuple(CalendarAction) or len(parts) < 2:
        await message.answer(t(lang, "usage.calendar"))
        return
    calendar = await school_calendar(app)
    day = parse_day(parts[1], app.now(), tz=app.settings.school.tz, calendar=calendar)
    if isinstance(day, ParseFailure):
        await message.answer(describe(day, lang) + "\n\n" + examples(lang))
        return
    if day < app.today():
        await message.answer(t(lang, "calendar.past", day=day.isoformat()))
        return
    reason = parts[2][:100] if len(parts) > 2 else ""
    changed = await admin.set_override(
        app.sessions, app.school_id, actor.id, CalendarAction(action), day, reason, app.now()
    )
    # Answers go out after the transaction: the database is not held during a Bot API call.
    match changed:
        case Override.NOT_FOUND:
            await message.answer(t(lang, "calendar.not_found", day=day.isoformat()))
        case Override.CLEARED:
            await message.answer(t(lang, "calendar.cleared", day=day.isoformat()))
        case Override.SET:
            await message.answer(
                t(lang, f"calendar.set_{action}", day=day.isoformat(), reason=reason or "—")
            )


async def _list_overrides(app: App, lang: str) -> str:
    rows = await admin.overrides(app.sessions, app.school_id)
    if not rows:
        return t(lang, "calendar.empty") + "\n\n" + t(lang, "usage.calendar")
    items = "\n".join(
        f"{r.day.isoformat()} {'on' if r.is_school_day else 'off'} {r.reason}" for r in rows
    )
    return t(lang, "calendar.list", items=items)


@router.message(Command("pause"))
async def pause(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> None:
    if not await refuse_unless(message, actor, lang, *ADMIN):
        return
    assert actor is not None
    reason = (command.args or "").strip()[:200] or "—"
    paused = await admin.pause(app.sessions, app.school_id, actor.id, reason, app.now())
    if paused.outcome is Pausing.ALREADY:
        await message.answer(t(lang, "pause.already", reason=paused.reason))
    else:
        await message.answer(t(lang, "pause.done", reason=paused.reason))


@router.message(Command("resume"))
async def resume(message: Message, app: App, actor: Person | None, lang: str) -> None:
    if not await refuse_unless(message, actor, lang, *ADMIN):
        return
    assert actor is not None
    resumed = await admin.resume(app.sessions, app.school_id, actor.id, app.now())
    if resumed.outcome is Pausing.NOT_PAUSED:
        await message.answer(t(lang, "resume.not_paused"))
        return
    await app.tick()
    await message.answer(t(lang, "resume.done"))


@router.message(Command("people"))
async def people_list(message: Message, app: App, actor: Person | None, lang: str) -> None:
    if not await refuse_unless(message, actor, lang, *LEADERS):
        return
    rows = await admin.roles(app.sessions, app.school_id)
    groups: dict[str, list[str]] = defaultdict(list)
    persons: set[int] = set()
    unreachable: list[str] = []
    for row in rows:
        persons.add(row.person_id)
        label = t(lang, f"role.{row.role}") + (f" {row.unit_name}" if row.unit_name else "")
        groups[label].append(row.name)
        if row.unreachable and row.name not in unreachable:
            unreachable.append(row.name)
    lines = [t(lang, "people.head", count=len(persons))]
    lines += [
        f"• {label}（{len(names)}）: " + "、".join(names[:30]) + ("…" if len(names) > 30 else "")
        for label, names in groups.items()
    ]
    if unreachable:
        lines.append(t(lang, "people.unreachable", names="、".join(unreachable[:50])))
    for chunk in _chunks("\n".join(lines), 4000):
        await message.answer(chunk)


def _chunks(text: str, size: int) -> list[str]:
    """Split on line ends so no message passes Telegram's 4096-character limit."""
    chunks, current = [], ""
    for line in text.splitlines(keepends=True):
        while len(line) > size:
            chunks.append(line[:size])
            line = line[size:]
        if len(current) + len(line) > size:
            chunks.append(current)
            current = ""
        current += line
    if current:
        chunks.append(current)
    return chunks or [""]
