"""Tells the admins, once a week from December, that next year's national calendar is missing.

chinese_calendar only knows the years the State Council has announced; until the package is
upgraded the bot assumes weekends-only, and the admins must know that rather than be surprised.
"""

from __future__ import annotations

from bot.core.i18n import LANGUAGES
from bot.core.messages import OutMessage
from scheduler import recipients
from scheduler.routine import TickContext
from storage import outbox
from storage.outbox import PRIORITY_ALERT, Envelope


async def warn_missing_national_calendar(tick: TickContext) -> int:
    # Each admin reads it in their own language.
    warnings = {
        lang: tick.calendar.missing_national_calendar_warning(tick.today, lang)
        for lang in LANGUAGES
    }
    if warnings["zh"] is None:
        return 0
    year, week, _ = tick.today.isocalendar()
    envelopes = [
        Envelope(
            f"calendar-missing:{year}-W{week:02d}:{r.tg_chat_id}",
            r.tg_chat_id,
            OutMessage(warnings.get(r.language) or warnings["zh"]),
            tick.now,
            expires_at=tick.day_end,
            person_id=r.person_id,
            priority=PRIORITY_ALERT,
        )
        for r in await recipients.admins(tick.session, tick.ctx)
    ]
    return await outbox.enqueue(tick.session, tick.ctx.school_id, envelopes, tick.now)


TICK_JOBS = [warn_missing_national_calendar]
