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
from collections.abc import Callable

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
from scheduler.routine import Context
from storage import audit
from storage import duty as people_named
from storage import hazards as store
from storage.hazards import Hazard, HazardEvent
from storage.models import Person
from storage.submissions import ReceivedFile

LEADERS = ("admin", "duty_leader", "safety_officer")  # may record a temporary measure


async def _hazard(session: AsyncSession, ctx: Context, hazard_id: int) -> Hazard | None:
    return await store.get(session, ctx.school_id, hazard_id, for_update=True)


def _stale(hazard: Hazard) -> Result:
    return Result(Outcome.STALE, hazard.id, hazard.status)


async def _under_card(
    session: AsyncSession, hazard: Hazard, policy: HazardSettings, below: Callable[[str], str]
) -> Callable[[str], str]:
    """A message's text per language: the hazard's card, then what this step says."""
    finder = await notify.name_of(session, hazard.raised_by)
    return lambda lang: f"{notify.card(hazard, lang, policy, finder)}\n\n{below(lang)}"


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
    if not may(person, OFFICERS):
        return Result(Outcome.NOT_ALLOWED, hazard_id)
    hazard = await _hazard(session, ctx, hazard_id)
    if hazard is None:
        return Result(Outcome.NOT_FOUND, hazard_id)
    if hazard.status not in ("reported", "assigned", "open"):
        return _stale(hazard)
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

    text = await _under_card(session, hazard, policy, below)

    await notify.tell(
        session,
        ctx,
        f"hz:{event.id}",
        await notify.signers(session, ctx),
        text,
        now,
        buttons=lambda lang: buttons.list_rows(hazard.id, hazard.round, lang),
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
    if not may(person, SIGNERS):
        return Result(Outcome.NOT_ALLOWED, hazard_id)
    hazard = await _hazard(session, ctx, hazard_id)
    if hazard is None:
        return Result(Outcome.NOT_FOUND, hazard_id)
    if hazard.status != "assigned" or hazard.round != round_:
        return Result(
            Outcome.STALE, hazard.id, hazard.status, await notify.name_of(session, hazard.listed_by)
        )
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
    paths = [a.path for a in await store.photos_of(session, hazard.submission_id)] if photos else []
    deadline = hazard.deadline.isoformat() if hazard.deadline else "—"

    def below(lang: str) -> str:
        return t(lang, text_key, id=hazard.id, deadline=deadline, note=note)

    text = await _under_card(session, hazard, policy, below)

    return await notify.tell(
        session,
        ctx,
        key,
        await notify.person(session, ctx, hazard.owner_id),
        text,
        now,
        buttons=lambda lang: buttons.fix_rows(hazard.id, hazard.round, lang),
        photos=paths,
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
    hazard = await _hazard(session, ctx, hazard_id)
    if hazard is None:
        return Result(Outcome.NOT_FOUND, hazard_id)
    if hazard.owner_id != person.id:
        return Result(Outcome.NOT_ALLOWED, hazard_id)
    if hazard.status != "open" or hazard.round != round_:
        return _stale(hazard)
    if hazard.fix_submission_id is None:
        submission = await store.new_photo_submission(
            session, ctx.school_id, person.id, "after", now
        )
        submission.data = {"hazard_id": hazard.id, "stage": "after", "round": hazard.round}
        hazard.fix_submission_id = submission.id
    return Result(Outcome.DONE, hazard.id, hazard.status)


async def _fixing(
    session: AsyncSession, ctx: Context, hazard_id: int, person: Person
) -> Hazard | Result:
    hazard = await _hazard(session, ctx, hazard_id)
    if hazard is None:
        return Result(Outcome.NOT_FOUND, hazard_id)
    if hazard.owner_id != person.id:
        return Result(Outcome.NOT_ALLOWED, hazard_id)
    if hazard.status != "open" or hazard.fix_submission_id is None:
        return _stale(hazard)
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
    hazard = await _fixing(session, ctx, hazard_id, person)
    if isinstance(hazard, Result):
        return hazard
    if policy.fix_photo_required and not await store.photo_count(session, hazard.fix_submission_id):
        return Result(Outcome.NEED_PHOTO, hazard.id, hazard.status)
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
    checked = await fix_photos_done(session, ctx, hazard_id, person, policy)
    if checked.outcome is not Outcome.DONE:
        return checked
    hazard = await _hazard(session, ctx, hazard_id)
    assert hazard is not None
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
    photos = [a.path for a in await store.photos_of(session, hazard.fix_submission_id)]

    def below(lang: str) -> str:
        return t(lang, "hazard.verify_asked", owner=person.display_name, note=note)

    text = await _under_card(session, hazard, policy, below)

    await notify.tell(
        session,
        ctx,
        f"hz:{event.id}",
        notify.without(await notify.officers(session, ctx), person.id),
        text,
        now,
        buttons=lambda lang: buttons.verify_rows(hazard.id, hazard.round, lang),
        photos=photos,
    )
    return Result(Outcome.DONE, hazard.id, hazard.status)


# -- verification and sign-off -----------------------------------------------------------------


async def may_verify(
    session: AsyncSession, ctx: Context, hazard_id: int, round_: int, person: Person
) -> Result:
    """Whether this officer may verify the fix of this round now (before asking a reason)."""
    if not may(person, OFFICERS):
        return Result(Outcome.NOT_ALLOWED, hazard_id)
    hazard = await store.get(session, ctx.school_id, hazard_id)
    if hazard is None:
        return Result(Outcome.NOT_FOUND, hazard_id)
    if hazard.status != "fixed" or hazard.round != round_:
        return Result(
            Outcome.STALE,
            hazard.id,
            hazard.status,
            await notify.name_of(session, hazard.verified_by),
        )
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
    checked = await may_verify(session, ctx, hazard_id, round_, person)
    if checked.outcome is not Outcome.DONE:
        return checked
    hazard = await _hazard(session, ctx, hazard_id)
    assert hazard is not None
    hazard.status, hazard.verified_by, hazard.verified_at = "verified", person.id, now
    event = await _step(session, ctx, person, "verified", hazard, now)
    owner = await notify.name_of(session, hazard.owner_id)

    def below(lang: str) -> str:
        return t(
            lang, "hazard.sign_asked", owner=owner, note=hazard.fix_note, who=person.display_name
        )

    text = await _under_card(session, hazard, policy, below)

    photos = [a.path for a in await store.photos_of(session, hazard.fix_submission_id)]
    await notify.tell(
        session,
        ctx,
        f"hz:{event.id}",
        await notify.signers(session, ctx),
        text,
        now,
        buttons=lambda lang: buttons.sign_rows(hazard.id, hazard.round, lang),
        photos=photos,
    )
    await notify.tell(
        session,
        ctx,
        f"hz:{event.id}:owner",
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
    checked = await may_verify(session, ctx, hazard_id, round_, person)
    if checked.outcome is not Outcome.DONE:
        return checked
    problem = deadline_problem(deadline, _today(now, ctx), policy)
    if problem is not None:
        return Result(problem, hazard_id, deadline=deadline)
    hazard = await _hazard(session, ctx, hazard_id)
    assert hazard is not None
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
    await tell_owner(
        session,
        ctx,
        hazard,
        f"hz:{event.id}",
        "hazard.owner_rejected",
        now,
        policy,
        note=reason,
        photos=False,
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
    if not may(person, SIGNERS):
        return Result(Outcome.NOT_ALLOWED, hazard_id)
    hazard = await _hazard(session, ctx, hazard_id)
    if hazard is None:
        return Result(Outcome.NOT_FOUND, hazard_id)
    if hazard.status != "verified" or hazard.round != round_:
        return Result(
            Outcome.STALE, hazard.id, hazard.status, await notify.name_of(session, hazard.signed_by)
        )
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
    if not may(person, OFFICERS):
        return Result(Outcome.NOT_ALLOWED, hazard_id)
    hazard = await _hazard(session, ctx, hazard_id)
    if hazard is None:
        return Result(Outcome.NOT_FOUND, hazard_id)
    if hazard.status != "closed":
        return _stale(hazard)
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

    text = await _under_card(session, hazard, policy, below)

    await notify.tell(
        session,
        ctx,
        f"hz:{event.id}",
        notify.without(await notify.officers(session, ctx), person.id),
        text,
        now,
    )
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
    if not may(person, LEADERS):
        return Result(Outcome.NOT_ALLOWED, hazard_id)
    hazard = await _hazard(session, ctx, hazard_id)
    if hazard is None:
        return Result(Outcome.NOT_FOUND, hazard_id)
    if hazard.status == "closed":
        return _stale(hazard)
    hazard.measure = measure
    store.add_event(session, hazard, "measure", person.id, now, note=measure)
    _audit(session, ctx, person, "measure", hazard, now, measure=measure)
    return Result(Outcome.DONE, hazard.id, hazard.status)
