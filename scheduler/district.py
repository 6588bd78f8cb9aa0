"""A district's view of its schools (区教育局): today's completion per school, worst first, and
a district notice that becomes one notice per school, sent by that school's own bot.

Plain data in, plain data out (no aiogram): ``District`` is what the process's schools are
(bot/district.py opens one App per school on one database and puts the District in each
App's extras under ``DISTRICT``); ``SchoolRef`` is what the services need of each school.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.settings import NoticeSettings
from scheduler.app import App
from scheduler.exports import audit_export
from scheduler.notices.broadcast import SendOutcome, confirm_and_enqueue
from scheduler.notices.common import MAX_NOTICE_TEXT
from scheduler.routine import Context
from storage import notices as store
from storage import people
from storage.db import SessionFactory
from storage.exports.district import export_district
from storage.exports.labels import KindNamer
from storage.models import Task
from storage.notices import Audience, Notice, NoticeRecipient

DISTRICT = "district"  # App.extras: the District an App belongs to
DISTRICT_ADMIN = "district_admin"
# The routines a district compares, in the order of its lines: 1530, the daily report, duty.
ROUTINES = ("education", "zero_report", "duty")
DONE = ("done", "late")
NOT_COUNTED = ("planned", "cancelled")  # not asked yet, or called off


@dataclass(frozen=True)
class SchoolRef:
    school_id: int
    name: str
    language: str
    tz: dt.tzinfo
    today: dt.date
    notices: NoticeSettings


SchoolApp = TypeVar("SchoolApp", bound=App)


@dataclass
class District(Generic[SchoolApp]):
    """What a district's handlers reach through ``app.extras[DISTRICT]``: its name and the
    App of every school of the process (bot/district.py's, with their bots)."""

    name: str
    apps: list[SchoolApp]
    bots: dict[int, Any] = field(default_factory=dict)  # school id → its aiogram Bot

    def app_of(self, school_id: int) -> SchoolApp:
        return next(a for a in self.apps if a.school_id == school_id)

    def schools(self) -> list[SchoolRef]:
        """Each school as the services read it, with its today as of now."""
        return [
            SchoolRef(
                app.school_id,
                app.settings.school.name,
                app.settings.school.language,
                app.tz,
                app.today(),
                app.settings.notices,
            )
            for app in self.apps
        ]

    def wake_senders(self) -> None:
        for app in self.apps:
            app.wake_sender()


def district_of(app: App) -> District[Any] | None:
    """The district the school's App belongs to, or None for a school run on its own."""
    found = app.extras.get(DISTRICT)
    return found if isinstance(found, District) else None


@dataclass(frozen=True)
class Rate:
    done: int
    asked: int

    @property
    def ratio(self) -> float | None:
        return self.done / self.asked if self.asked else None


@dataclass(frozen=True)
class SchoolDay:
    name: str
    rates: dict[str, Rate]  # routine (and "notices") → done of asked

    @property
    def worst(self) -> float:
        """The lowest rate of the day; a school with nothing asked yet sorts last."""
        ratios = [r.ratio for r in self.rates.values() if r.ratio is not None]
        return min(ratios) if ratios else 2.0


async def school_day(session: AsyncSession, school: SchoolRef, now: dt.datetime) -> SchoolDay:
    """Today's tasks per routine (asked ones: a prompt not yet due does not count) and the
    parents' confirmations of today's and still running notices."""
    rows = await session.execute(
        select(
            Task.routine,
            func.count(),
            func.sum(case((Task.status.in_(DONE), 1), else_=0)),
        )
        .where(
            Task.school_id == school.school_id,
            Task.day == school.today,
            Task.routine.in_(ROUTINES),
            Task.status.not_in(NOT_COUNTED),
        )
        .group_by(Task.routine)
    )
    rates = {routine: Rate(0, 0) for routine in ROUTINES}
    for routine, asked, done in rows.all():
        rates[routine] = Rate(int(done or 0), int(asked))
    midnight = dt.datetime.combine(school.today, dt.time(), school.tz).astimezone(dt.UTC)
    notices = (
        select(Notice.id)
        .where(Notice.school_id == school.school_id)
        .where((Notice.status.in_(store.LIVE)) | (Notice.confirmed_at >= midnight))
    )
    row = (
        await session.execute(
            select(func.count(), func.count(NoticeRecipient.confirmed_at)).where(
                NoticeRecipient.notice_id.in_(notices), NoticeRecipient.reachable.is_(True)
            )
        )
    ).one()
    rates["notices"] = Rate(int(row[1]), int(row[0]))
    return SchoolDay(school.name, rates)


async def district_today(
    sessions: SessionFactory, schools: Sequence[SchoolRef], now: dt.datetime
) -> list[SchoolDay]:
    """Each school's day, the worst first."""
    days = []
    async with sessions() as session:
        for school in schools:
            days.append(await school_day(session, school, now))
    return sorted(days, key=lambda d: (d.worst, d.name))


def format_district_today(district: str, day: dt.date, days: Sequence[SchoolDay], lang: str) -> str:
    lines = [t(lang, "district.today.title", district=district, day=day.isoformat(), n=len(days))]
    for number, school in enumerate(days, 1):
        parts = []
        for routine in (*ROUTINES, "notices"):
            rate = school.rates[routine]
            shown = (
                t(
                    lang,
                    "district.rate",
                    done=rate.done,
                    asked=rate.asked,
                    pct=round(100 * rate.ratio),
                )
                if rate.ratio is not None
                else "—"
            )
            parts.append(f"{t(lang, 'district.routine.' + routine)} {shown}")
        lines.append(f"{number}. {school.name}\n   " + " · ".join(parts))
    return "\n".join(lines)


# --- the district notice ---------------------------------------------------------------------


class NoticeOutcome(StrEnum):
    QUEUED = "queued"
    NOT_DISTRICT_ADMIN = "not_district_admin"  # this school has no district admin with that id
    REFUSED = "refused"


@dataclass(frozen=True)
class SchoolNotice:
    name: str
    outcome: NoticeOutcome
    notice_id: int | None = None
    reachable: int = 0
    total: int = 0


def district_deadline(school: SchoolRef, now: dt.datetime, days: int = 2) -> dt.datetime:
    """Parents confirm by the school's day-only deadline time, ``days`` school days on."""
    day = now.astimezone(school.tz).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, school.notices.deadline_time_if_day_only, school.tz)


async def send_district_notice(
    sessions: SessionFactory,
    schools: Sequence[SchoolRef],
    admin_tg_user_id: int,
    text: str,
    now: dt.datetime,
) -> list[SchoolNotice]:
    """One notice per school to all its parents, authored by the district admin's person in
    that school, each in its own transaction (one school's refusal leaves the others sent).
    Its messages are that school's outbox rows: its own bot sends them."""
    results = []
    for school in schools:
        async with sessions.begin() as session:
            author = await people.actor_by_tg(session, school.school_id, admin_tg_user_id)
            if author is None or not people.has_role(author, DISTRICT_ADMIN):
                results.append(SchoolNotice(school.name, NoticeOutcome.NOT_DISTRICT_ADMIN))
                continue
            notice = await store.create_draft(
                session, school.school_id, author.id, text[:MAX_NOTICE_TEXT], now
            )
            notice.audience = Audience("school").to_json()
            notice.deadline_at = district_deadline(school, now)
            ctx = Context(school.school_id, school.language, school.tz)
            sent = await confirm_and_enqueue(session, ctx, school.notices, notice, author, now)
            if sent.outcome != SendOutcome.QUEUED:
                notice.status = store.CANCELLED  # the draft is kept, as a cancelled one
                results.append(SchoolNotice(school.name, NoticeOutcome.REFUSED))
                continue
            results.append(
                SchoolNotice(
                    school.name, NoticeOutcome.QUEUED, notice.id, sent.reachable, sent.total
                )
            )
    return results


# --- the district's record book --------------------------------------------------------------


async def export_book(
    sessions: SessionFactory,
    schools: Sequence[SchoolRef],
    school_id: int,
    actor_id: int,
    start: dt.date,
    end: dt.date,
    path: Path,
    now: dt.datetime,
    *,
    lang: str,
    kind_name: KindNamer,
) -> Path:
    """/district export: one .xlsx for every school (storage/exports/district.py), written
    to ``path``, and the admin's export audited in the school they asked from."""
    await export_district(
        sessions,
        [(school.school_id, school.name) for school in schools],
        start,
        end,
        path,
        lang=lang,
        kind_name=kind_name,
    )
    await audit_export(
        sessions, school_id, actor_id, "district.export", now, start, end, schools=len(schools)
    )
    return path
