"""The school, its units, people, roles, chats and invites."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from storage import pupils
from storage.models import Chat, Invite, Person, Role, School, Unit

ROLES = (
    "admin",
    "duty_leader",
    "safety_officer",  # 安全员: assigns and verifies hazards (隐患)
    "teacher",
    "head_teacher",
    "guard",
    "staff",
    "parent",
)
# Roles that need a unit: a head teacher's or a parent's class, a staff member's department.
UNIT_ROLES = {"head_teacher", "parent", "staff"}


@dataclass(frozen=True)
class UnitSpec:
    kind: str  # class | department
    slug: str
    name: str
    grade: int | None = None


async def sync_school(
    session: AsyncSession,
    slug: str,
    name: str,
    timezone: str,
    units: Sequence[UnitSpec],
    now: dt.datetime,
) -> School:
    """Create or update the school and its units from config; units removed from config are
    deactivated, never deleted, so their history stays in the record book."""
    school = await session.scalar(select(School).where(School.slug == slug))
    if school is None:
        school = School(
            slug=slug, name=name, timezone=timezone, created_at=now, paused=False, paused_reason=""
        )
        session.add(school)
        await session.flush()
    school.name, school.timezone = name, timezone
    existing = {
        u.slug: u for u in await session.scalars(select(Unit).where(Unit.school_id == school.id))
    }
    for spec in units:
        unit = existing.pop(spec.slug, None)
        if unit is None:
            session.add(
                Unit(
                    school_id=school.id,
                    kind=spec.kind,
                    slug=spec.slug,
                    name=spec.name,
                    grade=spec.grade,
                    active=True,
                )
            )
        else:
            unit.kind, unit.name, unit.grade, unit.active = spec.kind, spec.name, spec.grade, True
    for unit in existing.values():
        unit.active = False
    await session.flush()
    return school


async def units(session: AsyncSession, school_id: int, kind: str | None = None) -> list[Unit]:
    query = select(Unit).where(Unit.school_id == school_id, Unit.active.is_(True))
    if kind:
        query = query.where(Unit.kind == kind)
    return list((await session.scalars(query.order_by(Unit.kind, Unit.grade, Unit.slug))).all())


async def find_unit(session: AsyncSession, school_id: int, text: str) -> Unit | None:
    """A unit by slug ('3-2') or display name ('三(2)班', full-width brackets too)."""
    wanted = normalize_unit_name(text)
    for unit in await units(session, school_id):
        if wanted in (unit.slug.lower(), normalize_unit_name(unit.name)):
            return unit
    return None


def normalize_unit_name(text: str) -> str:
    return text.strip().lower().replace("（", "(").replace("）", ")").replace(" ", "")


async def person_by_tg(session: AsyncSession, school_id: int, tg_user_id: int) -> Person | None:
    return await session.scalar(_BY_TG, {"w_school": school_id, "w_tg": tg_user_id})


# Built once, like the other statements every update runs (the sender of each update).
_BY_TG = select(Person).where(
    Person.school_id == bindparam("w_school"), Person.tg_user_id == bindparam("w_tg")
)


async def actor_by_tg(session: AsyncSession, school_id: int, tg_user_id: int) -> Person | None:
    """The sender of an update with their roles, detached, for reading only (to change the
    person, ``session.get`` it). One statement of plain rows: the ORM's loading of the
    person and its second query for the roles took twice as long (510 against 240 µs)."""
    rows = (await session.execute(_ACTOR_BY_TG, {"w_school": school_id, "w_tg": tg_user_id})).all()
    if not rows:
        return None
    first = rows[0]._mapping
    person = Person(**{name: first[column] for name, column in _PERSON_FIELDS})
    roles = [
        Role(**{name: row._mapping[column] for name, column in _ROLE_FIELDS})
        for row in rows
        if row._mapping[_ROLE.c.id] is not None
    ]
    person.roles = roles
    # As loaded by a query: no pending changes, so no session would write it back.
    for loaded in (person, *roles):
        make_transient_to_detached(loaded)
    return person


_PERSON, _ROLE = Person.__table__, Role.__table__
_PERSON_FIELDS = [(c.key, c) for c in _PERSON.c]
_ROLE_FIELDS = [(c.key, c) for c in _ROLE.c]
_ACTOR_BY_TG = (
    select(*_PERSON.c, *_ROLE.c)
    .select_from(_PERSON.outerjoin(_ROLE, _ROLE.c.person_id == _PERSON.c.id))
    .where(_PERSON.c.school_id == bindparam("w_school"), _PERSON.c.tg_user_id == bindparam("w_tg"))
    .order_by(_ROLE.c.id)
)


def role_names(person: Person) -> set[str]:
    return {r.role for r in person.roles}


def has_role(person: Person | None, *wanted: str) -> bool:
    return person is not None and any(r.role in wanted for r in person.roles)


def unit_ids_with_role(person: Person, *wanted: str) -> set[int]:
    return {r.unit_id for r in person.roles if r.role in wanted and r.unit_id is not None}


async def grant_role(
    session: AsyncSession, person: Person, role: str, unit_id: int | None, now: dt.datetime
) -> bool:
    """Add a role unless the person has it already (NULL units defeat a unique index)."""
    if any(r.role == role and r.unit_id == unit_id for r in person.roles):
        return False
    person.roles.append(Role(role=role, unit_id=unit_id, created_at=now))
    await session.flush()
    return True


async def people_with_role(
    session: AsyncSession, school_id: int, role: str, unit_id: int | None = None
) -> list[Person]:
    query = (
        select(Person)
        .join(Role, Role.person_id == Person.id)
        .where(Person.school_id == school_id, Role.role == role)
        .order_by(Person.id)
    )
    if unit_id is not None:
        query = query.where(Role.unit_id == unit_id)
    return list((await session.scalars(query.distinct())).all())


async def private_chats_with_role(
    session: AsyncSession, school_id: int, role: str
) -> list[tuple[int, str | None, int]]:
    """(person id, language, private chat) of everyone with the role and a reachable
    private chat, each person once, in the order of ``people_with_role``."""
    connection = await session.connection()
    rows = await connection.execute(_CHATS_WITH_ROLE, {"w_school": school_id, "w_role": role})
    return [(person_id, language, tg_chat_id) for person_id, language, tg_chat_id in rows.all()]


# From the role's index, not from every person of the school: with a thousand people and
# no admin yet, the join scanned them all for each alert (1.1 ms; this form 0.02 ms).
_CHATS_WITH_ROLE = (
    select(Person.id, Person.language, Chat.tg_chat_id)
    .join(Chat, (Chat.person_id == Person.id) & (Chat.kind == "private"))
    .where(
        Person.id.in_(select(Role.person_id).where(Role.role == bindparam("w_role"))),
        Person.school_id == bindparam("w_school"),
        Chat.unreachable.is_(False),
    )
    .order_by(Person.id)
)


async def count_admins(session: AsyncSession, school_id: int) -> int:
    return (
        await session.scalar(
            select(func.count(Role.id))
            .join(Person, Person.id == Role.person_id)
            .where(Person.school_id == school_id, Role.role == "admin")
        )
    ) or 0


# --- chats -------------------------------------------------------------------------------


async def remember_private_chat(
    session: AsyncSession, school_id: int, person: Person, tg_chat_id: int, now: dt.datetime
) -> Chat:
    chat = await chat_by_tg(session, school_id, tg_chat_id)
    if chat is None:
        chat = Chat(
            school_id=school_id,
            tg_chat_id=tg_chat_id,
            kind="private",
            title="",
            person_id=person.id,
            created_at=now,
            unreachable=False,
        )
        session.add(chat)
    chat.unreachable = False
    person.unreachable = False
    await session.flush()
    return chat


async def private_chat_of(session: AsyncSession, person_id: int) -> Chat | None:
    return await session.scalar(_PRIVATE_CHAT, {"w_person": person_id})


_PRIVATE_CHAT = select(Chat).where(Chat.person_id == bindparam("w_person"), Chat.kind == "private")


async def group_of_unit(session: AsyncSession, unit_id: int) -> Chat | None:
    return await session.scalar(
        select(Chat).where(Chat.unit_id == unit_id, Chat.kind != "private").order_by(Chat.id.desc())
    )


async def bind_group(
    session: AsyncSession,
    school_id: int,
    tg_chat_id: int,
    kind: str,
    title: str,
    unit: Unit,
    bound_by: Person,
    now: dt.datetime,
) -> Chat:
    chat = await chat_by_tg(session, school_id, tg_chat_id)
    if chat is None:
        chat = Chat(
            school_id=school_id, tg_chat_id=tg_chat_id, kind=kind, created_at=now, unreachable=False
        )
        session.add(chat)
    chat.title, chat.unit_id, chat.bound_by, chat.unreachable = (
        title[:128],
        unit.id,
        bound_by.id,
        False,
    )
    await session.flush()
    return chat


async def chat_by_tg(session: AsyncSession, school_id: int, tg_chat_id: int) -> Chat | None:
    """The school's chat: a parent in two schools has the same chat id with each school's
    bot, and a group may hold two schools' bots."""
    return await session.scalar(
        select(Chat).where(Chat.school_id == school_id, Chat.tg_chat_id == tg_chat_id)
    )


async def mark_unreachable(session: AsyncSession, school_id: int, tg_chat_id: int) -> Chat | None:
    """The school's bot was blocked in this chat: its chat and person, never another
    school's (whose bot the person may still use)."""
    chat = await chat_by_tg(session, school_id, tg_chat_id)
    if chat is not None:
        chat.unreachable = True
        if chat.person_id is not None:
            person = await session.get(Person, chat.person_id)
            if person is not None:
                person.unreachable = True
    return chat


# --- invites -----------------------------------------------------------------------------


class Redeem(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED_UP = "used_up"
    REVOKED = "revoked"
    ALREADY = "already"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    # 16 random bytes: 22 URL-safe characters, inside Telegram's 64-character /start payload.
    return secrets.token_urlsafe(16)


async def create_invite(
    session: AsyncSession,
    school_id: int,
    role: str,
    unit_id: int | None,
    created_by: int | None,
    now: dt.datetime,
    ttl: dt.timedelta,
    max_uses: int,
) -> tuple[str, Invite]:
    """Returns the token (shown once, never stored) and the invite row."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    token = new_token()
    invite = Invite(
        school_id=school_id,
        token_hash=hash_token(token),
        role=role,
        unit_id=unit_id,
        created_by=created_by,
        created_at=now,
        expires_at=now + ttl,
        max_uses=max_uses,
        uses=0,
        revoked=False,
    )
    session.add(invite)
    await session.flush()
    return token, invite


@dataclass(frozen=True)
class RedeemResult:
    outcome: Redeem
    person: Person | None = None
    invite: Invite | None = None
    # The child the invite names, now linked to the person (storage/pupils.py): a parent
    # already in the class opens a second child's invite (ALREADY, and that child linked).
    child: pupils.Child | None = None


async def redeem_invite(
    session: AsyncSession,
    school_id: int,
    token: str,
    tg_user_id: int,
    display_name: str,
    username: str | None,
    now: dt.datetime,
) -> RedeemResult:
    invite = await session.scalar(
        select(Invite)
        .where(Invite.token_hash == hash_token(token), Invite.school_id == school_id)
        .with_for_update()
    )
    if invite is None:
        return RedeemResult(Redeem.UNKNOWN)
    if invite.revoked:
        return RedeemResult(Redeem.REVOKED, invite=invite)
    if invite.expires_at <= now:
        return RedeemResult(Redeem.EXPIRED, invite=invite)
    person = await person_by_tg(session, school_id, tg_user_id)
    if person is not None and any(
        r.role == invite.role and r.unit_id == invite.unit_id for r in person.roles
    ):
        child = await pupils.link_invited_child(session, school_id, invite, person, now)
        return RedeemResult(Redeem.ALREADY, person=person, invite=invite, child=child)
    if invite.uses >= invite.max_uses:
        return RedeemResult(Redeem.USED_UP, invite=invite)
    if person is None:
        person = Person(
            school_id=school_id,
            display_name=display_name[:100],
            tg_user_id=tg_user_id,
            tg_username=username,
            language=None,  # the school's until they choose with /lang
            unreachable=False,
            created_at=now,
            roles=[],
        )
        session.add(person)
        await session.flush()
    invite.uses += 1
    await grant_role(session, person, invite.role, invite.unit_id, now)
    child = await pupils.link_invited_child(session, school_id, invite, person, now)
    return RedeemResult(Redeem.OK, person=person, invite=invite, child=child)
