"""Children's data (个人信息保护法): a guardian's consent, /mydata, /forget and the daily
retention sweep (a tick job).

Decided: a guardian who joins by a class link while the school sets ``[privacy]
consent_text`` is kept as the link join made them (their name, Telegram account, private chat,
the class and child the link named) and marked ``consent_pending``; until they press 同意 they
get no notice (storage.notices leaves them out of every audience), and every message or button
of theirs is answered with the consent text only, nothing of it stored. 不同意 changes nothing:
they may /start again. A new ``consent_version`` asks again at a guardian's next message, but
does not stop their notices meanwhile (their earlier consent stands until they answer).
Guardians the school adds itself (an import) are not asked: the school holds their consent.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.callbacks import CallbackData
from bot.core.i18n import t
from bot.core.messages import Button
from bot.core.settings import Settings
from scheduler.routine import Context, TickContext
from storage import audit, people, privacy, pupils
from storage.db import SessionFactory, insert_ignore
from storage.models import Person, Role
from storage.privacy import RetentionRun

Rows = tuple[tuple[Button, ...], ...]


class Action(StrEnum):
    CONSENT = "yes"  # 同意 (the press's id is 0)
    DECLINE = "no"  # 不同意 (id 0)
    FORGET = "forget"  # an admin confirms /forget of a guardian (id: the person's)
    FORGET_PUPIL = "pupil"  # … of a pupil (id: the pupil's)


@dataclass(frozen=True)
class Press(CallbackData, prefix="privacy", legacy=("pv",)):
    """A privacy button: ``privacy:forget:12`` (sent as ``pv:forget:12`` before)."""

    action: Action
    person_id: int


def is_privacy_press(data: str | None) -> bool:
    """Data under the privacy buttons' prefix (valid or not): a guardian waiting for consent
    may press these, every other button gets the consent text."""
    head, colon, _ = (data or "").partition(":")
    return bool(colon) and head in (Press.prefix, *Press.legacy_prefixes)


# --- consent -------------------------------------------------------------------------------


def asks_consent(settings: Settings) -> bool:
    return bool(settings.privacy.consent_text.strip())


def on_join(person: Person, role: str, settings: Settings) -> bool:
    """A guardian joining by a class link: marked pending when the school asks consent and
    they have not given it for this text. True when the consent text is to be shown."""
    if role != "parent" or not asks_consent(settings):
        return False
    if person.consent_version == settings.privacy.consent_version:
        return False
    if person.consented_at is None:
        person.consent_pending = True
    return True


def waiting_for_consent(person: Person | None, settings: Settings) -> bool:
    """A guardian who must answer the consent text before anything else: one who joined by a
    link and has not consented, or consented to an earlier text."""
    if person is None or not asks_consent(settings):
        return False
    if person.consent_pending:
        return True
    return (
        person.consent_version is not None
        and person.consent_version != settings.privacy.consent_version
    )


def consent_message(settings: Settings, lang: str) -> tuple[str, Rows]:
    text = t(lang, "privacy.consent", text=settings.privacy.consent_text.strip())
    rows = (
        (
            Button(t(lang, "privacy.button.consent"), Press(Action.CONSENT, 0).pack()),
            Button(t(lang, "privacy.button.decline"), Press(Action.DECLINE, 0).pack()),
        ),
    )
    return text, rows


class Outcome(StrEnum):
    DONE = "done"
    ALREADY = "already"
    NOT_ALLOWED = "not_allowed"
    NOT_FOUND = "not_found"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class Consented:
    outcome: Outcome  # DONE, or ALREADY (a second press)
    person: Person | None = None  # as stored, with their roles: the welcome names their help


async def consent(
    sessions: SessionFactory,
    ctx: Context,
    person_id: int,
    settings: Settings,
    now: dt.datetime,
) -> Consented:
    """同意, in a transaction of its own."""
    async with sessions.begin() as session:
        outcome = await _consent(session, ctx, person_id, settings, now)
        person = await session.get(Person, person_id)
    return Consented(outcome, person)


async def _consent(
    session: AsyncSession, ctx: Context, person_id: int, settings: Settings, now: dt.datetime
) -> Outcome:
    """同意: the consent recorded with its time and the text's version (and in the log)."""
    person = await session.get(Person, person_id)
    assert person is not None
    version = settings.privacy.consent_version
    if not person.consent_pending and person.consent_version == version:
        return Outcome.ALREADY
    privacy.give_consent(person, version, now)
    audit.record(session, ctx.school_id, person.id, "privacy.consent", now, version=version)
    return Outcome.DONE


# --- /mydata -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    filename: str
    content: bytes


async def my_data(
    sessions: SessionFactory, ctx: Context, person_id: int, now: dt.datetime
) -> Export:
    """Everything stored about the person and their children, as one JSON file; the export
    is logged (in a transaction of its own)."""
    async with sessions.begin() as session:
        kept = await privacy.kept_about(session, ctx.school_id, person_id)
        audit.record(
            session,
            ctx.school_id,
            person_id,
            "privacy.export",
            now,
            guardian_id=person_id,
            children=len(kept["children"]),
            messages=len(kept["messages"]),
        )
    body = json.dumps(kept, ensure_ascii=False, indent=2, default=_plain(ctx))
    stamp = now.astimezone(ctx.tz).strftime("%Y%m%d")
    return Export(f"mydata_{person_id}_{stamp}.json", body.encode())


def _plain(ctx: Context) -> Any:
    def convert(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return value.astimezone(ctx.tz).isoformat(timespec="seconds")
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)

    return convert


# --- /forget -------------------------------------------------------------------------------


class Named(StrEnum):
    PUPIL = "pupil"  # 三(1)班 王小明: the one pupil of that name in that class
    GUARDIAN = "guardian"  # a guardian, by id or name
    AMBIGUOUS = "ambiguous"  # several guardians of that name
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class ToForget:
    """Whom ``/forget <words>`` names: what its confirm question shows."""

    outcome: Named
    target_id: int = 0  # the pupil's or the guardian's id
    name: str = ""
    unit_name: str = ""  # a pupil's class
    count: int = 0  # AMBIGUOUS: how many guardians have that name

    def rows(self, lang: str) -> Rows:
        """The confirm button (for PUPIL or GUARDIAN)."""
        action = Action.FORGET_PUPIL if self.outcome is Named.PUPIL else Action.FORGET
        return forget_rows(self.target_id, lang, action)


async def find_to_forget(sessions: SessionFactory, school_id: int, text: str) -> ToForget:
    """A pupil by class and name (三(1)班 王小明), or else a guardian by id or name."""
    async with sessions() as session:
        child = await _find_pupil(session, school_id, text)
        if child.outcome is Outcome.DONE:
            return ToForget(Named.PUPIL, child.pupil_id, child.name, child.unit_name)
        found = await _find_guardian(session, school_id, text)
    match found.outcome:
        case Outcome.DONE:
            assert found.person is not None
            return ToForget(Named.GUARDIAN, found.person.id, found.person.display_name)
        case Outcome.AMBIGUOUS:
            return ToForget(Named.AMBIGUOUS, count=found.count)
        case _:
            return ToForget(Named.NOT_FOUND)


@dataclass(frozen=True)
class Found:
    outcome: Outcome
    person: Person | None = None
    count: int = 0


async def _find_guardian(session: AsyncSession, school_id: int, text: str) -> Found:
    """A guardian (a person with a parent's role, not deleted) by their id (12, #12) or by
    their name in the bot."""
    query = (
        select(Person)
        .where(
            Person.school_id == school_id,
            Person.deleted_at.is_(None),
            Person.id.in_(select(Role.person_id).where(Role.role == "parent")),
        )
        .order_by(Person.id)
    )
    digits = text.strip().lstrip("#")
    if digits.isdigit() and len(digits) <= 9:
        query = query.where(Person.id == int(digits))
    else:
        query = query.where(func.lower(Person.display_name) == text.strip().lower())
    found = list((await session.scalars(query)).all())
    if not found:
        return Found(Outcome.NOT_FOUND)
    if len(found) > 1:
        return Found(Outcome.AMBIGUOUS, count=len(found))
    return Found(Outcome.DONE, found[0])


def forget_rows(person_id: int, lang: str, action: Action = Action.FORGET) -> Rows:
    return ((Button(t(lang, "privacy.button.forget"), Press(action, person_id).pack()),),)


@dataclass(frozen=True)
class FoundPupil:
    outcome: Outcome
    pupil_id: int = 0
    name: str = ""
    unit_name: str = ""


async def _find_pupil(session: AsyncSession, school_id: int, text: str) -> FoundPupil:
    """A pupil by class and name (三(1)班 王小明), still in the school."""
    class_text, _, name = text.strip().partition(" ")
    unit = await people.find_unit(session, school_id, class_text) if name.strip() else None
    if unit is None:
        return FoundPupil(Outcome.NOT_FOUND)
    found = list(
        (
            await session.scalars(
                select(pupils.Pupil).where(
                    pupils.Pupil.school_id == school_id,
                    pupils.Pupil.unit_id == unit.id,
                    pupils.Pupil.name == pupils.clean_name(name),
                    pupils.Pupil.active.is_(True),
                )
            )
        ).all()
    )
    if len(found) != 1:
        return FoundPupil(Outcome.AMBIGUOUS if found else Outcome.NOT_FOUND)
    return FoundPupil(Outcome.DONE, found[0].id, found[0].name, unit.name)


@dataclass(frozen=True)
class Forgot:
    outcome: Outcome
    counts: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


async def forget(
    sessions: SessionFactory,
    ctx: Context,
    actor: Person,
    action: Action,
    target_id: int,
    now: dt.datetime,
) -> Forgot:
    """/forget's confirm button (``FORGET`` a guardian, ``FORGET_PUPIL`` a pupil), in a
    transaction of its own; the photo files no row uses any more are deleted once it is
    committed."""
    async with sessions.begin() as session:
        if action is Action.FORGET_PUPIL:
            result = await _forget_pupil(session, ctx, actor, target_id, now)
        else:
            result = await _forget_guardian(session, ctx, actor, target_id, now)
    privacy.delete_files(result.files)
    return result


async def _forget_pupil(
    session: AsyncSession, ctx: Context, actor: Person, pupil_id: int, now: dt.datetime
) -> Forgot:
    """An admin removes a pupil (see storage.privacy.forget_pupil); logged without the name."""
    if not people.has_role(actor, "admin"):
        return Forgot(Outcome.NOT_ALLOWED)
    done = await privacy.forget_pupil(session, ctx.school_id, pupil_id, now)
    if done is None:
        return Forgot(Outcome.NOT_FOUND)
    counts = {"receipts": done.receipts, "guardians": done.children}
    audit.record(
        session, ctx.school_id, actor.id, "privacy.forget_pupil", now, pupil_id=pupil_id, **counts
    )
    return Forgot(Outcome.DONE, counts)


async def _forget_guardian(
    session: AsyncSession, ctx: Context, actor: Person, person_id: int, now: dt.datetime
) -> Forgot:
    """An admin deletes a guardian: their content removed, counts kept under 已删除 (see
    storage.privacy.forget); the deletion is logged, without the name. ``files``: the photo
    files to delete once committed (``storage.privacy.delete_files``)."""
    if not people.has_role(actor, "admin"):
        return Forgot(Outcome.NOT_ALLOWED)
    person = await session.get(Person, person_id)
    if person is None or person.school_id != ctx.school_id:
        return Forgot(Outcome.NOT_FOUND)
    if person.deleted_at is not None:
        return Forgot(Outcome.ALREADY)
    done = await privacy.forget(session, ctx.school_id, person_id, now)
    counts = {
        "messages": done.messages,
        "photos": done.photos,
        "receipts": done.receipts,
        "children": done.children,
    }
    audit.record(
        session, ctx.school_id, actor.id, "privacy.forget", now, guardian_id=person_id, **counts
    )
    return Forgot(Outcome.DONE, counts, done.files)


# --- the daily retention sweep (a tick job) ---------------------------------------------------


async def retention_sweep(tc: TickContext) -> int:
    """Once a day: photos and pupils' data older than ``[privacy] retention_days`` deleted,
    their files too, the run logged. Returns how many rows it deleted."""
    days = tc.settings.privacy.retention_days
    if days <= 0:
        return 0
    session, school_id = tc.session, tc.ctx.school_id
    connection = await session.connection()
    claim = insert_ignore(
        RetentionRun,
        [{"school_id": school_id, "day": tc.today, "photos": 0, "pupils": 0, "created_at": tc.now}],
        connection.dialect.name,
    )
    claimed = await connection.execute(claim)
    if not claimed.rowcount:  # type: ignore[attr-defined]
        return 0
    swept = await privacy.sweep(session, school_id, tc.now - dt.timedelta(days=days))
    run = await session.scalar(
        select(RetentionRun).where(
            RetentionRun.school_id == school_id, RetentionRun.day == tc.today
        )
    )
    assert run is not None
    run.photos, run.pupils = swept.photos, swept.pupils
    if swept.photos or swept.pupils or swept.receipts:
        audit.record(
            session,
            school_id,
            None,
            "privacy.retention",
            tc.now,
            retention_days=days,
            photos=swept.photos,
            pupils=swept.pupils,
            receipts=swept.receipts,
        )
    await session.flush()
    privacy.delete_files(swept.files)
    return swept.photos + swept.pupils + swept.receipts


TICK_JOBS = [retention_sweep]
