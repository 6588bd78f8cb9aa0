"""After the drill: the floor marshals (各楼层疏导 and 清点人数 named in the plan, or the
safety officer) send a short feedback (问题 / 建议) and photos; both are kept with the drill
(``storage.drills.DrillNote``) and shown in /drill, the record book's drill sheet and its
.docx section. The commander's own 问题 / 措施 close the drill as before."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import DrillSettingsEntry, Settings
from scheduler.drills.common import Outcome, Result, is_commander, plan_of
from scheduler.routine import Context
from storage import audit
from storage import drills as store
from storage.media import StoredFile
from storage.models import Person
from storage.people import has_role

_NAMES = re.compile(r"[、,，;；/\s]+")
RECENT_DAYS = 31


def marshal_names(plan: DrillSettingsEntry | None) -> set[str]:
    """The names in the plan's roles: "一楼：陈老师" → 陈老师; "各班班主任" stays a role."""
    if plan is None:
        return set()
    names: set[str] = set()
    for entry in [*plan.marshals, *plan.counters]:
        _, _, who = entry.replace(":", "：").rpartition("：")
        names |= {n.strip().lower() for n in _NAMES.split(who) if n.strip()}
    return names


def is_marshal(person: Person | None, plan: DrillSettingsEntry | None) -> bool:
    if person is None:
        return False
    if has_role(person, "safety_officer") or is_commander(person, plan):
        return True
    return person.display_name.strip().lower() in marshal_names(plan)


async def _latest(session: AsyncSession, ctx: Context, now: dt.datetime) -> store.Drill | None:
    """The drill the feedback is about: the latest started one of the last month."""
    today = now.astimezone(ctx.tz).date()
    drills = await store.between(
        session, ctx.school_id, today - dt.timedelta(days=RECENT_DAYS), today
    )
    held = [d for d in drills if d.status in ("started", "ended", "closed")]
    return held[-1] if held else None


async def add_note(
    session: AsyncSession,
    ctx: Context,
    person: Person,
    kind: str,
    text: str,
    now: dt.datetime,
    settings: Settings,
    photo: StoredFile | None = None,
) -> Result:
    """A marshal's 问题 / 建议 (kind problem / suggestion) or photo (kind photo)."""
    drill = await _latest(session, ctx, now)
    if drill is None:
        return Result(Outcome.NOT_FOUND)
    if not is_marshal(person, plan_of(settings, drill)):
        return Result(Outcome.NOT_ALLOWED, drill.id)
    notes = await store.notes_of(session, drill.id)
    if kind == "photo" and sum(n.kind == "photo" for n in notes) >= store.MAX_PHOTOS:
        return Result(Outcome.BAD_COUNT, drill.id)
    session.add(
        store.DrillNote(
            drill_id=drill.id,
            person_id=person.id,
            kind=kind,
            text=text.strip()[: store.MAX_TEXT],
            sha256=photo.sha256 if photo else "",
            path=str(photo.path) if photo else "",
            at=now,
        )
    )
    audit.record(session, ctx.school_id, person.id, f"drill.{kind}", now, drill_id=drill.id)
    return Result(Outcome.DONE, drill.id, unit_name=drill.day.isoformat())
