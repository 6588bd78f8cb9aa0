"""Chasing privately: the reminder a guardian gets (the scheduled one and the head teacher's
button), the head teacher's 🔔 button for their class's missing guardians, each class group's
rate at the deadline (a rate, never a name: names stay with the head teacher), and once a
month the guardians who confirmed less than half of the notices.

Chengdu's education bureau (2023) banned posting lists of parents who did not complete a
task in parent groups; nothing here ever sends a name to a group.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.messages import OutMessage
from scheduler.calendar import days_between
from scheduler.notices.common import local_time
from scheduler.notices.receipts import receipt_buttons
from scheduler.notices.report import NoticeReport, format_report
from scheduler.recipients import head_teachers, privately
from scheduler.routine import Context, TickContext
from storage import audit, outbox, people
from storage import notices as store
from storage.models import Person, Unit
from storage.notices import Notice, NoticeRecipient, RecipientStatus
from storage.outbox import PRIORITY_ALERT, PRIORITY_BULK, Envelope

MONTHLY_CATCH_UP_DAYS = 7
MONTHLY_AT = dt.time(8, 0)


def reminder_envelope(
    ctx: Context, notice: Notice, status: RecipientStatus, key: str, now: dt.datetime
) -> Envelope:
    """One guardian's reminder about one child, with that child's buttons."""
    assert notice.deadline_at is not None and status.tg_chat_id is not None
    lang = status.language or ctx.school_language
    text = t(
        lang,
        "notice.reminder",
        id=notice.id,
        title=notice.text.strip().splitlines()[0][:40],
        deadline=local_time(notice.deadline_at, ctx.tz),
    )
    if status.pupil_name:
        text += "\n" + t(lang, "notice.reminder.child", child=status.pupil_name)
    message = OutMessage(
        text, buttons=receipt_buttons(notice, status.pupil_id, lang, ctx.tz, status)
    )
    return Envelope(
        key,
        status.tg_chat_id,
        message,
        now,
        expires_at=notice.deadline_at,
        person_id=status.person_id,
        priority=PRIORITY_BULK,
    )


def row_suffix(status: RecipientStatus) -> str:
    return f"{status.person_id}:p{status.pupil_id}" if status.pupil_id else str(status.person_id)


def still_to_ask(statuses: list[RecipientStatus]) -> list[RecipientStatus]:
    """The rows a reminder goes to: reached, not blocked since, and their child has no
    receipt yet from any guardian (the other parent's receipt is the child's)."""
    answered = {
        s.pupil_id for s in statuses if s.pupil_id is not None and s.confirmed_at is not None
    }
    return [
        s
        for s in statuses
        if s.confirmed_at is None
        and s.delivery == "sent"
        and not s.blocked_since
        and (s.pupil_id is None or s.pupil_id not in answered)
    ]


# --- the head teacher's button -----------------------------------------------------------------


class Chase(StrEnum):
    SENT = "sent"
    ALREADY = "already"  # pressed before: those guardians were reminded once already
    NOBODY = "nobody"  # every child of the class has a receipt (or nobody can be reached)
    CLOSED = "closed"  # the deadline has passed
    NOT_ALLOWED = "not_allowed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ChaseResult:
    outcome: Chase
    count: int = 0
    unit_name: str = ""


async def remind_missing(
    session: AsyncSession,
    ctx: Context,
    notice_id: int,
    unit_id: int,
    actor: Person,
    now: dt.datetime,
) -> ChaseResult:
    """One reminder to the guardians of the class's children still without a receipt,
    privately. Keyed per notice, class and guardian row: a second press sends nothing."""
    notice = await store.get(session, ctx.school_id, notice_id)
    unit = await session.get(Unit, unit_id)
    if notice is None or unit is None or unit.school_id != ctx.school_id:
        return ChaseResult(Chase.UNKNOWN)
    if not (
        people.has_role(actor, "admin")
        or notice.author_id == actor.id
        or unit_id in people.unit_ids_with_role(actor, "head_teacher")
    ):
        return ChaseResult(Chase.NOT_ALLOWED)
    if notice.status not in store.LIVE or (notice.deadline_at and notice.deadline_at <= now):
        return ChaseResult(Chase.CLOSED, unit_name=unit.name)
    statuses = [
        s
        for s in await store.recipient_statuses(session, ctx.school_id, notice.id)
        if s.unit_id == unit_id
    ]
    wanted = still_to_ask(statuses)
    if not wanted:
        return ChaseResult(Chase.NOBODY, unit_name=unit.name)
    prefix = f"notice:{notice.id}:chase:{unit_id}:"
    envelopes = [reminder_envelope(ctx, notice, s, prefix + row_suffix(s), now) for s in wanted]
    queued = await outbox.enqueue(session, ctx.school_id, envelopes, now)
    if not queued:
        return ChaseResult(Chase.ALREADY, unit_name=unit.name)
    audit.record(
        session,
        ctx.school_id,
        actor.id,
        "notice.chase",
        now,
        notice_id=notice.id,
        unit=unit.slug,
        reminders=queued,
    )
    return ChaseResult(Chase.SENT, queued, unit.name)


# --- each class group's rate at the deadline ---------------------------------------------------


async def group_rate_envelopes(
    session: AsyncSession, ctx: Context, notice: Notice, report: NoticeReport, now: dt.datetime
) -> list[Envelope]:
    """A class group that got the notice gets its class's rate and counts: never a name."""
    if not notice.post_to_groups:
        return []
    envelopes = []
    for row in report.classes:
        if row.unit_id is None:
            continue
        group = await people.group_of_unit(session, row.unit_id)
        if group is None or group.unreachable:
            continue
        one = NoticeReport(notice, [row])
        for part, text in enumerate(format_report(one, ctx.school_language, ctx.tz, names=False)):
            envelopes.append(
                Envelope(
                    f"notice:{notice.id}:grouprate:{row.unit_id}:{part}",
                    group.tg_chat_id,
                    OutMessage(text),
                    now,
                    priority=PRIORITY_BULK,
                )
            )
    return envelopes


# --- once a month: who confirmed less than half ------------------------------------------------


def _last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


@dataclass
class GuardianRate:
    person_id: int
    name: str
    children: set[str]
    notices: int = 0
    confirmed: int = 0


async def low_confirmers(
    session: AsyncSession, school_id: int, first: dt.datetime, after: dt.datetime
) -> dict[int, list[GuardianRate]]:
    """Class → guardians who confirmed less than half of the notices whose deadline fell in
    [first, after). A notice counts as confirmed for a guardian when each child of theirs it
    was about has a receipt, theirs or the other guardian's: a mother who always answers
    must not put the father on the list."""
    notices = list(
        (
            await session.scalars(
                select(Notice.id).where(
                    Notice.school_id == school_id,
                    Notice.status == store.CLOSED,
                    Notice.deadline_at >= first,
                    Notice.deadline_at < after,
                )
            )
        ).all()
    )
    rates: dict[tuple[int | None, int], GuardianRate] = {}
    for notice_id in notices:
        statuses = await store.recipient_statuses(session, school_id, notice_id)
        answered = {
            s.pupil_id for s in statuses if s.pupil_id is not None and s.confirmed_at is not None
        }
        # person → (unit, all of their children answered?)
        per_person: dict[tuple[int | None, int], bool] = {}
        for s in statuses:
            if not s.reachable:
                continue
            done = s.confirmed_at is not None or (s.pupil_id is not None and s.pupil_id in answered)
            key = (s.unit_id, s.person_id)
            per_person[key] = per_person.get(key, True) and done
            rate = rates.setdefault(key, GuardianRate(s.person_id, s.name, set()))
            if s.pupil_name:
                rate.children.add(s.pupil_name)
        for key, done in per_person.items():
            rates[key].notices += 1
            rates[key].confirmed += done
    low: dict[int, list[GuardianRate]] = defaultdict(list)
    for (unit_id, _), rate in rates.items():
        if unit_id is not None and rate.notices and 2 * rate.confirmed < rate.notices:
            low[unit_id].append(rate)
    return dict(low)


async def send_monthly_low_rates(tick: TickContext) -> int:
    """On the first school day of a month (or up to a week later if the bot was down), each
    head teacher gets, privately, their class's guardians who confirmed less than half of
    last month's notices; the outbox key makes it once a month."""
    if not tick.calendar.is_school_day(tick.today):
        return 0
    month_start = tick.today.replace(day=1)
    opening = next(
        d for d in days_between(month_start, tick.today) if tick.calendar.is_school_day(d)
    )
    if (tick.today - opening).days > MONTHLY_CATCH_UP_DAYS:
        return 0
    if tick.now.astimezone(tick.ctx.tz).time() < MONTHLY_AT:
        return 0
    first, last = _last_month(tick.today)
    prefix = f"notice:lowrate:{first:%Y-%m}:"
    if await outbox.queued(tick.session, tick.ctx.school_id, prefix):
        return 0
    tz = tick.ctx.tz
    start = dt.datetime.combine(first, dt.time(), tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tz)
    low = await low_confirmers(tick.session, tick.ctx.school_id, start, end)
    envelopes = []
    for unit_id, rates in sorted(low.items()):
        unit = await tick.session.get(Unit, unit_id)
        teachers = await head_teachers(tick.session, tick.ctx, unit_id, tick.today)
        for recipient in await privately(tick.session, tick.ctx, teachers):
            lang = recipient.language
            lines = [
                t(lang, "notice.lowrate.head", month=first.month, unit=unit.name if unit else "")
            ]
            for rate in rates:
                children = "、".join(sorted(rate.children))
                lines.append(
                    t(
                        lang,
                        "notice.lowrate.line",
                        name=rate.name,
                        children=f"（{children}）" if children else "",
                        confirmed=rate.confirmed,
                        notices=rate.notices,
                    )
                )
            envelopes.append(
                Envelope(
                    f"{prefix}{unit_id}:{recipient.person_id}",
                    recipient.tg_chat_id,
                    OutMessage("\n".join(lines)),
                    tick.now,
                    person_id=recipient.person_id,
                    priority=PRIORITY_ALERT,
                )
            )
    if not envelopes:
        # Nothing to say: a marker row would be a message; the query is cheap, once a tick.
        return 0
    return await outbox.enqueue(tick.session, tick.ctx.school_id, envelopes, tick.now)


__all__ = [
    "Chase",
    "ChaseResult",
    "NoticeRecipient",
    "group_rate_envelopes",
    "low_confirmers",
    "remind_missing",
    "send_monthly_low_rates",
]
