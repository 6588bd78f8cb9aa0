"""Who may invite whom (scheduler/invites.py): an admin anyone, a head teacher the parents
of their own class; a refused invite makes nothing. Joining by an invite and binding a class
group, each a service with its own transaction."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.app import App
from scheduler import invites
from scheduler.invites import Invitation
from storage.models import AuditLog, Invite, Person
from tests.conftest import add_person, unit_by_slug


async def _invite(app: App, actor: Person, role: str, asked: str = "") -> invites.Invited:
    return await invites.invite(
        app.sessions, app.school_id, actor, role, asked, app.now(), app.settings.invites
    )


async def _invites_made(app: App) -> int:
    async with app.sessions() as session:
        return int(await session.scalar(select(func.count(Invite.id))) or 0)


async def test_an_admin_invites_a_classs_teacher_as_its_head_teacher_for_one_person(
    app: App,
) -> None:
    admin = await add_person(app, "校长", "admin", None, 6100)
    made = await _invite(app, admin, "teacher", "3-2")
    assert (made.outcome, made.role, made.unit_name) == (
        Invitation.CREATED,
        "head_teacher",
        "三(2)班",
    )
    assert made.max_uses == app.settings.invites.max_uses and made.token
    async with app.sessions() as session:
        logged = await session.scalar(select(AuditLog).where(AuditLog.action == "invite.create"))
    assert logged is not None and logged.detail["role"] == "head_teacher"


async def test_a_head_teacher_invites_the_parents_of_their_class_and_of_no_other(
    app: App,
) -> None:
    teacher = await add_person(app, "王老师", "head_teacher", await unit_by_slug(app, "3-2"), 6101)
    own = await _invite(app, teacher, "parent", "三(2)班")
    assert (own.outcome, own.max_uses) == (Invitation.CREATED, app.settings.invites.parent_max_uses)
    other = await _invite(app, teacher, "parent", "3-1")
    assert (other.outcome, other.unit_name, other.own_classes) == (
        Invitation.OTHER_CLASS,
        "三(1)班",
        ("三(2)班",),
    )
    guard = await _invite(app, teacher, "guard")
    assert (guard.outcome, guard.own_classes) == (Invitation.PARENTS_ONLY, ("三(2)班",))
    assert await _invites_made(app) == 1


async def test_one_childs_guardians_get_a_link_of_four_uses_naming_the_child(app: App) -> None:
    teacher = await add_person(app, "王老师", "head_teacher", await unit_by_slug(app, "3-2"), 6101)
    made = await _invite(app, teacher, "parent", "3-2 王小明")
    assert (made.outcome, made.child, made.max_uses) == (Invitation.CREATED, "王小明", 4)
    assert made.max_uses == invites.CHILD_INVITE_USES


async def test_a_wrong_unit_is_refused_politely_and_makes_nothing(app: App) -> None:
    admin = await add_person(app, "校长", "admin", None, 6100)
    unknown = await _invite(app, admin, "teacher", "九(9)班" + "x" * 60)
    assert (unknown.outcome, len(unknown.asked)) == (Invitation.UNKNOWN_UNIT, 40)
    assert (await _invite(app, admin, "parent")).outcome is Invitation.NEEDS_UNIT
    assert (await _invite(app, admin, "staff", "3-2")).outcome is Invitation.WRONG_UNIT
    assert await _invites_made(app) == 0


async def test_joining_by_an_invite_makes_the_person_once_and_a_second_start_is_already(
    app: App,
) -> None:
    admin = await add_person(app, "校长", "admin", None, 6100)
    made = await _invite(app, admin, "teacher", "3-2")

    async def join(tg_user_id: int) -> invites.Joined:
        return await invites.join(
            app.sessions,
            app.school_id,
            made.token,
            tg_user_id=tg_user_id,
            name="王老师",
            username=None,
            tg_chat_id=tg_user_id,
            now=app.now(),
            settings=app.settings,
        )

    joined = await join(6200)
    assert (joined.outcome, joined.role, joined.unit_name, joined.first_admin) == (
        invites.Joining.OK,
        "head_teacher",
        "三(2)班",
        False,
    )
    assert joined.person is not None
    assert invites.help_keys(joined.person) == ["help.everyone", "help.staff", "help.head_teacher"]
    assert (await join(6200)).outcome is invites.Joining.ALREADY
    assert (await join(6201)).outcome is invites.Joining.USED_UP  # one person's link
    bad = await invites.join(
        app.sessions,
        app.school_id,
        "no-such-token",
        tg_user_id=6202,
        name="?",
        username=None,
        tg_chat_id=6202,
        now=app.now(),
        settings=app.settings,
    )
    assert bad == invites.Joined(invites.Joining.UNKNOWN)
    async with app.sessions() as session:
        logged = await session.scalar(
            select(func.count(AuditLog.id)).where(AuditLog.action == "joined")
        )
    assert logged == 1


async def test_a_head_teacher_binds_their_own_class_group_and_no_other(app: App) -> None:
    teacher = await add_person(app, "王老师", "head_teacher", await unit_by_slug(app, "3-2"), 6101)

    async def bind(asked: str, chat: int) -> invites.Bound:
        return await invites.bind(
            app.sessions,
            app.school_id,
            teacher,
            asked,
            tg_chat_id=chat,
            kind="supergroup",
            title="三(2)班家长群",
            now=app.now(),
        )

    assert await bind("", -100) == invites.Bound(invites.Binding.BOUND, "三(2)班")
    assert await bind("3-1", -101) == invites.Bound(invites.Binding.NOT_YOUR_CLASS, "三(1)班")
    assert await bind("九(9)班", -102) == invites.Bound(invites.Binding.NO_UNIT)
    async with app.sessions() as session:
        binds = await session.scalar(
            select(func.count(AuditLog.id)).where(AuditLog.action == "group.bind")
        )
    assert binds == 1
