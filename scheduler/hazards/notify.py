"""Who hears of a hazard's step, and the messages they get (through the outbox, keyed by the
step's event so a step is told once however often it is retried)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.messages import OutMessage
from bot.core.settings import HazardSettings
from scheduler import recipients
from scheduler.hazards.buttons import Rows
from scheduler.hazards.common import category_label, is_urgent, severity_label
from scheduler.routine import Context, Recipient
from storage import outbox
from storage.hazards import Hazard
from storage.models import Person
from storage.outbox import PRIORITY_ALERT, PRIORITY_PROMPT, Envelope


async def officers(session: AsyncSession, ctx: Context) -> list[Recipient]:
    """The safety officers and the admins, each chat once."""
    found = await recipients.with_role(session, ctx, "safety_officer")
    found += await recipients.admins(session, ctx)
    return once(found)


async def signers(session: AsyncSession, ctx: Context) -> list[Recipient]:
    return await recipients.admins(session, ctx)


async def person(session: AsyncSession, ctx: Context, person_id: int | None) -> list[Recipient]:
    found = await session.get(Person, person_id) if person_id else None
    return await recipients.privately(session, ctx, [found]) if found else []


async def leaders_and_admins(session: AsyncSession, ctx: Context, day: dt.date) -> list[Recipient]:
    found = await recipients.duty_leaders(session, ctx, day, or_admins=False)
    return once(found + await recipients.admins(session, ctx))


def once(found: Sequence[Recipient]) -> list[Recipient]:
    return list({r.tg_chat_id: r for r in found}.values())


def without(found: Sequence[Recipient], person_id: int | None) -> list[Recipient]:
    """Not the one who did the step: their reply already says it."""
    return [r for r in found if r.person_id is None or r.person_id != person_id]


async def name_of(session: AsyncSession, person_id: int | None) -> str:
    found = await session.get(Person, person_id) if person_id else None
    return found.display_name if found else "—"


def card_head(hazard: Hazard, lang: str, policy: HazardSettings, finder: str) -> str:
    """Number, what, where, category, severity, who found it (/hazard N's history opens
    with it too)."""
    return t(
        lang,
        "hazard.card",
        id=hazard.id,
        what=hazard.what,
        place=hazard.place,
        category=category_label(hazard.category, lang, policy),
        severity=severity_label(hazard.severity, lang),
        who=finder,
    )


def card(hazard: Hazard, lang: str, policy: HazardSettings, finder: str) -> str:
    """The hazard in a few lines: its head, the inspection's item, 🚨 when urgent."""
    text = card_head(hazard, lang, policy, finder)
    if hazard.item:
        text += "\n" + t(lang, "hazard.card_item", item=hazard.item)
    if is_urgent(hazard, policy):
        text = "🚨 " + text
    return text


async def tell(
    session: AsyncSession,
    ctx: Context,
    key: str,
    found: Sequence[Recipient],
    text: Callable[[str], str],
    now: dt.datetime,
    *,
    buttons: Callable[[str], Rows] | None = None,
    photos: Sequence[str] = (),
    urgent: bool = False,
) -> int:
    """Each recipient gets the text (in their language, with the buttons), then the photos."""
    envelopes = []
    priority = PRIORITY_ALERT if urgent else PRIORITY_PROMPT
    for r in found:
        rows = buttons(r.language) if buttons else ()
        message = OutMessage(text(r.language), buttons=rows)
        base = f"{key}:{r.tg_chat_id}"
        envelopes.append(
            Envelope(base, r.tg_chat_id, message, now, person_id=r.person_id, priority=priority)
        )
        for n, path in enumerate(photos, start=1):
            caption = t(r.language, "hazard.photo_caption", n=n, total=len(photos))
            envelopes.append(
                Envelope(
                    f"{base}:p{n}",
                    r.tg_chat_id,
                    OutMessage(caption, kind="photo", media_path=path),
                    now,
                    person_id=r.person_id,
                    priority=priority,
                )
            )
    return await outbox.enqueue(session, ctx.school_id, envelopes, now)
