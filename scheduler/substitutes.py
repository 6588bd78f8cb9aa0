"""Substitutes (代班): /leave 张老师 明天 到 周五 代班 李老师.

An admin's leave is in force at once; a head teacher's own (/leave 明天 到 周五 代班 李老师)
waits for an admin's 批准 button. For those days every routine that addresses the absent
teacher's class (1530, the zero report, notices' reports, bus absences, the drill's headcount)
reaches the substitute instead (scheduler/recipients.py ``in_their_place``), and the
substitute may answer for the class (bot/actors.py ``acting``). The record book names them
"李老师（代 张老师）".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Concatenate, ParamSpec

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.callbacks import CallbackData
from bot.core.i18n import t
from bot.core.messages import Button
from scheduler import recipients
from scheduler.hazards.notify import tell
from scheduler.routine import Context, Recipient
from storage import audit, people
from storage import substitutes as store
from storage.db import SessionFactory
from storage.duty import staff_named
from storage.models import Person, Unit
from storage.substitutes import Substitution

_P = ParamSpec("_P")

MAX_DAYS = 62  # a leave longer than two months is a new head teacher, not a substitute
# Who may ask for a leave (an admin for anyone, a head teacher for themselves), and who may
# list them: staff too, as a substitute sees the days they stand in.
WHO = ("admin", "head_teacher")
STAFF = ("admin", "duty_leader", "safety_officer", "teacher", "head_teacher", "guard", "staff")


def may_use(actor: Person | None, listing: bool) -> bool:
    """/leave list is for staff, a new leave or a cancellation for admins and head teachers."""
    return people.has_role(actor, *(STAFF if listing else WHO))


class Outcome(StrEnum):
    ACTIVE = "active"  # in force (an admin's, or approved)
    REQUESTED = "requested"  # waiting for an admin
    REFUSED = "refused"
    CANCELLED = "cancelled"
    NOT_ALLOWED = "not_allowed"
    UNKNOWN_PERSON = "unknown_person"
    AMBIGUOUS = "ambiguous"
    NOT_HEAD_TEACHER = "not_head_teacher"
    SAME_PERSON = "same_person"
    PAST = "past"
    TOO_LONG = "too_long"
    NOT_FOUND = "not_found"
    STALE = "stale"  # decided already


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    leave_id: int = 0  # the leave the answer is about (0: none)
    name: str = ""  # the name that was not found, or ambiguous
    # The names and days a reply about the leave shows (absent, substitute, first, last …).
    texts: dict[str, str] = field(default_factory=dict)


async def _answer(session: AsyncSession, result: Result, row: Substitution | None) -> Result:
    """The result with the leave's id and texts, read in the same transaction."""
    if row is None:
        return result
    return Result(result.outcome, row.id, result.name, await _texts(session, row))


def _answered(
    step: Callable[Concatenate[AsyncSession, _P], Awaitable[tuple[Result, Substitution | None]]],
) -> Callable[Concatenate[SessionFactory, _P], Awaitable[Result]]:
    """The step as a service: in a transaction of its own, its result answered with the
    leave's id and texts (``_answer``)."""

    async def service(sessions: SessionFactory, *args: _P.args, **kwargs: _P.kwargs) -> Result:
        async with sessions.begin() as session:
            return await _answer(session, *await step(session, *args, **kwargs))

    service.__doc__ = step.__doc__
    return service


class Decision(StrEnum):
    APPROVE = "ok"  # 批准
    REFUSE = "no"  # 不批准


@dataclass(frozen=True)
class Press(CallbackData, prefix="leave", legacy=("lv",)):
    """An admin's decision on a head teacher's leave: ``leave:ok:12`` (``lv:ok:12`` before)."""

    decision: Decision
    substitution_id: int

    @property
    def approve(self) -> bool:
        return self.decision is Decision.APPROVE


def decision_rows(substitution_id: int, lang: str) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            Button(
                t(lang, "leave.button.approve"), Press(Decision.APPROVE, substitution_id).pack()
            ),
            Button(t(lang, "leave.button.refuse"), Press(Decision.REFUSE, substitution_id).pack()),
        ),
    )


async def _one_named(session: AsyncSession, school_id: int, name: str) -> Person | Result:
    found = await staff_named(session, school_id, name)
    if not found:
        return Result(Outcome.UNKNOWN_PERSON, name=name[:30])
    if len(found) > 1:
        return Result(Outcome.AMBIGUOUS, name=name[:30])
    return found[0]


async def _request_leave(
    session: AsyncSession,
    ctx: Context,
    actor: Person,
    absent_name: str | None,
    first: dt.date,
    last: dt.date,
    substitute_name: str,
    today: dt.date,
    now: dt.datetime,
) -> tuple[Result, Substitution | None]:
    """An admin's leave for a head teacher (in force at once), or a head teacher's own leave
    (``absent_name`` None: waits for an admin)."""
    is_admin = people.has_role(actor, "admin")
    if absent_name is None:
        absent: Person | Result | None = await session.get(Person, actor.id)
    elif not is_admin:
        return Result(Outcome.NOT_ALLOWED), None
    else:
        absent = await _one_named(session, ctx.school_id, absent_name)
    if isinstance(absent, Result):
        return absent, None
    assert absent is not None
    substitute = await _one_named(session, ctx.school_id, substitute_name)
    if isinstance(substitute, Result):
        return substitute, None
    if substitute.id == absent.id:
        return Result(Outcome.SAME_PERSON), None
    if not people.unit_ids_with_role(absent, "head_teacher"):
        return Result(Outcome.NOT_HEAD_TEACHER, name=absent.display_name), None
    if last < today:
        return Result(Outcome.PAST), None
    if (last - first).days >= MAX_DAYS:
        return Result(Outcome.TOO_LONG), None
    row = Substitution(
        school_id=ctx.school_id,
        person_id=absent.id,
        substitute_id=substitute.id,
        first_day=first,
        last_day=last,
        status=store.ACTIVE if is_admin else store.PENDING,
        requested_by=actor.id,
        decided_by=actor.id if is_admin else None,
        created_at=now,
        decided_at=now if is_admin else None,
    )
    session.add(row)
    await session.flush()
    audit.record(
        session,
        ctx.school_id,
        actor.id,
        "leave.create" if is_admin else "leave.request",
        now,
        leave_id=row.id,
        teacher=absent.display_name,
        substitute=substitute.display_name,
        first_day=first.isoformat(),
        last_day=last.isoformat(),
    )
    if is_admin:
        await _tell_in_force(session, ctx, row, now)
        return Result(Outcome.ACTIVE), row
    await _ask_admins(session, ctx, row, now)
    return Result(Outcome.REQUESTED), row


async def _decide(
    session: AsyncSession, ctx: Context, actor: Person, press: Press, now: dt.datetime
) -> tuple[Result, Substitution | None]:
    """An admin's 批准 / 不批准 on a head teacher's leave."""
    if not people.has_role(actor, "admin"):
        return Result(Outcome.NOT_ALLOWED), None
    row = await store.get(session, ctx.school_id, press.substitution_id)
    if row is None:
        return Result(Outcome.NOT_FOUND), None
    if row.status != store.PENDING:
        return Result(Outcome.STALE), row
    row.status = store.ACTIVE if press.approve else store.REFUSED
    row.decided_by, row.decided_at = actor.id, now
    audit.record(
        session,
        ctx.school_id,
        actor.id,
        "leave.approve" if press.approve else "leave.refuse",
        now,
        leave_id=row.id,
    )
    if press.approve:
        await _tell_in_force(session, ctx, row, now)
        return Result(Outcome.ACTIVE), row
    await _tell_one(session, ctx, row, row.requested_by, "refused", now)
    return Result(Outcome.REFUSED), row


async def _cancel(
    session: AsyncSession,
    ctx: Context,
    actor: Person,
    substitution_id: int,
    today: dt.date,
    now: dt.datetime,
) -> tuple[Result, Substitution | None]:
    """An admin, the teacher on leave or who asked cancels a leave not yet ended."""
    row = await store.get(session, ctx.school_id, substitution_id)
    if row is None:
        return Result(Outcome.NOT_FOUND), None
    mine = actor.id in (row.person_id, row.requested_by)
    if not people.has_role(actor, "admin") and not mine:
        return Result(Outcome.NOT_ALLOWED), None
    if row.status not in (store.PENDING, store.ACTIVE) or row.last_day < today:
        return Result(Outcome.STALE), row
    was_active = row.status == store.ACTIVE
    row.status = store.CANCELLED
    row.decided_by, row.decided_at = actor.id, now
    audit.record(session, ctx.school_id, actor.id, "leave.cancel", now, leave_id=row.id)
    if was_active:
        await _tell_one(session, ctx, row, row.substitute_id, "cancelled", now)
    return Result(Outcome.CANCELLED), row


async def listing(
    sessions: SessionFactory, ctx: Context, actor: Person, today: dt.date, lang: str
) -> str:
    """The leaves not yet ended: every one for an admin, one's own for a teacher."""
    mine = None if people.has_role(actor, "admin") else actor.id
    async with sessions() as session:
        rows = await store.upcoming(session, ctx.school_id, today, mine)
        if not rows:
            return t(lang, "leave.none")
        lines = [t(lang, "leave.list_title")]
        for row in rows:
            texts = await _texts(session, row)
            lines.append(t(lang, f"leave.line.{row.status}", id=row.id, **texts))
    return "\n".join(lines)


async def _texts(session: AsyncSession, row: Substitution) -> dict[str, str]:
    names = await store.names(session, (row.person_id, row.substitute_id))
    units = await store.head_teacher_units(session, [row.person_id])
    classes = [await session.get(Unit, unit_id) for unit_id in units.get(row.person_id, [])]
    return {
        "absent": names.get(row.person_id, ""),
        "substitute": names.get(row.substitute_id, ""),
        "first": f"{row.first_day.month}月{row.first_day.day}日",
        "last": f"{row.last_day.month}月{row.last_day.day}日",
        "first_iso": row.first_day.isoformat(),
        "last_iso": row.last_day.isoformat(),
        "classes": "、".join(u.name for u in classes if u is not None),
    }


async def _privately(session: AsyncSession, ctx: Context, person_id: int | None) -> list[Recipient]:
    person = await session.get(Person, person_id) if person_id else None
    return await recipients.privately(session, ctx, [person] if person else [])


async def _tell_in_force(
    session: AsyncSession, ctx: Context, row: Substitution, now: dt.datetime
) -> None:
    await _tell_one(session, ctx, row, row.substitute_id, "substitute", now, key="sub")
    await _tell_one(session, ctx, row, row.person_id, "absent", now)


async def _tell_one(
    session: AsyncSession,
    ctx: Context,
    row: Substitution,
    person_id: int | None,
    what: str,
    now: dt.datetime,
    key: str = "",
) -> None:
    """One person told privately of this leave (text ``leave.<what>_told``), once."""
    texts = await _texts(session, row)
    await tell(
        session,
        ctx,
        f"lv:{row.id}:{key or what}",
        await _privately(session, ctx, person_id),
        lambda lang: t(lang, f"leave.{what}_told", **texts),
        now,
    )


async def _ask_admins(
    session: AsyncSession, ctx: Context, row: Substitution, now: dt.datetime
) -> None:
    texts = await _texts(session, row)
    await tell(
        session,
        ctx,
        f"lv:{row.id}:ask",
        await recipients.admins(session, ctx),
        lambda lang: t(lang, "leave.asked", id=row.id, **texts),
        now,
        buttons=lambda lang: decision_rows(row.id, lang),
        urgent=True,
    )


# What handlers/leave.py calls, each in a transaction of its own.
request_leave = _answered(_request_leave)
decide = _answered(_decide)
cancel = _answered(_cancel)
