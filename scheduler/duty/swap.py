"""Swapping duty: ``/swap <date> [post] <name> [their date]``.

The requester asks; the partner accepts or declines with a button; on acceptance the roster
changes (the partner takes the requester's post on that date and, with a second date, the
requester takes the partner's post on theirs) and the admins are told. Both have confirmed:
the requester by asking, the partner by accepting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.messages import OutMessage
from bot.core.settings import DutyPostSettings, Settings
from scheduler.duty import notify
from scheduler.duty.buttons import swap_rows
from scheduler.duty.roster import (
    Localized,
    Problem,
    find_person,
    find_post,
    post_label,
    read_day,
    typed_post,
)
from scheduler.routine import Context
from storage import audit, people
from storage import duty as store
from storage.models import Person


class Answer(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    NOT_FOUND = "not_found"
    NOT_YOURS = "not_yours"
    ALREADY = "already"  # answered before
    EXPIRED = "expired"  # the date has passed
    STALE = "stale"  # the roster changed since the request


@dataclass(frozen=True)
class SwapAnswer:
    answer: Answer
    swap: store.Swap | None = None


async def request_swap(
    session: AsyncSession,
    ctx: Context,
    settings: Settings,
    now: dt.datetime,
    requester: Person,
    args: str,
) -> store.Swap | Problem:
    tokens = args.split()
    if not tokens:
        return Problem(0, "duty.swap.usage")
    day = read_day(tokens[0], now, settings)
    if isinstance(day, Problem):
        return day
    post = find_post(settings, tokens[1]) if len(tokens) > 1 else None
    rest = tokens[2:] if post is not None else tokens[1:]
    if not rest:
        return Problem(0, "duty.swap.usage")
    partner = await find_person(session, ctx.school_id, rest[0])
    if isinstance(partner, Problem):
        return partner
    partner_day: dt.date | None = None
    if rest[1:]:
        read = read_day(" ".join(rest[1:]), now, settings)
        if isinstance(read, Problem):
            return read
        partner_day = read
    typed = (tokens[0], " ".join(rest))  # for the example when the post must be named
    post_or_problem = await _requester_post(session, ctx, settings, requester, day, post, typed)
    if isinstance(post_or_problem, Problem):
        return post_or_problem
    post = post_or_problem
    problem = await _check_partner(session, ctx, requester, partner, post, day, partner_day)
    if problem is not None:
        return problem
    swap = store.Swap(
        school_id=ctx.school_id,
        post=post.slug,
        requester_id=requester.id,
        day=day,
        partner_id=partner.id,
        partner_day=partner_day,
        status="pending",
        created_at=now,
    )
    session.add(swap)
    await session.flush()
    audit.record(session, ctx.school_id, requester.id, "duty.swap.request", now, swap=swap.id)
    await notify.tell(
        session,
        ctx,
        [partner],
        f"duty:swap:{swap.id}",
        lambda lang: _ask_partner(swap, requester, partner, settings, lang),
        now,
        expires_at=dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), ctx.tz),
    )
    return swap


async def _requester_post(
    session: AsyncSession,
    ctx: Context,
    settings: Settings,
    requester: Person,
    day: dt.date,
    post: DutyPostSettings | None,
    typed: tuple[str, str],
) -> DutyPostSettings | Problem:
    mine = await store.posts_of(session, ctx.school_id, requester.id, day)
    if post is not None:
        if post.slug in mine:
            return post
        return Problem(0, "duty.swap.not_on_duty", {"day": day.isoformat()})
    if not mine:
        return Problem(0, "duty.swap.not_on_duty", {"day": day.isoformat()})
    if len(mine) > 1:
        return _which_post(settings, list(mine), typed)
    found = find_post(settings, mine[0])
    assert found is not None
    return found


def _which_post(settings: Settings, slugs: list[str], typed: tuple[str, str]) -> Problem:
    """Several posts that day: their names, and the asker's own command with the first post
    named the way the asker would type it (带班领导 in Chinese, leader in English)."""
    order = {post.slug: n for n, post in enumerate(settings.duty.posts)}
    slugs = sorted(slugs, key=lambda slug: order.get(slug, len(order)))
    first = find_post(settings, slugs[0])
    day, rest = typed

    def names(lang: str, separator: str) -> str:
        return separator.join(_post_name(settings, slug, lang) for slug in slugs)

    def example(lang: str) -> str:
        word = typed_post(first, lang) if first is not None else slugs[0]
        return f"/swap {day} {word} {rest}"

    return Problem(
        0,
        "duty.swap.which_post",
        {
            "posts": Localized(names("zh", "、"), names("en", ", ")),
            "example": Localized(example("zh"), example("en")),
        },
    )


async def _check_partner(
    session: AsyncSession,
    ctx: Context,
    requester: Person,
    partner: Person,
    post: DutyPostSettings,
    day: dt.date,
    partner_day: dt.date | None,
) -> Problem | None:
    if partner.id == requester.id:
        return Problem(0, "duty.swap.self")
    if await store.entry(session, ctx.school_id, day, post.slug, partner.id) is not None:
        return Problem(0, "duty.swap.partner_busy", {"name": partner.display_name})
    if partner_day is not None:
        if await store.entry(session, ctx.school_id, partner_day, post.slug, partner.id) is None:
            return Problem(
                0,
                "duty.swap.partner_not_on_duty",
                {"name": partner.display_name, "day": partner_day.isoformat(), "post": post.name},
            )
        if await store.entry(session, ctx.school_id, partner_day, post.slug, requester.id):
            return Problem(0, "duty.swap.busy", {"day": partner_day.isoformat()})
    if await store.pending_swap(session, ctx.school_id, requester.id, day, post.slug):
        return Problem(0, "duty.swap.pending")
    chat = await people.private_chat_of(session, partner.id)
    if chat is None or chat.unreachable:
        return Problem(0, "duty.swap.unreachable", {"name": partner.display_name})
    return None


async def answer_swap(
    session: AsyncSession,
    ctx: Context,
    settings: Settings,
    now: dt.datetime,
    partner: Person,
    swap_id: int,
    accept: bool,
) -> SwapAnswer:
    swap = await session.get(store.Swap, swap_id, with_for_update=True)
    if swap is None or swap.school_id != ctx.school_id:
        return SwapAnswer(Answer.NOT_FOUND)
    if swap.partner_id != partner.id:
        return SwapAnswer(Answer.NOT_YOURS, swap)
    if swap.status != "pending":
        return SwapAnswer(Answer.ALREADY, swap)
    today = now.astimezone(ctx.tz).date()
    if min(swap.day, swap.partner_day or swap.day) < today:
        swap.status, swap.decided_at = "expired", now
        return SwapAnswer(Answer.EXPIRED, swap)
    requester = await session.get(Person, swap.requester_id)
    assert requester is not None
    if not accept:
        swap.status, swap.decided_at = "declined", now
        await _tell_requester(session, ctx, settings, swap, requester, partner, now)
        return SwapAnswer(Answer.DECLINED, swap)
    entries = await _entries_to_swap(session, ctx, swap)
    if entries is None:
        swap.status, swap.decided_at = "expired", now
        return SwapAnswer(Answer.STALE, swap)
    mine, theirs = entries
    mine.person_id, mine.source = partner.id, "swap"
    if theirs is not None:
        theirs.person_id, theirs.source = requester.id, "swap"
    swap.status, swap.decided_at = "accepted", now
    audit.record(session, ctx.school_id, partner.id, "duty.swap.accept", now, swap=swap.id)
    await _tell_requester(session, ctx, settings, swap, requester, partner, now)
    admins = await people.people_with_role(session, ctx.school_id, "admin")
    await notify.tell(
        session,
        ctx,
        admins,
        f"duty:swap-admin:{swap.id}",
        lambda lang: OutMessage(
            t(lang, "duty.swap.admin_told", what=describe(swap, requester, partner, settings, lang))
        ),
        now,
    )
    return SwapAnswer(Answer.ACCEPTED, swap)


async def _entries_to_swap(
    session: AsyncSession, ctx: Context, swap: store.Swap
) -> tuple[store.RosterEntry, store.RosterEntry | None] | None:
    """The roster rows that change hands, if the roster still allows the swap."""
    school = ctx.school_id
    mine = await store.entry(session, school, swap.day, swap.post, swap.requester_id)
    if mine is None or await store.entry(session, school, swap.day, swap.post, swap.partner_id):
        return None
    if swap.partner_day is None:
        return mine, None
    theirs = await store.entry(session, school, swap.partner_day, swap.post, swap.partner_id)
    taken = await store.entry(session, school, swap.partner_day, swap.post, swap.requester_id)
    if theirs is None or taken is not None:
        return None
    return mine, theirs


async def _tell_requester(
    session: AsyncSession,
    ctx: Context,
    settings: Settings,
    swap: store.Swap,
    requester: Person,
    partner: Person,
    now: dt.datetime,
) -> None:
    key = "duty.swap.accepted" if swap.status == "accepted" else "duty.swap.declined"
    await notify.tell(
        session,
        ctx,
        [requester],
        f"duty:swap-answer:{swap.id}",
        lambda lang: OutMessage(
            t(
                lang,
                key,
                name=partner.display_name,
                what=describe(swap, requester, partner, settings, lang),
            )
        ),
        now,
    )


def _ask_partner(
    swap: store.Swap, requester: Person, partner: Person, settings: Settings, lang: str
) -> OutMessage:
    text = t(
        lang,
        "duty.swap.ask",
        name=requester.display_name,
        what=describe(swap, requester, partner, settings, lang),
    )
    return OutMessage(text, buttons=swap_rows(swap.id, lang))


def describe(
    swap: store.Swap, requester: Person, partner: Person, settings: Settings, lang: str
) -> str:
    """ "partner takes requester's 带班领导 on 2026-03-05 (and requester takes partner's on …)"."""
    post = _post_name(settings, swap.post, lang)

    def takes(key: str, taker: Person, giver: Person, day: dt.date) -> str:
        return t(
            lang,
            key,
            taker=taker.display_name,
            giver=giver.display_name,
            post=post,
            day=day.isoformat(),
        )

    text = takes("duty.swap.takes", partner, requester, swap.day)
    if swap.partner_day is not None:
        text += takes("duty.swap.and_takes", requester, partner, swap.partner_day)
    return text


def _post_name(settings: Settings, slug: str, lang: str = "zh") -> str:
    post = find_post(settings, slug)
    return post_label(post, lang) if post is not None else slug
