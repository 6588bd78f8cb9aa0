"""What the outbox could not do, told to the people who can act on it.

- Lost messages: a message that kept failing (an outage) until its own expiry is gone; the
  admins get one alert per routine and day naming what was lost, instead of silence.
- Newly unreachable people (they blocked the bot, or left): one digest a day, to the admins
  (everyone) and each class's head teacher (their class), since a parent who cannot be
  reached must be phoned instead.
- /today counts the day's uncertain sends (sent, no answer: they may have arrived) and says
  what the staff ones were; an admin's button (``ResendScope``) resends them, each once,
  marked 🔁 (``resend_uncertain``); a notice's report offers the same for its parents.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.callbacks import CallbackData
from bot.core.i18n import t
from bot.core.messages import Button, OutMessage
from scheduler import recipients
from scheduler.routine import Context, Recipient, TickContext
from storage import audit, outbox
from storage.models import Outbox, Person, Role, Unit
from storage.outbox import PRIORITY_ALERT, Envelope

DAY = dt.timedelta(days=1)
DIGEST_AT = dt.time(16, 30)  # after lessons: time to phone a parent today
MAX_LINES = 20
LOST_PREFIX = "lost:"
DIGEST_PREFIX = "unreachable:"


def routine_of(key: str) -> str:
    """The routine a row belongs to, from its key: the generic task steps carry the task's
    key (``prompt:zero:2026-11-25:3-1:…``), the rest start with their own name."""
    parts = key.split(":")
    if parts[0] in ("prompt", "remind", "alert") and len(parts) > 1:
        return parts[1]
    return parts[0]


async def alert_lost(tick: TickContext) -> int:
    """One alert per routine and day to the admins, naming the messages that expired unsent."""
    start = tick.day_end - DAY
    lost = [
        row
        for row in await outbox.settled_between(
            tick.session, tick.ctx.school_id, "expired", start, tick.now, tried_only=True
        )
        if not row.key.startswith((LOST_PREFIX, DIGEST_PREFIX))
    ]
    if not lost:
        return 0
    by_routine: defaultdict[str, list[Outbox]] = defaultdict(list)
    for row in lost:
        by_routine[routine_of(row.key)].append(row)
    names = await _names(tick.session, [r.person_id for r in lost if r.person_id is not None])
    admins = await recipients.admins(tick.session, tick.ctx)
    envelopes = []
    for routine, rows in by_routine.items():
        for admin in admins:
            lines = [_lost_line(row, names, admin.language) for row in rows]
            text = t(
                admin.language,
                "delivery.lost",
                routine=routine,
                count=len(rows),
                lines=_listed(lines, admin.language),
            )
            envelopes.append(
                _alert(f"{LOST_PREFIX}{routine}:{tick.today}:{admin.tg_chat_id}", admin, text, tick)
            )
    return await outbox.enqueue(tick.session, tick.ctx.school_id, envelopes, tick.now)


def _lost_line(row: Outbox, names: dict[int, str], lang: str) -> str:
    who = names.get(row.person_id or 0) or t(lang, "delivery.chat", chat=row.tg_chat_id)
    first = (OutMessage.from_payload(row.payload).text.strip().splitlines() or [""])[0]
    return t(lang, "delivery.lost_line", who=who, text=first[:40], error=row.last_error[:60])


async def digest_unreachable(tick: TickContext) -> int:
    """Once a day after DIGEST_AT: who became unreachable since yesterday's digest."""
    until = dt.datetime.combine(tick.today, DIGEST_AT, tick.ctx.tz)
    if tick.now < until:
        return 0
    rows = await outbox.settled_between(
        tick.session, tick.ctx.school_id, "unreachable", until - DAY, until
    )
    person_ids = sorted({r.person_id for r in rows if r.person_id is not None})
    if not person_ids:
        return 0
    names = await _names(tick.session, person_ids)
    classes = await _classes(tick.session, person_ids)
    envelopes = []
    admins = await recipients.admins(tick.session, tick.ctx)
    for admin in admins:
        envelopes.append(_digest(admin, person_ids, names, classes, tick))
    by_unit: defaultdict[int, list[int]] = defaultdict(list)
    for person_id in person_ids:
        for unit_id, _ in classes.get(person_id, []):
            by_unit[unit_id].append(person_id)
    told = {a.tg_chat_id for a in admins}
    for unit_id, members in by_unit.items():
        unit = await tick.session.get(Unit, unit_id)
        if unit is None:
            continue
        teachers = await recipients.privately(
            tick.session,
            tick.ctx,
            await recipients.responsible_people(tick.session, tick.ctx, unit),
        )
        for teacher in teachers:
            if teacher.tg_chat_id not in told:
                envelopes.append(_digest(teacher, members, names, classes, tick))
    return await outbox.enqueue(tick.session, tick.ctx.school_id, envelopes, tick.now)


def _digest(
    to: Recipient,
    person_ids: list[int],
    names: dict[int, str],
    classes: dict[int, list[tuple[int, str]]],
    tick: TickContext,
) -> Envelope:
    lines = [
        t(
            to.language,
            "delivery.unreachable_line",
            name=names.get(pid, "?"),
            unit="、".join(name for _, name in classes.get(pid, [])) or "—",
        )
        for pid in person_ids
    ]
    text = t(
        to.language,
        "delivery.unreachable",
        count=len(person_ids),
        lines=_listed(lines, to.language),
    )
    return _alert(f"{DIGEST_PREFIX}{tick.today}:{to.tg_chat_id}", to, text, tick)


def _alert(key: str, to: Recipient, text: str, tick: TickContext) -> Envelope:
    # No expiry of its own: retried through an outage for a day (the sender's limit).
    return Envelope(
        key,
        to.tg_chat_id,
        OutMessage(text),
        tick.now,
        person_id=to.person_id,
        priority=PRIORITY_ALERT,
    )


def _listed(lines: list[str], lang: str) -> str:
    shown = lines[:MAX_LINES]
    if len(lines) > MAX_LINES:
        shown.append(t(lang, "delivery.more", count=len(lines) - MAX_LINES))
    return "\n".join(shown)


async def _names(session: AsyncSession, person_ids: list[int]) -> dict[int, str]:
    if not person_ids:
        return {}
    rows = await session.execute(
        select(Person.id, Person.display_name).where(Person.id.in_(set(person_ids)))
    )
    return dict(rows.all())  # type: ignore[arg-type]


async def _classes(
    session: AsyncSession, person_ids: list[int]
) -> dict[int, list[tuple[int, str]]]:
    """Person → the classes they are a parent in (unit id, name)."""
    rows = await session.execute(
        select(Role.person_id, Unit.id, Unit.name)
        .join(Unit, Unit.id == Role.unit_id)
        .where(Role.person_id.in_(person_ids), Role.role == "parent")
    )
    found: defaultdict[int, list[tuple[int, str]]] = defaultdict(list)
    for person_id, unit_id, name in rows.all():
        found[person_id].append((unit_id, name))
    return found


async def delivery_overview(
    session: AsyncSession, ctx: Context, day: dt.date, lang: str
) -> str | None:
    """/today: the day's sends that may not have arrived (what the staff ones were), and
    those lost."""
    start = dt.datetime.combine(day, dt.time(), ctx.tz)
    counts = await outbox.count_settled(session, ctx.school_id, start, start + DAY)
    uncertain, expired = counts.get("uncertain", 0), counts.get("expired", 0)
    if not uncertain and not expired:
        return None
    text = t(lang, "delivery.overview", uncertain=uncertain, expired=expired)
    rows = await outbox.uncertain_unresent(session, ctx.school_id, since=start, until=start + DAY)
    staff = [r for r in rows if not to_parent(r.key)]
    if staff:
        names = await _names(session, [r.person_id for r in staff if r.person_id is not None])
        lines = [
            t(
                lang,
                "delivery.uncertain_line",
                who=names.get(r.person_id or 0) or t(lang, "delivery.chat", chat=r.tg_chat_id),
                text=_first_line(r),
            )
            for r in staff[:MAX_LINES]
        ]
        if len(staff) > MAX_LINES:
            lines.append(t(lang, "delivery.more", count=len(staff) - MAX_LINES))
        text += "\n" + t(lang, "delivery.uncertain_staff", lines="\n".join(lines))
    if len(rows) < uncertain:
        text += "\n" + t(lang, "delivery.uncertain_resent", count=uncertain - len(rows))
    return text


def to_parent(key: str) -> bool:
    """A notice to a parent (``notice:<id>:<person>``, per child ``…:p<pupil>``, its file
    ``…:file``): uncertain ones are held, never resent blindly; the rest (prompts, alerts, a
    notice's report to its author) go to staff."""
    parts = key.split(":")
    return len(parts) >= 3 and parts[0] == "notice" and parts[2].isdigit()


class Resent(StrEnum):
    RESENT = "resent"
    NOTHING = "nothing"  # none left to resend (pressed twice, or resent already)


class ScopeKind(StrEnum):
    DAY = "d"  # /today's: ``ref`` is the day as YYYYMMDD
    NOTICE = "n"  # a notice's report: ``ref`` is the notice's id


@dataclass(frozen=True)
class ResendScope(CallbackData, prefix="resend", legacy=("ru",)):
    """The uncertain sends an admin's button resends: a day's (/today) or a notice's (its
    report). Its callback data: ``resend:d:20261125`` or ``resend:n:<notice id>``; buttons
    sent before the codec (``ru:d:20261125``) have the same layout and still answer."""

    kind: ScopeKind
    ref: int

    @classmethod
    def day(cls, day: dt.date) -> ResendScope:
        return cls(ScopeKind.DAY, day.year * 10000 + day.month * 100 + day.day)

    @classmethod
    def notice(cls, notice_id: int) -> ResendScope:
        return cls(ScopeKind.NOTICE, notice_id)

    @property
    def data(self) -> str:
        return self.pack()

    @property
    def audited(self) -> str:
        """The scope as the audit log has always named it (``ru:d:20261125``)."""
        return f"ru:{self.kind.value}:{self.ref}"

    @property
    def valid(self) -> bool:
        """False for a forged day's button (20261399: a date that is none)."""
        if self.kind is ScopeKind.DAY:
            try:
                self.as_day()
            except ValueError:
                return False
        return True

    @classmethod
    def parse(cls, data: str) -> ResendScope | None:
        """None for a forged button (unknown kind, ², 58 digits, a date that is none)."""
        scope = cls.unpack(data)
        return scope if scope is not None and scope.valid else None

    def as_day(self) -> dt.date:
        return dt.date(self.ref // 10000, self.ref // 100 % 100, self.ref % 100)


async def uncertain_in(session: AsyncSession, ctx: Context, scope: ResendScope) -> list[Outbox]:
    """The scope's uncertain sends that no admin has resent yet."""
    if scope.kind is ScopeKind.NOTICE:
        return await outbox.uncertain_unresent(
            session, ctx.school_id, key_prefix=f"notice:{scope.ref}:"
        )
    start = dt.datetime.combine(scope.as_day(), dt.time(), ctx.tz)
    return await outbox.uncertain_unresent(session, ctx.school_id, since=start, until=start + DAY)


async def resend_offer(
    session: AsyncSession, ctx: Context, scope: ResendScope, lang: str
) -> Button | None:
    """The admin's button 重发未确认的 N 条, when there are any to resend."""
    count = len(await uncertain_in(session, ctx, scope))
    if not count:
        return None
    return Button(t(lang, "delivery.resend_button", count=count), scope.data)


async def resend_uncertain(
    session: AsyncSession, ctx: Context, scope: ResendScope, person_id: int, now: dt.datetime
) -> tuple[Resent, int]:
    """An admin resends the scope's uncertain sends: each once more, marked 🔁, audited. A
    second press finds none left (each resend has a key of its own)."""
    rows = await uncertain_in(session, ctx, scope)
    queued = await outbox.resend(session, ctx.school_id, rows, now) if rows else 0
    if not queued:
        return Resent.NOTHING, 0
    audit.record(
        session, ctx.school_id, person_id, "delivery.resend", now, scope=scope.audited, count=queued
    )
    return Resent.RESENT, queued


def _first_line(row: Outbox) -> str:
    text = (row.payload.get("text") or "").strip().splitlines()
    line = text[0] if text else ""
    return line if len(line) <= 40 else line[:39] + "…"


TICK_JOBS = [alert_lost, digest_unreachable]
OVERVIEWS = [delivery_overview]
