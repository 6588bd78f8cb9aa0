"""The tick jobs (the progress line's slow path, the one reminder, the reports at the
deadline) and the notices' section of /today: what scheduler.registry collects."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.messages import OutMessage
from scheduler import recipients
from scheduler.notices.broadcast import refresh_progress
from scheduler.notices.chase import (
    group_rate_envelopes,
    reminder_envelope,
    row_suffix,
    send_monthly_low_rates,
    still_to_ask,
)
from scheduler.notices.common import local_time
from scheduler.notices.report import NoticeReport, build_report, format_report
from scheduler.recipients import privately
from scheduler.routine import Context, TickContext
from storage import notices as store
from storage import outbox
from storage.models import Person
from storage.notices import Notice
from storage.outbox import PRIORITY_ALERT, Envelope

# --- tick jobs: progress, the reminder, the deadline -----------------------------------------


async def advance_broadcasts(tc: TickContext) -> int:
    """The slow path of the progress line (the follower loop is the fast one)."""
    queued = 0
    for notice in await store.with_status(tc.session, tc.ctx.school_id, (store.SENDING,)):
        queued += await refresh_progress(tc.session, tc.ctx, notice, tc.now)
    return queued


async def send_reminders(tc: TickContext) -> int:
    """One reminder per unconfirmed, reached person, once per notice, at remind_at."""
    ctx, now = tc.ctx, tc.now
    envelopes: list[Envelope] = []
    for notice in await store.with_status(tc.session, ctx.school_id, store.LIVE):
        if notice.reminded_at is not None or notice.remind_at is None:
            continue
        assert notice.deadline_at is not None
        if not notice.remind_at <= now < notice.deadline_at:
            continue
        if notice.status == store.SENDING:
            continue  # still draining: a reminder must not overtake the notice itself
        statuses = await store.recipient_statuses(tc.session, ctx.school_id, notice.id)
        # A child another guardian answered for needs no reminder; a 403 since would only
        # meet the block again.
        for status in still_to_ask(statuses):
            key = f"notice:{notice.id}:remind:{row_suffix(status)}"
            envelopes.append(reminder_envelope(ctx, notice, status, key, now))
        notice.reminded_at = now
    return await outbox.enqueue(tc.session, ctx.school_id, envelopes, now)


async def close_at_deadline(tc: TickContext) -> int:
    """At the deadline: the author gets the whole report, each head teacher their class's."""
    ctx, now = tc.ctx, tc.now
    envelopes: list[Envelope] = []
    for notice in await store.with_status(tc.session, ctx.school_id, store.LIVE):
        assert notice.deadline_at is not None
        if notice.deadline_at > now:
            continue
        await refresh_progress(tc.session, ctx, notice, now)
        report = await build_report(tc.session, ctx, notice)
        envelopes += await _report_envelopes(tc.session, ctx, notice, report, now)
        envelopes += await group_rate_envelopes(tc.session, ctx, notice, report, now)
        notice.status = store.CLOSED
        notice.closed_at = now
    return await outbox.enqueue(tc.session, ctx.school_id, envelopes, now)


async def _report_envelopes(
    session: AsyncSession, ctx: Context, notice: Notice, report: NoticeReport, now: dt.datetime
) -> list[Envelope]:
    wanted: dict[int, set[int] | None] = {notice.author_id: None}
    for row in report.classes:
        if row.unit_id is None:
            continue
        for teacher in await recipients.head_teachers(
            session, ctx, row.unit_id, now.astimezone(ctx.tz).date()
        ):
            scope = wanted.setdefault(teacher.id, set())
            if scope is not None:
                scope.add(row.unit_id)
    persons = [p for p in [await session.get(Person, pid) for pid in wanted] if p is not None]
    envelopes = []
    for recipient in await privately(session, ctx, persons):
        assert recipient.person_id is not None
        scope = wanted[recipient.person_id]
        for part, text in enumerate(format_report(report.only(scope), recipient.language, ctx.tz)):
            envelopes.append(
                Envelope(
                    f"notice:{notice.id}:report:{recipient.person_id}:{part}",
                    recipient.tg_chat_id,
                    OutMessage(text),
                    now,
                    person_id=recipient.person_id,
                    priority=PRIORITY_ALERT,
                )
            )
    return envelopes


async def notices_overview(
    session: AsyncSession, ctx: Context, day: dt.date, lang: str
) -> str | None:
    """/today's lines: each notice still collecting confirmations, with its rate."""
    notices = await store.with_status(session, ctx.school_id, (store.SENDING, store.SENT))
    if not notices:
        return t(lang, "today.notices.none")
    lines = [t(lang, "today.notices.head", count=len(notices))]
    for notice in notices:
        report = await build_report(session, ctx, notice)
        deadline = local_time(notice.deadline_at, ctx.tz) if notice.deadline_at else "—"
        lines.append(
            t(
                lang,
                "today.notices.line",
                id=notice.id,
                title=notice.text[:20],
                confirmed=report.confirmed,
                total=report.total,
                deadline=deadline,
            )
        )
    return "\n".join(lines)


TICK_JOBS = [advance_broadcasts, send_reminders, close_at_deadline, send_monthly_low_rates]
OVERVIEWS = [notices_overview]
