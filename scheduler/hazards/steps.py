"""A reported hazard's life (登记 → 限期整改 → 复查验收 → 审核): assignment with a deadline, the
principal's list (责任清单), the fix with an "after" photo, verification (accept, or reject
with a reason and a new deadline), the final sign-off, reopening, the temporary measure.

Each step checks who may take it and that the hazard is where the step expects it (a press
carries the round it was made for): otherwise nothing changes and the outcome says why.
Each step is a ``hazard_event``, an audit row, and the outbox messages it causes, in the
caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.settings import HazardSettings
from scheduler.hazards import buttons, notify
from scheduler.hazards.common import (
    DEFAULT_POLICY,
    OFFICERS,
    SIGNERS,
    Outcome,
    Result,
    deadline_problem,
    may,
)
from scheduler.routine import Context, Recipient
from storage import audit
from storage import duty as people_named
from storage import hazards as store
from storage.hazards import Hazard, HazardEvent
from storage.models import Person
from storage.submissions import ReceivedFile

LEADERS = ("admin", "duty_leader", "safety_officer")  # may record a temporary measure


async def _found(
    session: AsyncSession,
    ctx: Context,
    hazard_id: int,
    person: Person,
    roles: tuple[str, ...] | None,
    where: Callable[[Hazard], bool],
    done_by: str = "",
    *,
    lock: bool = True,
) -> Hazard | Result:
    """The hazard a step takes (locked), or why the step does nothing: the person lacks the
    ``roles`` (None: the step is the hazard's owner's), the school has no such hazard, or it
    is not ``where`` the step expects it (STALE, naming the person in its column ``done_by``,
    who took the step already)."""
    if roles is not None and not may(person, roles):
        return Result(Outcome.NOT_ALLOWED, hazard_id)
    hazard = await store.get(session, ctx.school_id, hazard_id, for_update=lock)
    if hazard is None:
        return Result(Outcome.NOT_FOUND, hazard_id)
    if roles is None and hazard.owner_id != person.id:
        return Result(Outcome.NOT_ALLOWED, hazard_id)
    if not where(hazard):
        name = await notify.name_of(session, getattr(hazard, done_by)) if done_by else ""
        return Result(Outcome.STALE, hazard.id, hazard.status, name)
    return hazard


def _at(status: str, round_: int) -> Callable[[Hazard], bool]:
    """A press's hazard is at the step it was made for: this status, this round."""
    return lambda hazard: hazard.status == status and hazard.round == round_


async def _photos(session: AsyncSession, submission_id: int | None) -> list[str]:
    return [a.path for a in await store.photos_of(session, submission_id)]


async def _announce(
    session: AsyncSession,
    ctx: Context,
    hazard: Hazard,
    key: str,
    found: Sequence[Recipient],
    below: Callable[[str], str],
    now: dt.datetime,
    policy: HazardSettings,
    *,
    rows: Callable[[int, int, str], buttons.Rows] | None = None,
    photos: Sequence[str] = (),
) -> int:
    """Each recipient gets the hazard's card and, under it, what this step says (with the
    buttons of the hazard's round, then the photos)."""
    finder = await notify.name_of(session, hazard.raised_by)
    return await notify.tell(
        session,
        ctx,
        key,
        found,
        lambda lang: f"{notify.card(hazard, lang, policy, finder)}\n\n{below(lang)}",
        now,
        buttons=(lambda lang: rows(hazard.id, hazard.round, lang)) if rows else None,
        photos=photos,
    )


def _today(now: dt.datetime, ctx: Context) -> dt.date:
    return now.astimezone(ctx.tz).date()


def _audit(
    session: AsyncSession,
    ctx: Context,
    person: Person,
    action: str,
    hazard: Hazard,
    now: dt.datetime,
    **detail: object,
) -> None:
    audit.record(
        session, ctx.school_id, person.id, f"hazard.{action}", now, hazard_id=hazard.id, **detail
    )


async def _step(
    session: AsyncSession,
    ctx: Context,
    person: Person,
    kind: str,
    hazard: Hazard,
    now: dt.datetime,
    *,
    note: str = "",
    deadline: dt.date | None = None,
    submission_id: int | None = None,
    logged: dict[str, object] | None = None,
) -> HazardEvent:
    """One step of the chain: its event in the hazard's history and its line in the audit log."""
    event = store.add_event(
        session,
        hazard,
        kind,
        person.id,
        now,
        note=note,
        deadline=deadline,
        submission_id=submission_id,
    )
    await session.flush()  # the event's id keys what the step pushes
    _audit(session, ctx, person, kind, hazard, now, **(logged or {}))
    return event


# -- assignment and the principal's list -----------------------------------------------------


async def assign(
    session: AsyncSession,
    ctx: Context,
    hazard_id: int,
    person: Person,
    owner_name: str,
    deadline: dt.date,
    now: dt.datetime,
    policy: HazardSettings = DEFAULT_POLICY,
) -> Result:
    """The officer names the owner and the deadline; the principal is asked to sign the
    list. A hazard not yet fixed may be assigned again (another owner, another day)."""
    hazard = await _found(
        session,
        ctx,
        hazard_id,
        person,
        OFFICERS,
        lambda h: h.status in ("reported", "assigned", "open"),
    )
    if isinstance(hazard, Result):
        return hazard
    problem = deadline_problem(deadline, _today(now, ctx), policy)
    if problem is not None:
        return Result(problem, hazard_id, deadline=deadline)
    found = await people_named.staff_named(session, ctx.school_id, owner_name)
    if len(found) != 1:
        return Result(Outcome.NO_OWNER, hazard_id, name=owner_name[:30])
    owner = found[0]
    hazard.owner_id, hazard.deadline = owner.id, deadline
    hazard.assigned_by, hazard.assigned_at = person.id, now
    hazard.listed_by = hazard.listed_at = None
    hazard.fix_submission_id = None
    hazard.status, hazard.round = "assigned", hazard.round + 1
    event = await _step(
        session,
        ctx,
        person,
        "assigned",
        hazard,
        now,
        note=owner.display_name,
        deadline=deadline,
        logged={"owner_id": owner.id, "deadline": deadline.isoformat()},
    )

    def below(lang: str) -> str:
        return t(
            lang,
            "hazard.list_asked",
            owner=owner.display_name,
            deadline=deadline.isoformat(),
            who=person.display_name,
        )

    signers = await notify.signers(session, ctx)
    await _announce(
        session, ctx, hazard, f"hz:{event.id}", signers, below, now, policy, rows=buttons.list_rows
    )
    return Result(Outcome.DONE, hazard.id, hazard.status, owner.display_name, deadline)


async def sign_list(
    session: AsyncSession,
    ctx: Context,
    hazard_id: int,
    round_: int,
    person: Person,
    now: dt.datetime,
    policy: HazardSettings = DEFAULT_POLICY,
) -> Result:
    """The principal confirms the assignment with one button (who and when are kept); the
    owner gets the hazard, its photos, the deadline and the 整改完成 button."""
    hazard = await _found(
        session, ctx, hazard_id, person, SIGNERS, _at("assigned", round_), "listed_by"
    )
    if isinstance(hazard, Result):
        return hazard
    hazard.listed_by, hazard.listed_at, hazard.status = person.id, now, "open"
    event = await _step(session, ctx, person, "listed", hazard, now)
    await tell_owner(session, ctx, hazard, f"hz:{event.id}", "hazard.owner_told", now, policy)
    owner = await notify.name_of(session, hazard.owner_id)
    return Result(Outcome.DONE, hazard.id, hazard.status, owner, hazard.deadline)


async def tell_owner(
    session: AsyncSession,
    ctx: Context,
    hazard: Hazard,
    key: str,
    text_key: str,
    now: dt.datetime,
    policy: HazardSettings,
    *,
    note: str = "",
    photos: bool = True,
) -> int:
    paths = await _photos(session, hazard.submission_id) if photos else []
    deadline = hazard.deadline.isoformat() if hazard.deadline else "—"

    def below(lang: str) -> str:
        return t(lang, text_key, id=hazard.id, deadline=deadline, note=note)

    owner = await notify.person(session, ctx, hazard.owner_id)
    return await _announce(
        session, ctx, hazard, key, owner, below, now, policy, rows=buttons.fix_rows, photos=paths
    )


# -- the fix -----------------------------------------------------------------------------------


async def start_fix(
    session: AsyncSession,
    ctx: Context,
    hazard_id: int,
    round_: int,
    person: Person,
    now: dt.datetime,
) -> Result:
    """整改完成 pressed: the owner's "after" photos go into a submission of this round."""
    hazard = await _found(session, ctx, hazard_id, person, None, _at("open", round_))
    if isinstance(hazard, Result):
        return hazard
    if hazard.fix_submission_id is None:
        submission = await store.new_photo_submission(
            session, ctx.school_id, person.id, "after", now
        )
        submission.data = {"hazard_id": hazard.id, "stage": "after", "round": hazard.round}
        hazard.fix_submission_id = submission.id
    return Result(Outcome.DONE, hazard.id, hazard.status)


async def _fixing(
    session: AsyncSession,
    ctx: Context,
    hazard_id: int,
    person: Person,
    policy: HazardSettings | None = None,
) -> Hazard | Result:
    """The hazard its owner is fixing (整改完成 pressed); with the school's ``policy``, NEED_PHOTO
    when it asks for an "after" photo and none came."""
    hazard = await _found(
        session,
        ctx,
        hazard_id,
        person,
        None,
        lambda h: h.status == "open" and h.fix_submission_id is not None,
    )
    if isinstance(hazard, Result) or policy is None or not policy.fix_photo_required:
        return hazard
    if not await store.photo_count(session, hazard.fix_submission_id):
        return Result(Outcome.NEED_PHOTO, hazard.id, hazard.status)
    return hazard


async def add_fix_photo(
    session: AsyncSession,
    ctx: Context,
    hazard_id: int,
    person: Person,
    received: ReceivedFile,
    now: dt.datetime,
) -> Result:
    hazard = await _fixing(session, ctx, hazard_id, person)
    if isinstance(hazard, Result):
        return hazard
    assert hazard.fix_submission_id is not None
    store.add_photo(session, hazard.fix_submission_id, received, now)
    return Result(Outcome.DONE, hazard.id, hazard.status)


async def fix_photos_done(
    session: AsyncSession,
    ctx: Context,
    hazard_id: int,
    person: Person,
    policy: HazardSettings = DEFAULT_POLICY,
) -> Result:
    """The owner has sent the photos: NEED_PHOTO when the school asks for one and none came."""
    hazard = await _fixing(session, ctx, hazard_id, person, policy)
    if isinstance(hazard, Result):
        return hazard
    return Result(Outcome.DONE, hazard.id, hazard.status)


async def finish_fix(
    session: AsyncSession,
    ctx: Context,
    hazard_id: int,
    person: Person,
    note: str,
    now: dt.datetime,
    policy: HazardSettings = DEFAULT_POLICY,
) -> Result:
    """The fix with its note: the officers are asked to verify (复查验收), with the photos."""
    hazard = await _fixing(session, ctx, hazard_id, person, policy)
    if isinstance(hazard, Result):
        return hazard
    hazard.status, hazard.fixed_at, hazard.fix_note = "fixed", now, note
    event = await _step(
        session,
        ctx,
        person,
        "fixed",
        hazard,
        now,
        note=note,
        submission_id=hazard.fix_submission_id,
        logged={"note": note},
    )
    photos = await _photos(session, hazard.fix_submission_id)

    def below(lang: str) -> str:
        return t(lang, "hazard.verify_asked", owner=person.display_name, note=note)

    officers = notify.without(await notify.officers(session, ctx), person.id)
    await _announce(
        session,
        ctx,
        hazard,
        f"hz:{event.id}",
        officers,
        below,
        now,
        policy,
        rows=buttons.verify_rows,
        photos=photos,
    )
    return Result(Outcome.DONE, hazard.id, hazard.status)


# -- verification and sign-off -----------------------------------------------------------------


async def _verifying(
    session: AsyncSession,
    ctx: Context,
    hazard_id: int,
    round_: int,
    person: Person,
    *,
    lock: bool = True,
) -> Hazard | Result:
    """The hazard whose fix of this round this officer may verify now."""
    where = _at("fixed", round_)
    return await _found(session, ctx, hazard_id, person, OFFICERS, where, "verified_by", lock=lock)


async def may_verify(
    session: AsyncSession, ctx: Context, hazard_id: int, round_: int, person: Person
) -> Result:
    """Whether this officer may verify the fix of this round now (before asking a reason)."""
    hazard = await _verifying(session, ctx, hazard_id, round_, person, lock=False)
    if isinstance(hazard, Result):
        return hazard
    return Result(Outcome.DONE, hazard.id, hazard.status)


async def accept(
    session: AsyncSession,
    ctx: Context,
    hazard_id: int,
    round_: int,
    person: Person,
    now: dt.datetime,
    policy: HazardSettings = DEFAULT_POLICY,
) -> Result:
    """复查验收 passed: the principal is asked for the final sign-off; the owner is told."""
    hazard = await _verifying(session, ctx, hazard_id, round_, person)
    if isinstance(hazard, Result):
        return hazard
    hazard.status, hazard.verified_by, hazard.verified_at = "verified", person.id, now
    event = await _step(session, ctx, person, "verified", hazard, now)
    owner = await notify.name_of(session, hazard.owner_id)

    def below(lang: str) -> str:
        return t(
            lang, "hazard.sign_asked", owner=owner, note=hazard.fix_note, who=person.display_name
        )

    photos = await _photos(session, hazard.fix_submission_id)
    signers = await notify.signers(session, ctx)
    key = f"hz:{event.id}"
    await _announce(
        session,
        ctx,
        hazard,
        key,
        signers,
        below,
        now,
        policy,
        rows=buttons.sign_rows,
        photos=photos,
    )
    await notify.tell(
        session,
        ctx,
        f"{key}:owner",
        notify.without(await notify.person(session, ctx, hazard.owner_id), person.id),
        lambda lang: t(lang, "hazard.owner_accepted", id=hazard.id, who=person.display_name),
        now,
    )
    return Result(Outcome.DONE, hazard.id, hazard.status)


async def reject(
    session: AsyncSession,
    ctx: Context,
    hazard_id: int,
    round_: int,
    person: Person,
    reason: str,
    deadline: dt.date,
    now: dt.datetime,
    policy: HazardSettings = DEFAULT_POLICY,
) -> Result:
    """The fix is not accepted: back to the owner with the reason and a new deadline."""
    hazard = await _verifying(session, ctx, hazard_id, round_, person)
    if isinstance(hazard, Result):
        return hazard
    problem = deadline_problem(deadline, _today(now, ctx), policy)
    if problem is not None:
        return Result(problem, hazard_id, deadline=deadline)
    hazard.status, hazard.deadline, hazard.round = "open", deadline, hazard.round + 1
    hazard.fix_submission_id, hazard.fixed_at = None, None
    hazard.rejected += 1
    event = await _step(
        session,
        ctx,
        person,
        "rejected",
        hazard,
        now,
        note=reason,
        deadline=deadline,
        logged={"reason": reason, "deadline": deadline.isoformat()},
    )
    key = f"hz:{event.id}"
    await tell_owner(
        session, ctx, hazard, key, "hazard.owner_rejected", now, policy, note=reason, photos=False
    )
    owner = await notify.name_of(session, hazard.owner_id)
    return Result(Outcome.DONE, hazard.id, hazard.status, owner, deadline)


async def sign(
    session: AsyncSession,
    ctx: Context,
    hazard_id: int,
    round_: int,
    person: Person,
    now: dt.datetime,
) -> Result:
    """The principal's final sign-off (审核): the hazard is closed; the owner, the finder and
    the officers are told."""
    hazard = await _found(
        session, ctx, hazard_id, person, SIGNERS, _at("verified", round_), "signed_by"
    )
    if isinstance(hazard, Result):
        return hazard
    hazard.status, hazard.signed_by, hazard.signed_at = "closed", person.id, now
    event = await _step(session, ctx, person, "signed", hazard, now)
    told = await notify.person(session, ctx, hazard.owner_id)
    told += await notify.person(session, ctx, hazard.raised_by)
    told += await notify.officers(session, ctx)
    await notify.tell(
        session,
        ctx,
        f"hz:{event.id}",
        notify.without(notify.once(told), person.id),
        lambda lang: t(lang, "hazard.closed_told", id=hazard.id, who=person.display_name),
        now,
    )
    return Result(Outcome.DONE, hazard.id, hazard.status)


# -- reopening and the temporary measure ----------------------------------------------------------


async def reopen(
    session: AsyncSession,
    ctx: Context,
    hazard_id: int,
    person: Person,
    reason: str,
    now: dt.datetime,
    policy: HazardSettings = DEFAULT_POLICY,
) -> Result:
    """A closed hazard comes back (nothing is deleted): reported again, to be assigned."""
    hazard = await _found(session, ctx, hazard_id, person, OFFICERS, lambda h: h.status == "closed")
    if isinstance(hazard, Result):
        return hazard
    hazard.status, hazard.round, hazard.reopened = "reported", hazard.round + 1, hazard.reopened + 1
    hazard.deadline = hazard.listed_by = hazard.listed_at = None
    hazard.fix_submission_id = hazard.fixed_at = None
    hazard.verified_by = hazard.verified_at = hazard.signed_by = hazard.signed_at = None
    event = await _step(
        session, ctx, person, "reopened", hazard, now, note=reason, logged={"reason": reason}
    )

    def below(lang: str) -> str:
        line = t(lang, "hazard.reopened_told", who=person.display_name, reason=reason)
        return f"{line}\n{t(lang, 'hazard.assign_hint', id=hazard.id)}"

    officers = notify.without(await notify.officers(session, ctx), person.id)
    await _announce(session, ctx, hazard, f"hz:{event.id}", officers, below, now, policy)
    return Result(Outcome.DONE, hazard.id, hazard.status)


async def record_measure(
    session: AsyncSession,
    ctx: Context,
    hazard_id: int,
    person: Person,
    measure: str,
    now: dt.datetime,
) -> Result:
    """临时管控措施: what was done at once until the fix (cordoned off, gas valve shut …)."""
    hazard = await _found(session, ctx, hazard_id, person, LEADERS, lambda h: h.status != "closed")
    if isinstance(hazard, Result):
        return hazard
    hazard.measure = measure
    store.add_event(session, hazard, "measure", person.id, now, note=measure)
    _audit(session, ctx, person, "measure", hazard, now, measure=measure)
    return Result(Outcome.DONE, hazard.id, hazard.status)
