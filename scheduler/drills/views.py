"""What people read: /drill (the next drill's plan, or today's in progress) and the drill
section of /today."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.settings import Settings
from scheduler.drills import plans
from scheduler.drills.common import duration, plan_text
from scheduler.routine import Context
from storage import drills as store
from storage import people
from storage.models import Person


async def next_drill(
    session: AsyncSession, ctx: Context, settings: Settings, today: dt.date, lang: str
) -> str:
    """The next drill's plan, with its number (to move it: /drill 12 改到 …); the session
    may write: the drill's row is made so that it has a number."""
    plan = await plans.next_plan_for(session, ctx.school_id, settings, today)
    if plan is None:
        return t(lang, "drill.none_planned")
    drill = await plans.ensure(session, ctx.school_id, settings, plan)
    text = t(lang, "drill.number", id=drill.id) + "\n" + plan_text(settings, plan, lang)
    if drill.moves:
        text += "\n" + t(lang, "drill.was_moved")
    if drill.status != "planned":
        text += "\n\n" + await progress(session, ctx, drill, lang)
    return text


async def progress(session: AsyncSession, ctx: Context, drill: store.Drill, lang: str) -> str:
    """Status, evacuation time, and the headcounts: reported classes, 应到 / 实到."""
    counts = await store.counts_of(session, drill.id)
    classes = [u for u in await people.units(session, ctx.school_id, "class") if u.active]
    lines = [
        t(
            lang,
            "drill.progress",
            status=t(lang, f"drill.status.{drill.status}"),
            time=duration(drill.evacuation_seconds, lang),
            reported=len(counts),
            classes=len(classes),
            expected=sum(c.expected for c in counts),
            present=sum(c.present for c in counts),
        )
    ]
    names = {u.id: u.name for u in classes}
    for count in counts:
        if count.present < count.expected:
            lines.append(
                "  "
                + t(
                    lang,
                    "drill.count_line",
                    unit=names.get(count.unit_id, "?"),
                    expected=count.expected,
                    present=count.present,
                    reason=count.reason,
                )
            )
    notes = await store.notes_of(session, drill.id)
    said = [n for n in notes if n.kind != "photo"]
    if said:
        names = {}
        for person_id in {n.person_id for n in said}:
            person = await session.get(Person, person_id)
            names[person_id] = person.display_name if person else "?"
        lines.append(t(lang, "drill.notes_title"))
        lines += [
            "  "
            + t(lang, f"drill.note_line.{n.kind}", who=names.get(n.person_id, "?"), text=n.text)
            for n in said
        ]
    photos = sum(n.kind == "photo" for n in notes)
    if photos:
        lines.append(t(lang, "drill.photos_count", count=photos))
    return "\n".join(lines)


async def drill_overview(
    session: AsyncSession, ctx: Context, day: dt.date, lang: str
) -> str | None:
    """/today: the day's drill, if there is one and it has begun."""
    drill = await store.on_day(session, ctx.school_id, day)
    if drill is None:
        return None
    if drill.status == "planned":
        return t(lang, "drill.today_planned", theme=drill.theme)
    return (
        t(lang, "drill.today", theme=drill.theme) + "\n" + await progress(session, ctx, drill, lang)
    )
