"""What people read about hazards: /hazards (open ones, overdue first), /hazard N (its whole
history, with the before and after photos), and /today's section."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.settings import HazardSettings
from scheduler.hazards import notify
from scheduler.hazards.common import DEFAULT_POLICY, category_label, status_label
from scheduler.routine import Context
from storage import hazards as store
from storage.hazards import Hazard
from storage.models import Person

CHASED = ("assigned", "open")  # statuses with a deadline running


def overdue_days(hazard: Hazard, today: dt.date) -> int:
    if hazard.status not in CHASED or hazard.deadline is None:
        return 0
    return max(0, (today - hazard.deadline).days)


async def _names(session: AsyncSession, ids: set[int | None]) -> dict[int, str]:
    found = {}
    for person_id in ids:
        if person_id is not None:
            person = await session.get(Person, person_id)
            found[person_id] = person.display_name if person else "?"
    return found


def line(hazard: Hazard, lang: str, today: dt.date, owner: str) -> str:
    parts = [
        f"#{hazard.id} [{status_label(hazard.status, lang)}] {hazard.what[:40]} @ {hazard.place}"
    ]
    if hazard.owner_id is not None:
        parts.append(t(lang, "hazard.line_owner", owner=owner))
    if hazard.deadline is not None and hazard.status in CHASED:
        late = overdue_days(hazard, today)
        key = "hazard.line_overdue" if late else "hazard.line_deadline"
        parts.append(t(lang, key, deadline=hazard.deadline.isoformat(), days=late))
    return " — ".join(parts)


def _matches(
    hazard: Hazard, words: str, lang: str, owner: str, today: dt.date, policy: HazardSettings
) -> bool:
    """A filter: an area (category or place), an owner's name, or a status word."""
    wanted = words.strip().lower()
    if wanted in ("逾期", "overdue"):
        return overdue_days(hazard, today) > 0
    labels = {
        hazard.category,
        category_label(hazard.category, "zh", policy),
        category_label(hazard.category, "en", policy).lower(),
        hazard.status,
        status_label(hazard.status, "zh"),
        status_label(hazard.status, "en").lower(),
        owner.lower(),
    }
    return wanted in labels or wanted in hazard.place.lower()


async def listing(
    session: AsyncSession,
    ctx: Context,
    lang: str,
    today: dt.date,
    words: str = "",
    policy: HazardSettings = DEFAULT_POLICY,
) -> str:
    hazards = list(await store.open_hazards(session, ctx.school_id))
    names = await _names(session, {h.owner_id for h in hazards})
    if words:
        hazards = [
            h
            for h in hazards
            if _matches(h, words, lang, names.get(h.owner_id or 0, ""), today, policy)
        ]
    if not hazards:
        return t(lang, "hazard.list_empty")
    # Overdue first (the most overdue on top), then by deadline, the unassigned last.
    hazards.sort(
        key=lambda h: (
            -overdue_days(h, today),
            h.deadline or dt.date.max,
            h.id,
        )
    )
    late = sum(1 for h in hazards if overdue_days(h, today))
    head = t(lang, "hazard.list_head", count=len(hazards), overdue=late)
    rows = [line(h, lang, today, names.get(h.owner_id or 0, "")) for h in hazards]
    return "\n".join([head, *rows])


@dataclass(frozen=True)
class History:
    text: str
    photos: Sequence[tuple[str, str]]  # (caption, path): before, then each fix's after


async def history(
    session: AsyncSession,
    ctx: Context,
    hazard_id: int,
    lang: str,
    today: dt.date,
    policy: HazardSettings = DEFAULT_POLICY,
) -> History | None:
    hazard = await store.get(session, ctx.school_id, hazard_id)
    if hazard is None:
        return None
    events = await store.events_of(session, hazard.id)
    names = await _names(
        session, {e.person_id for e in events} | {hazard.owner_id, hazard.raised_by}
    )
    head = [
        notify.card_head(hazard, lang, policy, names.get(hazard.raised_by, "?")),
        line(hazard, lang, today, names.get(hazard.owner_id or 0, "")),
    ]
    if hazard.item:
        head.append(t(lang, "hazard.card_item", item=hazard.item))
    if hazard.measure:
        head.append(t(lang, "hazard.card_measure", measure=hazard.measure))
    steps = []
    photos: list[tuple[str, str]] = []
    for event in events:
        when = event.at.astimezone(ctx.tz).strftime("%m-%d %H:%M")
        who = names.get(event.person_id or 0, t(lang, "hazard.by_bot"))
        detail = t(
            lang,
            f"hazard.event.{event.kind}",
            note=event.note,
            deadline=event.deadline.isoformat() if event.deadline else "",
        )
        steps.append(f"{when} {who}：{detail}" if lang == "zh" else f"{when} {who}: {detail}")
        if event.submission_id is not None:
            stage = "before" if event.kind == "raised" else "after"
            for attachment in await store.photos_of(session, event.submission_id):
                caption = t(lang, f"hazard.photo_{stage}", id=hazard.id, when=when)
                photos.append((caption, attachment.path))
    text = "\n".join([*head, "", t(lang, "hazard.history_head"), *steps])
    return History(text, photos)


async def hazard_overview(
    session: AsyncSession, ctx: Context, day: dt.date, lang: str
) -> str | None:
    """/today's lines: hazards raised that day, due that day, and overdue."""
    hazards = list(await store.open_hazards(session, ctx.school_id))
    new = [h for h in hazards if h.raised_at and h.raised_at.astimezone(ctx.tz).date() == day]
    due = [h for h in hazards if h.status in CHASED and h.deadline == day]
    late = [h for h in hazards if overdue_days(h, day)]
    if not (new or due or late):
        return t(lang, "today.hazards.none", open=len(hazards))
    names = await _names(session, {h.owner_id for h in due + late})
    lines = [
        t(
            lang,
            "today.hazards.head",
            open=len(hazards),
            new=len(new),
            due=len(due),
            overdue=len(late),
        )
    ]
    for hazard in sorted(late, key=lambda h: -overdue_days(h, day)) + due:
        lines.append("• " + line(hazard, lang, day, names.get(hazard.owner_id or 0, "")))
    return "\n".join(lines)
