"""One tick of the school's clockwork: plan today, send what is due, chase what is missing.

``tick`` is idempotent and cheap, so APScheduler calls it every 30 seconds, the bot calls it at
start-up (catch-up after downtime), and the demo and tests call it after moving their clock.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.core.clock import Clock
from bot.core.settings import Settings
from scheduler import recipients, registry, tasks
from scheduler.calendar import SchoolCalendar, load_calendar
from scheduler.planning import plan_day
from scheduler.routine import Context, Routine, TickContext
from storage.db import SessionFactory
from storage.models import School

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    day: dt.date
    school_day: bool
    planned: int = 0
    prompted: int = 0
    reminded: int = 0
    escalated: int = 0
    closed: int = 0
    paused: bool = False
    extra: dict[str, int] = field(default_factory=dict)


class Engine:
    def __init__(
        self,
        settings: Settings,
        sessions: SessionFactory,
        clock: Clock,
        school_id: int,
        routines: Mapping[str, Routine] | None = None,
        on_enqueued: object | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.clock = clock
        self.school_id = school_id
        self.routines = dict(routines or registry.routines())
        self.jobs = registry.tick_jobs()
        self.settle_jobs = registry.settle_jobs()
        self.on_enqueued = on_enqueued
        self.tz = settings.school.tz
        self.ctx = Context(school_id, settings.school.language, self.tz)

    async def calendar(self) -> SchoolCalendar:
        async with self.sessions() as session:
            return await load_calendar(session, self.school_id, self.settings)

    async def tick(self) -> TickReport:
        now = self.clock.now()
        today = now.astimezone(self.tz).date()
        day_end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), self.tz)
        calendar = await self.calendar()
        report = TickReport(today, calendar.is_school_day(today))
        async with self.sessions.begin() as session:
            report.closed = await tasks.close_past_days(session, self.school_id, today)
            school = await session.get(School, self.school_id)
            report.paused = bool(school and school.paused)
            events = plan_day(self.settings, calendar, today)
            report.planned = await tasks.materialise(session, self.school_id, events, now)
            jobs_ctx = TickContext(session, self.ctx, self.settings, calendar, today, now, day_end)
            for name, job in self.settle_jobs:  # before prompts: answered tasks are not asked
                report.extra[name] = await job(jobs_ctx)
            if not report.paused:
                report.prompted = await tasks.prompt_due(
                    session, self.ctx, self.routines, today, now, day_end
                )
                report.reminded = await tasks.remind_due(
                    session, self.ctx, self.routines, today, now, day_end
                )
                leaders = await recipients.duty_leaders(session, self.ctx, today)
                report.escalated = await tasks.escalate_due(
                    session, self.ctx, self.routines, today, now, day_end, leaders
                )
                for name, job in self.jobs:
                    report.extra[name] = await job(jobs_ctx)
        log.debug("tick %s: %s", now.astimezone(self.tz).isoformat(timespec="seconds"), report)
        if report.prompted or report.reminded or report.escalated or any(report.extra.values()):
            log.info("tick %s: %s", today, report)
            if callable(self.on_enqueued):
                self.on_enqueued()
        return report
