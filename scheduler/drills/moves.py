"""Moving a drill (/drill 12 改到 下周三 10:00): an admin gives the new day and time (read by
bot/dates with the school calendar); everyone the bot already told of it (the plan, the
morning reminder, the start button) gets one update message, and the plan, reminder and
start button go out again for the new time. Only a drill not yet started moves, to a
school day ahead that has no other drill."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.settings import Settings
from scheduler.drills import plans
from scheduler.drills.common import Outcome, Result, key_of, plan_of
from scheduler.drills.ticks import tag_prompts
from scheduler.hazards.notify import tell
from scheduler.routine import Context, Recipient
from storage import audit
from storage import drills as store
from storage.models import Outbox, Person
from storage.people import has_role


async def move(
    session: AsyncSession,
    ctx: Context,
    drill_id: int,
    person: Person,
    at: dt.datetime,
    now: dt.datetime,
    settings: Settings,
    *,
    school_day: bool,
) -> Result:
    """``at``: the new day and time, in the school's zone."""
    if not has_role(person, "admin"):
        return Result(Outcome.NOT_ALLOWED, drill_id)
    drill = await store.by_id(session, ctx.school_id, drill_id)
    if drill is None or plan_of(settings, drill) is None:
        return Result(Outcome.NOT_FOUND, drill_id)
    if drill.status != "planned":
        return Result(Outcome.STALE, drill_id)
    local = at.astimezone(ctx.tz)
    if at <= now:
        return Result(Outcome.PAST, drill_id)
    if not school_day:
        return Result(Outcome.NOT_SCHOOL_DAY, drill_id)
    day = local.date()
    other = await plans.plan_for(session, ctx.school_id, settings, day)
    if other is not None and day != drill.day:
        return Result(Outcome.CLASH, drill_id)
    old = f"{drill.day.isoformat()} {_time(drill, settings)}"
    told = await _told(session, ctx, drill.id)
    drill.plan_day = drill.plan_day or drill.day
    if drill.day != day:  # the old day's 1530 prompts no longer name it
        await tag_prompts(session, ctx.school_id, drill.day, None)
    drill.day, drill.at = day, local.strftime("%H:%M")
    drill.moves += 1
    audit.record(
        session,
        ctx.school_id,
        person.id,
        "drill.moved",
        now,
        drill_id=drill.id,
        old=old,
        new=f"{day.isoformat()} {drill.at}",
    )
    theme, new = drill.theme, f"{day.isoformat()} {drill.at}"

    def text(lang: str) -> str:
        return t(lang, "drill.moved_notice", theme=theme, old=old, new=new, who=person.display_name)

    await tell(session, ctx, f"{key_of(drill)}:moved", told, text, now, urgent=True)
    return Result(Outcome.DONE, drill.id, unit_name=new, seconds=len(told))


def _time(drill: store.Drill, settings: Settings) -> str:
    plan = plan_of(settings, drill)
    return drill.at or (plan.time.strftime("%H:%M") if plan else "")


async def _told(session: AsyncSession, ctx: Context, drill_id: int) -> list[Recipient]:
    """Every chat the bot sent something of this drill to (each once), in its language."""
    rows = await session.execute(
        select(Outbox.tg_chat_id, Outbox.person_id, Person.language)
        .outerjoin(Person, Person.id == Outbox.person_id)
        .where(
            Outbox.school_id == ctx.school_id,
            # LIKE, not a key range: a database's collation may not order ':' bytewise. A rare
            # admin command: a scan of the school's outbox is acceptable.
            or_(Outbox.key.like(f"dr:{drill_id}:%"), Outbox.key.like(f"dr:{drill_id}.%")),
            Outbox.key.not_like("%:moved:%"),
        )
        .order_by(Outbox.id)
    )
    seen: dict[int, Recipient] = {}
    for chat, person_id, language in rows.all():
        seen.setdefault(chat, Recipient(chat, person_id, language or ctx.school_language))
    return list(seen.values())
