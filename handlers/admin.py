"""Admin and duty-leader commands: /today, /plan, /calendar, /pause, /resume, /people."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import CallbackQuery, Message
from sqlalchemy import delete, select

from bot.app import App
from bot.core.dates import DateRange, ParseFailure, describe, examples, parse_day, parse_range
from bot.core.i18n import t
from bot.core.messages import OutMessage
from bot.telegram_transport import keyboard
from handlers.common import ADMIN, LEADERS, refuse_unless, school_calendar
from scheduler.delivery import RESEND_CALLBACK, ResendScope, Resent, resend_offer, resend_uncertain
from scheduler.overview import day_overview
from scheduler.planning import format_plan_text, plan_range
from storage import audit
from storage.models import CalendarOverride, Person, Role, School, Unit
from storage.people import has_role

router = Router(name="admin")

MAX_PLAN_DAYS = 31


@router.message(Command("today"))
async def today(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> None:
    if not await refuse_unless(message, actor, lang, *LEADERS):
        return
    day = app.today()
    calendar = await school_calendar(app)
    if command.args:
        parsed = parse_day(command.args, app.now(), tz=app.settings.school.tz, calendar=calendar)
        if isinstance(parsed, ParseFailure):
            await message.answer(describe(parsed, lang) + "\n\n" + t(lang, "usage.today"))
            return
        day = parsed
    assert app.ticker is not None
    async with app.sessions() as session:
        text = await day_overview(
            session, app.ticker.ctx, app.settings, calendar, day, app.today(), lang
        )
        resend = (
            await resend_offer(session, app.ticker.ctx, ResendScope.day(day), lang)
            if has_role(actor, *ADMIN)
            else None
        )
    markup = keyboard(OutMessage(text, buttons=((resend,),))) if resend else None
    await message.answer(text, reply_markup=markup)


@router.callback_query(F.data.startswith(f"{RESEND_CALLBACK}:"))
async def resend_unconfirmed(
    query: CallbackQuery, app: App, actor: Person | None, lang: str
) -> AnswerCallbackQuery | None:
    """An admin's 重发未确认的 N 条 (/today, a notice's report): each once more, marked 🔁."""
    if not await refuse_unless(query, actor, lang, *ADMIN):
        return None
    assert actor is not None and app.ticker is not None
    scope = ResendScope.parse(query.data or "")
    if scope is None:
        return query.answer(t(lang, "delivery.bad_button"), show_alert=True)
    async with app.sessions.begin() as session:
        outcome, count = await resend_uncertain(session, app.ticker.ctx, scope, actor.id, app.now())
    match outcome:
        case Resent.RESENT:
            app.wake_sender()
            return query.answer(t(lang, "delivery.resent", count=count), show_alert=True)
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
    if action not in ("off", "on", "clear") or len(parts) < 2:
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
    async with app.sessions.begin() as session:
        existing = await session.scalar(
            select(CalendarOverride).where(
                CalendarOverride.school_id == app.school_id, CalendarOverride.day == day
            )
        )
        changed = True
        if action == "clear" and existing is None:
            reply, changed = t(lang, "calendar.not_found", day=day.isoformat()), False
        elif action == "clear" and existing is not None:
            await session.execute(
                delete(CalendarOverride).where(CalendarOverride.id == existing.id)
            )
            reply = t(lang, "calendar.cleared", day=day.isoformat())
        else:
            if existing is None:
                existing = CalendarOverride(school_id=app.school_id, day=day, created_at=app.now())
                session.add(existing)
            existing.is_school_day = action == "on"
            existing.reason, existing.created_by = reason, actor.id
            reply = t(lang, f"calendar.set_{action}", day=day.isoformat(), reason=reason or "—")
        if changed:
            audit.record(
                session,
                app.school_id,
                actor.id,
                f"calendar.{action}",
                app.now(),
                day=day.isoformat(),
                reason=reason,
            )
    # Answers go out after the transaction: the database is not held during a Bot API call.
    await message.answer(reply)


async def _list_overrides(app: App, lang: str) -> str:
    async with app.sessions() as session:
        rows = (
            await session.scalars(
                select(CalendarOverride)
                .where(CalendarOverride.school_id == app.school_id)
                .order_by(CalendarOverride.day)
            )
        ).all()
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
    async with app.sessions.begin() as session:
        school = await session.get(School, app.school_id)
        assert school is not None
        if school.paused:
            reply = t(lang, "pause.already", reason=school.paused_reason or "—")
        else:
            school.paused, school.paused_reason = True, reason
            audit.record(session, app.school_id, actor.id, "pause", app.now(), reason=reason)
            reply = t(lang, "pause.done", reason=reason)
    await message.answer(reply)


@router.message(Command("resume"))
async def resume(message: Message, app: App, actor: Person | None, lang: str) -> None:
    if not await refuse_unless(message, actor, lang, *ADMIN):
        return
    assert actor is not None
    async with app.sessions.begin() as session:
        school = await session.get(School, app.school_id)
        assert school is not None
        was_paused = school.paused
        if was_paused:
            school.paused, school.paused_reason = False, ""
            audit.record(session, app.school_id, actor.id, "resume", app.now())
    if not was_paused:
        await message.answer(t(lang, "resume.not_paused"))
        return
    await app.tick()
    await message.answer(t(lang, "resume.done"))


@router.message(Command("people"))
async def people_list(message: Message, app: App, actor: Person | None, lang: str) -> None:
    if not await refuse_unless(message, actor, lang, *LEADERS):
        return
    async with app.sessions() as session:
        rows = (
            await session.execute(
                select(Person, Role, Unit)
                .join(Role, Role.person_id == Person.id)
                .outerjoin(Unit, Unit.id == Role.unit_id)
                .where(Person.school_id == app.school_id)
                .order_by(Role.role, Unit.grade, Unit.slug, Person.id)
            )
        ).all()
    groups: dict[str, list[str]] = defaultdict(list)
    persons: set[int] = set()
    unreachable: list[str] = []
    for person, role, unit in rows:
        persons.add(person.id)
        label = t(lang, f"role.{role.role}") + (f" {unit.name}" if unit else "")
        groups[label].append(person.display_name)
        if person.unreachable and person.display_name not in unreachable:
            unreachable.append(person.display_name)
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
