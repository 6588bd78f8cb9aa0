"""The end-of-day roll-up to the principal and the admins, a tick job of the routine."""

from __future__ import annotations

import datetime as dt

from bot.core.messages import OutMessage
from scheduler.routine import TickContext
from scheduler.zero_report.day_report import day_report, format_rollup, split_message
from scheduler.zero_report.incidents import people_told
from storage import outbox
from storage.outbox import PRIORITY_ALERT, Envelope


async def send_rollup(tc: TickContext) -> int:
    """At [zero_report].rollup, the principal and the admins ([zero_report].rollup_to) get the
    day's roll-up once (the outbox keys make a second tick, a restart or a second process
    harmless)."""
    zero = tc.settings.zero_report
    rollup_at = dt.datetime.combine(tc.today, zero.rollup, tzinfo=tc.ctx.tz)
    if not zero.enabled or tc.now < rollup_at:
        return 0
    prefix = f"zero:rollup:{tc.today.isoformat()}:"
    if await outbox.queued(tc.session, tc.ctx.school_id, prefix):
        return 0
    report = await day_report(tc.session, tc.ctx, tc.today)
    if not report.rows and not report.incidents:
        return 0  # not a school day and nothing reported
    envelopes = []
    for r in await people_told(tc.session, tc.ctx, zero.rollup_to, tc.today):
        for n, part in enumerate(split_message(format_rollup(report, r.language, tc.ctx.tz))):
            envelopes.append(
                Envelope(
                    f"{prefix}{r.tg_chat_id}:{n}",
                    r.tg_chat_id,
                    OutMessage(part),
                    tc.now,
                    expires_at=tc.day_end,
                    person_id=r.person_id,
                    priority=PRIORITY_ALERT,
                )
            )
    return await outbox.enqueue(tc.session, tc.ctx.school_id, envelopes, tc.now)
