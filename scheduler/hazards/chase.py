"""The tick's part: the owner is reminded before the deadline, and the duty leader is told
once it has passed (逾期), each once a round, at [hazards].chase_at."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.core.i18n import t
from scheduler import recipients
from scheduler.hazards import notify
from scheduler.hazards.steps import tell_owner
from scheduler.routine import TickContext
from storage import hazards as store
from storage.hazards import Hazard


async def chase_hazards(tick: TickContext) -> int:
    policy = tick.settings.hazards
    if not policy.enabled or tick.now.astimezone(tick.ctx.tz).time() < policy.chase_at:
        return 0
    rows = await tick.session.scalars(
        select(Hazard).where(
            Hazard.school_id == tick.ctx.school_id,
            Hazard.status == "open",
            Hazard.deadline.is_not(None),
        )
    )
    sent = 0
    for hazard in rows.all():
        assert hazard.deadline is not None
        if tick.today > hazard.deadline and hazard.escalated_round < hazard.round:
            sent += await _escalate(tick, hazard, hazard.deadline)
        elif _reminder_due(hazard, hazard.deadline, tick, policy.remind_days_before):
            hazard.reminded_round = hazard.round
            event = store.add_event(tick.session, hazard, "reminded", None, tick.now)
            await tick.session.flush()
            sent += await tell_owner(
                tick.session,
                tick.ctx,
                hazard,
                f"hz:{event.id}",
                "hazard.owner_reminded",
                tick.now,
                policy,
                photos=False,
            )
    return sent


def _reminder_due(hazard: Hazard, deadline: dt.date, tick: TickContext, days: int) -> bool:
    """From ``days`` before the deadline, not on the day the owner was given it."""
    if hazard.reminded_round >= hazard.round or tick.today > deadline:
        return False
    given = max(
        moment.astimezone(tick.ctx.tz).date()
        for moment in (hazard.listed_at, hazard.assigned_at)
        if moment is not None
    )
    return tick.today >= deadline - dt.timedelta(days=days) and tick.today > given


async def _escalate(tick: TickContext, hazard: Hazard, deadline: dt.date) -> int:
    hazard.escalated_round = hazard.reminded_round = hazard.round
    event = store.add_event(tick.session, hazard, "escalated", None, tick.now, deadline=deadline)
    await tick.session.flush()
    finder = await notify.name_of(tick.session, hazard.raised_by)
    owner = await notify.name_of(tick.session, hazard.owner_id)
    days = (tick.today - deadline).days
    policy = tick.settings.hazards

    def text(lang: str) -> str:
        card = notify.card(hazard, lang, policy, finder)
        line = t(
            lang, "hazard.overdue_alert", owner=owner, deadline=deadline.isoformat(), days=days
        )
        return f"{card}\n\n{line}"

    # The leader on duty today (带班领导); without one, the duty leaders or the admins.
    leaders = await recipients.duty_leaders(tick.session, tick.ctx, tick.today)
    return await notify.tell(
        tick.session, tick.ctx, f"hz:{event.id}", leaders, text, tick.now, urgent=True
    )
