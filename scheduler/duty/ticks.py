"""24-hour duty (24小时值班) on the engine's tick: reminders before duty, the handover prompt at
the end of each post's shifts, and one alert per missed handover or missed confirmation.

Everything here is keyed (outbox keys, the handover's unique key), so a tick repeated, a
restart or a second process sends nothing twice. Messages that would come too late are not
sent: a reminder after its shift started, a handover more than ``CATCH_UP`` after its end.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.messages import OutMessage
from bot.core.settings import DutyPostSettings, Settings
from scheduler.duty import notify
from scheduler.duty.handover import open_handover
from scheduler.duty.roster import WEEKDAYS, post_label, span_text
from scheduler.routine import Context, TickContext
from scheduler.rules import duty as rules
from storage import duty as store
from storage.models import Person, School, Task

CATCH_UP = dt.timedelta(hours=12)
DAY = dt.timedelta(days=1)


async def duty_tick(tc: TickContext) -> int:
    """Everything the duty routine sends at this moment; returns how many messages."""
    if not tc.settings.duty.enabled or await _paused(tc.session, tc.ctx):
        return 0
    return (
        await remind_evening_before(tc)
        + await remind_before_shifts(tc)
        + await remind_gate_duty(tc)
        + await open_due_handovers(tc)
        + await alert_missed_handovers(tc)
        + await alert_missed_confirmations(tc)
    )


# --- reminders ---------------------------------------------------------------------------


async def remind_evening_before(tc: TickContext) -> int:
    """The evening before a duty day, each person on it gets their posts and hours; skipped
    once the shift reminder is due, so a late roster does not send both at once."""
    sent = 0
    for day in (tc.today, tc.today + DAY):
        if tc.now < rules.evening_reminder_at(tc.settings, day):
            continue
        spans = await _spans_by_person(tc, day)
        for person_id, items in spans.items():
            first = min(start for _, start, _ in items)
            if tc.now >= first - dt.timedelta(minutes=tc.settings.duty.remind_minutes_before):
                continue
            person = await tc.session.get(Person, person_id)
            if person is None:
                continue
            sent += await notify.tell(
                tc.session,
                tc.ctx,
                [person],
                f"duty:eve:{day.isoformat()}:{person_id}",
                partial(_evening_message, tc, day, items),
                tc.now,
                expires_at=first,
            )
    return sent


async def remind_before_shifts(tc: TickContext) -> int:
    sent = 0
    for day in (tc.today - DAY, tc.today, tc.today + DAY):
        for slot in rules.post_slots(tc.settings, day):
            if not rules.shift_reminder_at(tc.settings, slot) <= tc.now < slot.start:
                continue
            holders = await store.holders(tc.session, tc.ctx.school_id, day, slot.post)
            for person in holders:
                sent += await notify.tell(
                    tc.session,
                    tc.ctx,
                    [person],
                    f"duty:soon:{day.isoformat()}:{slot.post}:{person.id}",
                    partial(_shift_message, tc.settings, slot),
                    tc.now,
                    expires_at=slot.start,
                )
    return sent


async def remind_gate_duty(tc: TickContext) -> int:
    windows = rules.gate_windows(tc.settings, tc.calendar, tc.today)
    due = [w for w in windows if rules.gate_reminder_at(tc.settings, w) <= tc.now < w.start]
    if not due:
        return 0
    sent = 0
    for post in (p for p in tc.settings.duty.posts if p.gate):
        holders = await store.holders(tc.session, tc.ctx.school_id, tc.today, post.slug)
        for window in due:
            stamp = window.start.strftime("%H%M")
            sent += await notify.tell(
                tc.session,
                tc.ctx,
                holders,
                f"duty:gate:{tc.today.isoformat()}:{post.slug}:{stamp}",
                partial(_gate_message, tc, post, window),
                tc.now,
                expires_at=window.start,
            )
    return sent


async def _spans_by_person(
    tc: TickContext, day: dt.date
) -> dict[int, list[tuple[str, dt.datetime, dt.datetime]]]:
    """(post, start, end) of every post each person holds on ``day``; gate duty on a day
    without school has no span and is left out."""
    gates = rules.gate_windows(tc.settings, tc.calendar, day)
    spans: dict[int, list[tuple[str, dt.datetime, dt.datetime]]] = defaultdict(list)
    for entry in await store.roster(tc.session, tc.ctx.school_id, [day]):
        slot = rules.post_slot(tc.settings, entry.post, day)
        if slot is not None:
            spans[entry.person_id].append((entry.post, slot.start, slot.end))
        elif gates and rules.post_settings(tc.settings.duty, entry.post) is not None:
            for window in gates:
                spans[entry.person_id].append((entry.post, window.start, window.end))
    return spans


def _evening_message(
    tc: TickContext, day: dt.date, items: Sequence[tuple[str, dt.datetime, dt.datetime]], lang: str
) -> OutMessage:
    by_post: dict[str, list[str]] = defaultdict(list)
    for slug, start, end in sorted(items, key=lambda item: item[1]):
        by_post[slug].append(span_text(start, end, day, tc.settings))
    lines = []
    for slug, hours in by_post.items():
        post = rules.post_settings(tc.settings.duty, slug)
        lines.append(f"• {post_label(post, lang) if post else slug} {'、'.join(hours)}")
    when = t(lang, "duty.today" if day == tc.today else "duty.tomorrow")
    weekday = WEEKDAYS["en" if lang == "en" else "zh"][day.weekday()]
    return OutMessage(
        t(
            lang,
            "duty.remind.evening",
            when=when,
            day=f"{day.isoformat()} {weekday}",
            posts="\n".join(lines),
        )
    )


def _gate_message(
    tc: TickContext, post: DutyPostSettings, window: rules.GateWindow, lang: str
) -> OutMessage:
    return OutMessage(
        t(
            lang,
            "duty.remind.gate",
            post=post_label(post, lang),
            minutes=tc.settings.duty.gate_remind_minutes_before,
            hours=span_text(window.start, window.end, tc.today, tc.settings),
        )
    )


def _shift_message(settings: Settings, slot: rules.PostSlot, lang: str) -> OutMessage:
    post = rules.post_settings(settings.duty, slot.post)
    return OutMessage(
        t(
            lang,
            "duty.remind.shift",
            minutes=settings.duty.remind_minutes_before,
            time=slot.start.astimezone(settings.school.tz).strftime("%H:%M"),
            post=post_label(post, lang) if post else slot.post,
            hours=span_text(slot.start, slot.end, slot.day, settings),
        )
    )


# --- handovers ---------------------------------------------------------------------------


async def open_due_handovers(tc: TickContext) -> int:
    opened = 0
    for day in (tc.today - 2 * DAY, tc.today - DAY, tc.today):
        for slot in rules.handover_slots(tc.settings, day):
            if slot.outgoing.end <= tc.now < slot.outgoing.end + CATCH_UP:
                handover = await open_handover(tc.session, tc.ctx, tc.settings, slot, tc.now)
                opened += handover is not None
    return opened


async def alert_missed_handovers(tc: TickContext) -> int:
    """No handover ``handover_grace_minutes`` after the shift ended: one alert."""
    grace = dt.timedelta(minutes=tc.settings.duty.handover_grace_minutes)
    sent = 0
    for h in await store.handovers_awaiting_handover(tc.session, tc.ctx.school_id, tc.now - grace):
        h.handover_alerted_at = tc.now
        if h.ends_at < tc.now - CATCH_UP:
            continue  # the bot was down: an alert this late helps nobody
        sent += await _send_alert(tc, h, "ho", "duty.alert.handover", h.outgoing_id, h.post)
        await _escalate_task(tc.session, h, tc.now)
    return sent


async def alert_missed_confirmations(tc: TickContext) -> int:
    """Handed over, but not confirmed ``confirm_grace_minutes`` later: one alert."""
    grace = dt.timedelta(minutes=tc.settings.duty.confirm_grace_minutes)
    sent = 0
    school = tc.ctx.school_id
    for h in await store.handovers_awaiting_confirmation(tc.session, school, tc.now - grace):
        h.confirm_alerted_at = tc.now
        if h.submitted_at is not None and h.submitted_at < tc.now - CATCH_UP:
            continue
        sent += await _send_alert(tc, h, "hc", "duty.alert.confirm", h.incoming_id, h.to_post)
    return sent


async def _send_alert(
    tc: TickContext, h: store.Handover, tag: str, key: str, who_id: int | None, post: str
) -> int:
    """The alert ``key`` that ``who_id`` (of ``post``) has not handed over or confirmed: to
    the leader on duty (the admins too when the post is the leader's)."""
    who = await tc.session.get(Person, who_id)
    assert who is not None
    to = await notify.alert_recipients(
        tc.session, tc.ctx, tc.settings, tc.now, who, post == store.LEADER_POST
    )
    return await notify.send(
        tc.session,
        tc.ctx,
        to,
        f"duty:alert:{tag}:{h.id}",
        partial(_alert, tc, key, h, who),
        tc.now,
        alert=True,
    )


def _alert(tc: TickContext, key: str, h: store.Handover, who: Person, lang: str) -> OutMessage:
    settings = tc.settings
    post = rules.post_settings(settings.duty, h.post)
    to_post = rules.post_settings(settings.duty, h.to_post)
    submitted = h.submitted_at or h.ends_at
    return OutMessage(
        t(
            lang,
            key,
            name=who.display_name,
            post=post_label(post, lang) if post else h.post,
            to_post=post_label(to_post, lang) if to_post else h.to_post,
            time=h.ends_at.astimezone(settings.school.tz).strftime("%m-%d %H:%M"),
            submitted=submitted.astimezone(settings.school.tz).strftime("%H:%M"),
            minutes=(
                settings.duty.handover_grace_minutes
                if key == "duty.alert.handover"
                else settings.duty.confirm_grace_minutes
            ),
        )
    )


async def _escalate_task(session: AsyncSession, h: store.Handover, now: dt.datetime) -> None:
    task = await session.get(Task, h.task_id) if h.task_id else None
    if task is not None and task.status in ("planned", "sent"):
        task.status, task.escalated_at = "escalated", now


async def _paused(session: AsyncSession, ctx: Context) -> bool:
    school = await session.get(School, ctx.school_id)
    return bool(school and school.paused)


# --- /today ------------------------------------------------------------------------------


async def duty_overview(session: AsyncSession, ctx: Context, day: dt.date, lang: str) -> str | None:
    """The leader on duty and how today's handovers stand."""
    leaders = await store.holders(session, ctx.school_id, day, store.LEADER_POST)
    start = dt.datetime.combine(day, dt.time(), ctx.tz)
    counts = dict(
        (
            await session.execute(
                select(store.Handover.status, func.count(store.Handover.id))
                .where(
                    store.Handover.school_id == ctx.school_id,
                    store.Handover.ends_at >= start,
                    store.Handover.ends_at < start + DAY,
                )
                .group_by(store.Handover.status)
            )
        ).all()
    )
    if not leaders and not counts:
        return t(lang, "today.duty.none")
    return t(
        lang,
        "duty.overview",
        leader="、".join(p.display_name for p in leaders) or t(lang, "duty.nobody"),
        total=sum(counts.values()),
        submitted=counts.get("submitted", 0) + counts.get("confirmed", 0),
        confirmed=counts.get("confirmed", 0),
    )


TICK_JOBS = [duty_tick]
OVERVIEWS = [duty_overview]
