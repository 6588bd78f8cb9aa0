"""Who may invite whom (/invite, handlers/onboarding.py), and the invite made: one service
that owns its transaction and returns an outcome the handler answers from.

An admin invites anyone; a head teacher invites the parents of their own class only (all of
them by the class's link, or one child's guardians with ``3-2 王小明``). A role held for a
unit (a class's head teacher or parents, a department's staff) needs the unit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from bot.core.settings import InviteSettings
from storage import audit, people, pupils
from storage.db import SessionFactory
from storage.models import Person

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
