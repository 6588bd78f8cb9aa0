"""Who may invite whom (/invite, handlers/onboarding.py), and the invite made; joining by an
invite (/start), the private chat kept, a class group bound (/bind), the language chosen
(/lang): services that own their transaction and return an outcome the handler answers from.

An admin invites anyone; a head teacher invites the parents of their own class only (all of
them by the class's link, or one child's guardians with ``3-2 王小明``). A role held for a
unit (a class's head teacher or parents, a department's staff) needs the unit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from bot.core.settings import InviteSettings, Settings
from scheduler import privacy
from storage import audit, people, pupils
from storage.db import SessionFactory
from storage.models import Person, Unit

# A child's invite (/invite 家长 3-2 王小明) is for that child's guardians: two parents and
# a grandparent or two, not the whole class.
CHILD_INVITE_USES = 4


class Invitation(StrEnum):
    CREATED = "created"
    UNKNOWN_UNIT = "unknown_unit"  # ``asked`` names no class or department
    NEEDS_UNIT = "needs_unit"  # a class's or department's role, without one
    WRONG_UNIT = "wrong_unit"  # staff of a class (staff belong to departments)
    OTHER_CLASS = "other_class"  # a head teacher, for parents of a class not theirs
    PARENTS_ONLY = "parents_only"  # a head teacher, for anyone but parents


@dataclass(frozen=True)
class Invited:
    outcome: Invitation
    role: str = ""  # as made: "teacher" of a class is its head_teacher
    unit_name: str = ""
    asked: str = ""  # what was typed for the unit (UNKNOWN_UNIT), at most 40 characters
    own_classes: tuple[str, ...] = ()  # the head teacher's classes (OTHER_CLASS, PARENTS_ONLY)
    child: str = ""  # one child's guardians only
    token: str = ""
    expires_at: dt.datetime | None = None
    max_uses: int = 0


async def invite(
    sessions: SessionFactory,
    school_id: int,
    actor: Person,
    role: str,
    asked: str,
    now: dt.datetime,
    settings: InviteSettings,
) -> Invited:
    """``role`` one of people's roles (or "teacher"), ``asked`` the unit typed after it
    ("" for none; for parents it may end with a child's name)."""
    async with sessions.begin() as session:
        unit = await people.find_unit(session, school_id, asked) if asked else None
        child = ""
        named = asked.split(maxsplit=1)
        if unit is None and role == "parent" and len(named) == 2:
            unit = await people.find_unit(session, school_id, named[0])
            child = pupils.clean_name(named[1]) if unit is not None else ""
        if asked and unit is None:
            return Invited(Invitation.UNKNOWN_UNIT, asked=asked[:40])
        if role == "teacher" and unit is not None:
            role = "head_teacher"
        if role in people.UNIT_ROLES and unit is None:
            return Invited(Invitation.NEEDS_UNIT, role)
        if role == "staff" and unit is not None and unit.kind != "department":
            return Invited(Invitation.WRONG_UNIT, role)
        own = people.unit_ids_with_role(actor, "head_teacher")
        if not people.has_role(actor, "admin") and not (
            role == "parent" and unit is not None and unit.id in own
        ):
            classes = tuple(u.name for u in await people.units(session, school_id) if u.id in own)
            refusal = Invitation.OTHER_CLASS if role == "parent" else Invitation.PARENTS_ONLY
            return Invited(refusal, role, unit.name if unit else "", own_classes=classes)
        max_uses = settings.parent_max_uses if role == "parent" else settings.max_uses
        if child:
            max_uses = CHILD_INVITE_USES
        token, row = await people.create_invite(
            session,
            school_id,
            role,
            unit.id if unit else None,
            actor.id,
            now,
            dt.timedelta(hours=settings.ttl_hours),
            max_uses,
        )
        if child and unit is not None:
            pupil, _ = await pupils.find_or_add(session, school_id, unit, child, now)
            await pupils.name_child_on_invite(session, row, pupil)
        audit.record(
            session,
            school_id,
            actor.id,
            "invite.create",
            now,
            role=role,
            unit=unit.slug if unit else None,
            invite_id=row.id,
            max_uses=max_uses,
            **({"child": child} if child else {}),
        )
    return Invited(
        Invitation.CREATED,
        role,
        unit.name if unit else "",
        child=child,
        token=token,
        expires_at=row.expires_at,
        max_uses=max_uses,
    )


# -- joining: /start with an invite, /start, /bind, /lang (handlers/onboarding.py) -------------


class Joining(StrEnum):
    """What an invite's /start came to (``onb.invite.<value>`` names the refusals)."""

    OK = "ok"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED_UP = "used_up"
    REVOKED = "revoked"
    ALREADY = "already"  # joined with this role before (a second child's link: ``child_name``)


@dataclass(frozen=True)
class Joined:
    outcome: Joining
    person: Person | None = None  # OK, ALREADY
    role: str = ""  # OK: the invite's role
    unit_name: str = ""  # OK: the invite's unit
    child_name: str = ""  # the child the invite linked the person to
    child_unit: str = ""
    first_admin: bool = False  # OK: the setup code (made by nobody) made the first admin
    consent_asked: bool = False  # OK: a guardian reads the consent text (PIPL) first


async def join(
    sessions: SessionFactory,
    school_id: int,
    token: str,
    *,
    tg_user_id: int,
    name: str,
    username: str | None,
    tg_chat_id: int,
    now: dt.datetime,
    settings: Settings,
) -> Joined:
    """/start with an invite's token: the person made (or found) with the invite's role, the
    private chat remembered, audited; in a transaction of its own."""
    async with sessions.begin() as session:
        result = await people.redeem_invite(
            session, school_id, token[:64], tg_user_id, name, username, now
        )
        outcome = Joining(result.outcome.value)
        child = result.child
        child_name, child_unit = (child.name, child.unit_name) if child else ("", "")
        if outcome not in (Joining.OK, Joining.ALREADY):
            return Joined(outcome)
        person = result.person
        assert person is not None
        await people.remember_private_chat(session, school_id, person, tg_chat_id, now)
        if outcome is Joining.ALREADY:
            return Joined(outcome, person, child_name=child_name, child_unit=child_unit)
        invite = result.invite
        assert invite is not None
        audit.record(
            session,
            school_id,
            person.id,
            "joined",
            now,
            role=invite.role,
            invite_id=invite.id,
        )
        unit = await session.get(Unit, invite.unit_id) if invite.unit_id else None
        joined = Joined(
            outcome,
            person,
            invite.role,
            unit.name if unit else "",
            child_name,
            child_unit,
            first_admin=invite.role == "admin" and invite.created_by is None,
            consent_asked=privacy.on_join(person, invite.role, settings),
        )
    return joined


async def remember_chat(
    sessions: SessionFactory, school_id: int, person_id: int, tg_chat_id: int, now: dt.datetime
) -> None:
    """A registered person's /start: their private chat kept (and they reachable again)."""
    async with sessions.begin() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        await people.remember_private_chat(session, school_id, person, tg_chat_id, now)


class Binding(StrEnum):
    BOUND = "bound"
    NO_UNIT = "no_unit"  # no such class, or none given and not exactly one's own
    NOT_YOUR_CLASS = "not_your_class"  # a head teacher binding another class


@dataclass(frozen=True)
class Bound:
    outcome: Binding
    unit_name: str = ""


async def bind(
    sessions: SessionFactory,
    school_id: int,
    actor: Person,
    asked: str,
    *,
    tg_chat_id: int,
    kind: str,
    title: str,
    now: dt.datetime,
) -> Bound:
    """/bind in a group: the group becomes the class's (``asked``, or else the head
    teacher's one class), audited. An admin binds any class, a head teacher their own."""
    async with sessions.begin() as session:
        unit = None
        if asked:
            unit = await people.find_unit(session, school_id, asked[:40])
        else:
            own = people.unit_ids_with_role(actor, "head_teacher")
            if len(own) == 1:
                unit = await session.get(Unit, next(iter(own)))
        if unit is None:
            return Bound(Binding.NO_UNIT)
        if not people.has_role(actor, "admin") and unit.id not in people.unit_ids_with_role(
            actor, "head_teacher"
        ):
            return Bound(Binding.NOT_YOUR_CLASS, unit.name)
        await people.bind_group(session, school_id, tg_chat_id, kind, title, unit, actor, now)
        audit.record(
            session, school_id, actor.id, "group.bind", now, unit=unit.slug, chat_id=tg_chat_id
        )
        return Bound(Binding.BOUND, unit.name)


async def set_language(
    sessions: SessionFactory, school_id: int, person_id: int, language: str, now: dt.datetime
) -> None:
    """/lang: the person's language (None until chosen: the school's), audited."""
    async with sessions.begin() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        person.language = language
        audit.record(session, school_id, person_id, "lang.set", now, language=language)


def help_keys(person: Person) -> list[str]:
    """The sections of /help a person gets, by their roles (locale keys, in order)."""
    roles = people.role_names(person)
    sections = ["help.everyone"]
    if roles & {"teacher", "head_teacher", "staff", "guard", "safety_officer"}:
        sections.append("help.staff")
    if "head_teacher" in roles:
        sections.append("help.head_teacher")
    if roles & {"admin", "duty_leader"}:
        sections.append("help.leader")
    if "admin" in roles:
        sections.append("help.admin")
    if roles == {"parent"}:
        sections.append("help.parent")
    return sections
