"""The month's hazard figures to the principal (the admins) on the first school day of the
next month, at [hazards].chase_at: raised, fixed on time, overdue, reopened, and how many are
still open. If the bot was down that day it goes on the next school day, up to a week after the first (not
weeks late, nor on the day a school starts using the bot mid-month); the outbox key makes it
once a month."""

from __future__ import annotations

import datetime as dt

from bot.core.i18n import t
from scheduler.calendar import days_between
from scheduler.hazards import notify
from scheduler.routine import TickContext
from storage import hazards as store
from storage import outbox
from storage.exports.hazards import figures, hazard_records

CATCH_UP_DAYS = 7


def last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


async def send_monthly_figures(tick: TickContext) -> int:
    policy = tick.settings.hazards
    if not policy.enabled or not tick.calendar.is_school_day(tick.today):
        return 0
    month_start = tick.today.replace(day=1)
    opening = next(
        d for d in days_between(month_start, tick.today) if tick.calendar.is_school_day(d)
    )
    if (tick.today - opening).days > CATCH_UP_DAYS:
        return 0
    if tick.now.astimezone(tick.ctx.tz).time() < policy.chase_at:
        return 0
    first, last = last_month(tick.today)
    prefix = f"hz:month:{first:%Y-%m}:"
    if await outbox.queued(tick.session, tick.ctx.school_id, prefix):
        return 0
    records = await hazard_records(
        tick.session, tick.ctx.school_id, first, last, tick.settings.school.tz, {}
    )
    month = figures(records, first, last)
    still_open = len(await store.open_hazards(tick.session, tick.ctx.school_id))

    def text(lang: str) -> str:
        return t(
            lang,
            "hazard.monthly",
            year=first.year,
            month=first.month,
            raised=month.raised,
            fixed=month.fixed,
            on_time=month.fixed_on_time,
            overdue=month.overdue,
            reopened=month.reopened,
            open=still_open,
        )

    return await notify.tell(
        tick.session,
        tick.ctx,
        prefix.rstrip(":"),
        await notify.signers(tick.session, tick.ctx),
        text,
        tick.now,
    )
