"""The admins' and duty leaders' commands (handlers/admin.py): /today with its resend button,
/calendar's school-day overrides, /pause and /resume, /people; and the messages every admin
gets once (the group-privacy-mode warning). Each service owns its transaction and returns
what the handler answers from; the answers go out after it, never holding the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, select

from bot.core.i18n import t
from bot.core.messages import Button, OutMessage
from bot.core.settings import Settings
from scheduler.calendar import SchoolCalendar
from scheduler.delivery import ResendScope, Resent, resend_offer, resend_uncertain
from scheduler.overview import day_overview
from scheduler.routine import Context
from storage import audit, outbox, people
from storage.db import SessionFactory
from storage.models import CalendarOverride, Person, Role, School, Unit
from storage.outbox import PRIORITY_ALERT, Envelope

# App.extras: the runner's check_bot found the bot's group privacy mode on (photos posted in
# class groups do not reach it); the first admin's /start is told then (handlers/onboarding.py).
PRIVACY_ON = "privacy_on"


# -- /today -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayOverview:
    text: str
    resend: Button | None = None  # an admin's 重发未确认的 N 条, when there are any


async def today(
    sessions: SessionFactory,
    ctx: Context,
    settings: Settings,
    calendar: SchoolCalendar,
    day: dt.date,
    today: dt.date,
    lang: str,
    actor: Person,
) -> DayOverview:
    """The day's overview (scheduler/overview.py) and, for an admin, the resend button."""
    async with sessions() as session:
        text = await day_overview(session, ctx, settings, calendar, day, today, lang)
        resend = (
            await resend_offer(session, ctx, ResendScope.day(day), lang)
            if people.has_role(actor, "admin")
            else None
        )
    return DayOverview(text, resend)


@dataclass(frozen=True)
class Resend:
    outcome: Resent
    count: int = 0


async def resend(
    sessions: SessionFactory, ctx: Context, scope: ResendScope, person_id: int, now: dt.datetime
) -> Resend:
    """The admin's button: the scope's uncertain sends once more, marked 🔁, audited."""
    async with sessions.begin() as session:
        outcome, count = await resend_uncertain(session, ctx, scope, person_id, now)
    return Resend(outcome, count)


# -- /calendar --------------------------------------------------------------------------------


class CalendarAction(StrEnum):
    OFF = "off"  # no school that day
    ON = "on"  # a school day (a make-up Saturday)
    CLEAR = "clear"  # back to the official calendar


class Override(StrEnum):
    SET = "set"
    CLEARED = "cleared"
    NOT_FOUND = "not_found"  # clear: the day had no override


@dataclass(frozen=True)
class OverrideRow:
    day: dt.date
    is_school_day: bool
    reason: str


async def set_override(
    sessions: SessionFactory,
    school_id: int,
    actor_id: int,
    action: CalendarAction,
    day: dt.date,
    reason: str,
    now: dt.datetime,
) -> Override:
    """An admin's /calendar off|on|clear: the day's override set or removed, audited."""
    async with sessions.begin() as session:
        existing = await session.scalar(
            select(CalendarOverride).where(
                CalendarOverride.school_id == school_id, CalendarOverride.day == day
            )
        )
        if action is CalendarAction.CLEAR and existing is None:
            return Override.NOT_FOUND
        if action is CalendarAction.CLEAR:
            assert existing is not None
            await session.execute(
                delete(CalendarOverride).where(CalendarOverride.id == existing.id)
            )
            outcome = Override.CLEARED
        else:
            if existing is None:
                existing = CalendarOverride(school_id=school_id, day=day, created_at=now)
                session.add(existing)
            existing.is_school_day = action is CalendarAction.ON
            existing.reason, existing.created_by = reason, actor_id
            outcome = Override.SET
        audit.record(
            session,
            school_id,
            actor_id,
            f"calendar.{action.value}",
            now,
            day=day.isoformat(),
            reason=reason,
        )
    return outcome


async def overrides(sessions: SessionFactory, school_id: int) -> list[OverrideRow]:
    """The school's overrides, by day (/calendar without arguments)."""
    async with sessions() as session:
        rows = (
            await session.scalars(
                select(CalendarOverride)
                .where(CalendarOverride.school_id == school_id)
                .order_by(CalendarOverride.day)
            )
        ).all()
        return [OverrideRow(r.day, r.is_school_day, r.reason) for r in rows]


# -- /pause and /resume -----------------------------------------------------------------------


class Pausing(StrEnum):
    PAUSED = "paused"
    ALREADY = "already"  # paused before: ``reason`` is the earlier one
    RESUMED = "resumed"
    NOT_PAUSED = "not_paused"


@dataclass(frozen=True)
class Paused:
    outcome: Pausing
    reason: str = ""


async def pause(
    sessions: SessionFactory, school_id: int, actor_id: int, reason: str, now: dt.datetime
) -> Paused:
    async with sessions.begin() as session:
        school = await session.get(School, school_id)
        assert school is not None
        if school.paused:
            return Paused(Pausing.ALREADY, school.paused_reason or "—")
        school.paused, school.paused_reason = True, reason
        audit.record(session, school_id, actor_id, "pause", now, reason=reason)
    return Paused(Pausing.PAUSED, reason)


async def resume(
    sessions: SessionFactory, school_id: int, actor_id: int, now: dt.datetime
) -> Paused:
    async with sessions.begin() as session:
        school = await session.get(School, school_id)
        assert school is not None
        if not school.paused:
            return Paused(Pausing.NOT_PAUSED)
        school.paused, school.paused_reason = False, ""
        audit.record(session, school_id, actor_id, "resume", now)
    return Paused(Pausing.RESUMED)


# -- /people ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleRow:
    """One role a person holds, in /people's order (role, the unit's grade and slug)."""

    person_id: int
    name: str
    role: str
    unit_name: str  # "" for a role of the whole school
    unreachable: bool


async def roles(sessions: SessionFactory, school_id: int) -> list[RoleRow]:
    async with sessions() as session:
        rows = (
            await session.execute(
                select(Person, Role, Unit)
                .join(Role, Role.person_id == Person.id)
                .outerjoin(Unit, Unit.id == Role.unit_id)
                .where(Person.school_id == school_id)
                .order_by(Role.role, Unit.grade, Unit.slug, Person.id)
            )
        ).all()
        return [
            RoleRow(
                person.id,
                person.display_name,
                role.role,
                unit.name if unit else "",
                bool(person.unreachable),
            )
            for person, role, unit in rows
        ]


# -- messages to every admin ------------------------------------------------------------------


async def tell_admins_once(
    sessions: SessionFactory,
    school_id: int,
    key: str,
    text_key: str,
    now: dt.datetime,
    school_language: str,
    **params: object,
) -> None:
    """A message to every admin with a private chat, at most once per key (outbox rows:
    wake the sender after)."""
    async with sessions.begin() as session:
        admins = await people.people_with_role(session, school_id, "admin")
        envelopes = []
        for admin in admins:
            chat = await people.private_chat_of(session, admin.id)
            if chat is not None:
                lang = admin.language or school_language
                envelopes.append(
                    Envelope(
                        f"{key}:{chat.tg_chat_id}",
                        chat.tg_chat_id,
                        OutMessage(t(lang, text_key, **params)),
                        now,
                        person_id=admin.id,
                        priority=PRIORITY_ALERT,
                    )
                )
        await outbox.enqueue(session, school_id, envelopes, now)


async def tell_admins_of_privacy_mode(
    sessions: SessionFactory,
    school_id: int,
    today: dt.date,
    now: dt.datetime,
    school_language: str,
) -> None:
    """The privacy-mode warning to every admin, once a day: at start-up, and when the first
    admin joins."""
    await tell_admins_once(
        sessions, school_id, f"privacy:{today.isoformat()}", "onb.privacy_on", now, school_language
    )
