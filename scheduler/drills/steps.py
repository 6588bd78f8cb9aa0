"""A drill's day: the commander starts it (the head teachers are asked to count at the
assembly point) and ends it (the evacuation time is computed, feedback asked); each head
teacher reports 应到 / 实到 (a reason for any difference; a mismatch alerts the commander at
once); the commander's feedback (存在问题, 改进措施) closes it.

Each step checks who may take it and that the drill is where the step expects it;
otherwise nothing changes and the outcome says why. Each step writes an audit row and its
outbox messages in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.settings import DrillSettingsEntry, Settings
from scheduler.drills import notes, notify
from scheduler.drills.buttons import Action, Press
from scheduler.drills.common import Outcome, Result, duration, is_commander, plan_of
from scheduler.hazards.notify import tell
from scheduler.routine import Context
from storage import audit
from storage import drills as store
from storage.models import Person, Unit
from storage.people import has_role

MAX_HEADCOUNT = 200
# A commander's 问题 / 措施 (problems, measures); from a floor marshal, a note of this kind.
NOTE_KIND = {"problems": "problem", "measures": "suggestion"}


def _today(now: dt.datetime, ctx: Context) -> dt.date:
    return now.astimezone(ctx.tz).date()


async def press(
    session: AsyncSession,
    ctx: Context,
    press: Press,
    person: Person,
    now: dt.datetime,
    settings: Settings,
) -> Result:
    """The commander's 开始演练 (today's drill, planned) or 结束演练 (a started drill;
    ``seconds``: the evacuation time)."""
    starting = press.action is Action.START
    drill = await store.by_id(session, ctx.school_id, press.drill_id)
    if drill is None or (starting and drill.day != _today(now, ctx)):
        return Result(Outcome.NOT_FOUND, press.drill_id)
    plan = plan_of(settings, drill)
    if not is_commander(person, plan):
        return Result(Outcome.NOT_ALLOWED, press.drill_id)
    if drill.status != ("planned" if starting else "started"):
        return Result(Outcome.STALE, press.drill_id)
    if starting:
        await _start(session, ctx, drill, person, now, settings.drills.report_minutes)
        return Result(Outcome.DONE, drill.id)
    seconds = await _end(session, ctx, drill, plan, person, now)
    return Result(Outcome.DONE, drill.id, seconds=seconds)


async def _start(
    session: AsyncSession,
    ctx: Context,
    drill: store.Drill,
    person: Person,
    now: dt.datetime,
    minutes: int,
) -> None:
    """The head teachers are asked to count at the assembly point."""
    drill.status, drill.started_at, drill.started_by = "started", now, person.id
    audit.record(session, ctx.school_id, person.id, "drill.started", now, drill_id=drill.id)
    theme = drill.theme

    def text(lang: str) -> str:
        return t(lang, "drill.count_asked", theme=theme, minutes=minutes)

    found = await notify.head_teachers(session, ctx, drill.day)
    await tell(session, ctx, f"dr:{drill.id}:count", found, text, now, urgent=True)


async def _end(
    session: AsyncSession,
    ctx: Context,
    drill: store.Drill,
    plan: DrillSettingsEntry | None,
    person: Person,
    now: dt.datetime,
) -> int | None:
    """The evacuation time; the commander is asked for feedback at once (有演练必有反馈)."""
    drill.status, drill.ended_at, drill.ended_by = "ended", now, person.id
    seconds = drill.evacuation_seconds
    audit.record(
        session, ctx.school_id, person.id, "drill.ended", now, drill_id=drill.id, seconds=seconds
    )
    counts = await store.counts_of(session, drill.id)
    theme = drill.theme

    def text(lang: str) -> str:
        return t(
            lang,
            "drill.feedback_asked",
            theme=theme,
            time=duration(seconds, lang),
            classes=len(counts),
            present=sum(c.present for c in counts),
            expected=sum(c.expected for c in counts),
        )

    found = await notify.commander(session, ctx, plan)
    await tell(session, ctx, f"dr:{drill.id}:feedback", found, text, now)
    return seconds


async def report_count(
    session: AsyncSession,
    ctx: Context,
    person: Person,
    unit: Unit,
    expected: int,
    present: int,
    reason: str,
    now: dt.datetime,
    settings: Settings,
) -> Result:
    """A class's headcount at the assembly point (应到 / 实到); a difference needs its reason
    and alerts the commander at once."""
    if not (has_role(person, "admin") or unit.id in _classes_of(person)):
        return Result(Outcome.NOT_ALLOWED, unit_name=unit.name)
    drill = await store.on_day(session, ctx.school_id, _today(now, ctx), for_update=True)
    if drill is None or drill.status == "planned":
        return Result(Outcome.NOT_FOUND, unit_name=unit.name)
    if not 0 <= present <= expected <= MAX_HEADCOUNT or expected == 0:
        return Result(Outcome.BAD_COUNT, drill.id, unit.name)
    reason = reason.strip()[:200]
    if present < expected and not reason:
        return Result(Outcome.NEED_REASON, drill.id, unit.name)
    row = await store.count_of(session, drill.id, unit.id)
    outcome = Outcome.DONE if row is None else Outcome.REPLACED
    if row is None:
        row = store.DrillCount(drill_id=drill.id, unit_id=unit.id)
        session.add(row)
    row.expected, row.present, row.reason = expected, present, reason
    row.person_id, row.at = person.id, now
    await session.flush()
    audit.record(
        session,
        ctx.school_id,
        person.id,
        "drill.counted",
        now,
        drill_id=drill.id,
        unit=unit.slug,
        expected=expected,
        present=present,
    )
    mismatch = present < expected
    if mismatch:

        def text(lang: str) -> str:
            return t(
                lang,
                "drill.mismatch_alert",
                unit=unit.name,
                expected=expected,
                present=present,
                reason=reason,
                who=person.display_name,
            )

        found = await notify.commander(session, ctx, plan_of(settings, drill))
        key = f"dr:{drill.id}:mismatch:{row.id}:{expected}:{present}"
        await tell(session, ctx, key, found, text, now, urgent=True)
    return Result(outcome, drill.id, unit.name, mismatch=mismatch)


def _classes_of(person: Person) -> set[int]:
    return {r.unit_id for r in person.roles if r.role == "head_teacher" and r.unit_id}


@dataclass(frozen=True)
class Feedback:
    """/drill 问题 … or /drill 措施 …: the commander's feedback (``note`` empty), or else,
    from a floor marshal, a note of kind ``note`` (problem, suggestion)."""

    outcome: Outcome
    closed: bool = False  # the commander's feedback is complete: the drill is closed
    note: str = ""
    day: str = ""  # a note's drill day


async def feedback(
    session: AsyncSession,
    ctx: Context,
    person: Person,
    field: str,
    text: str,
    now: dt.datetime,
    settings: Settings,
) -> Feedback:
    """``field``: problems or measures. Someone not the commander is a floor marshal whose
    问题 / 建议 is kept with the drill (NOT_ALLOWED: neither)."""
    drills = await store.between(
        session, ctx.school_id, _today(now, ctx) - dt.timedelta(days=31), _today(now, ctx)
    )
    ended = [d for d in drills if d.status in ("ended", "closed")]
    if not ended:
        return Feedback(Outcome.NOT_FOUND)
    drill = ended[-1]
    if not is_commander(person, plan_of(settings, drill)):
        kind = NOTE_KIND[field]
        note = await notes.add_note(session, ctx, person, kind, text, now, settings)
        return Feedback(note.outcome, note=kind, day=note.unit_name)
    setattr(drill, field, text.strip()[: store.MAX_TEXT])
    drill.feedback_by, drill.feedback_at = person.id, now
    closed = bool(drill.problems and drill.measures)
    if closed and drill.status != "closed":
        drill.status = "closed"
        audit.record(session, ctx.school_id, person.id, "drill.closed", now, drill_id=drill.id)
    return Feedback(Outcome.DONE, closed)
