"""Onboarding through the emulator: bootstrap, invites, joining, binding, refusals."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, select

from bot.core.clock import FakeClock
from bot.core.settings import Settings
from storage.models import AuditLog, Chat, Invite, Person, Role, Unit
from tests.e2e.harness import SimPerson, running_school, texts


async def test_admin_bootstraps_invites_and_people_join(
    settings: Settings, clock: FakeClock
) -> None:
    async with running_school(settings, clock) as school:
        admin = await school.admin("校长")
        assert "欢迎" in texts(await school.received(admin.chat_id))[0]
        teacher = await school.join("teacher", "三(2)班", "王老师")
        parent = await school.join("parent", "3-2", "家长甲")
        group = await school.class_group("3-2", teacher)
        assert any("三(2)班" in text for text in texts(await school.received(group)))

        stranger = school.user("陌生人")
        await school.say(stranger, "你好")
        assert "邀请链接" in texts(await school.received(stranger.chat_id))[-1]
        await school.say(parent, "/invite teacher 3-2")
        assert "没有使用这个命令的权限" in texts(await school.received(parent.chat_id))[-1]

        async with school.app.sessions() as session:
            roles = {
                (p.display_name, r.role, u.slug if u else None)
                for p, r, u in (
                    await session.execute(
                        select(Person, Role, Unit)
                        .join(Role, Role.person_id == Person.id)
                        .outerjoin(Unit, Unit.id == Role.unit_id)
                    )
                ).all()
            }
            chat = await session.scalar(select(Chat).where(Chat.tg_chat_id == group))
            persons = await session.scalar(select(func.count(Person.id)))
            invites = (await session.scalars(select(Invite))).all()
            actions = (await session.scalars(select(AuditLog.action))).all()
    assert roles == {
        ("校长", "admin", None),
        ("王老师", "head_teacher", "3-2"),
        ("家长甲", "parent", "3-2"),
    }
    assert persons == 3  # the stranger and the refused command left no trace
    assert chat is not None and chat.unit_id is not None
    assert all(len(i.token_hash) == 64 for i in invites)
    assert actions.count("invite.create") == 2 and "group.bind" in actions


async def test_bad_invites_are_refused_and_change_nothing(
    settings: Settings, clock: FakeClock
) -> None:
    async with running_school(settings, clock) as school:
        admin = await school.admin()
        token = await school.invite(admin, "teacher", "3-2")
        first = school.user("第一个")
        await school.say(first, f"/start {token}")
        second = school.user("第二个")
        await school.say(second, f"/start {token}")  # used up
        await school.say(second, "/start forged-token-that-does-not-exist")
        expiring = await school.invite(admin, "parent", "3-2")
        clock.advance(dt.timedelta(hours=settings.invites.ttl_hours + 1))
        await school.say(second, f"/start {expiring}")
        await school.say(second, "/start " + "x" * 300)
        replies = texts(await school.received(second.chat_id))
        async with school.app.sessions() as session:
            people = (await session.scalars(select(Person.display_name))).all()
    assert "已被使用" in replies[0] and "无效" in replies[1] and "过期" in replies[2]
    assert "无效" in replies[3]
    assert sorted(people) == sorted(["校长", "第一个"])


async def test_unknown_command_and_group_bind_refusals(
    settings: Settings, clock: FakeClock
) -> None:
    async with running_school(settings, clock) as school:
        admin = await school.admin()
        await school.say(admin, "/frobnicate")
        assert "没有这个命令" in texts(await school.received(admin.chat_id))[-1]
        teacher = await school.join("teacher", "3-2", "王老师")
        chat = school.world.create_group(
            "别的班", member_ids=[teacher.user_id], creator_id=teacher.user_id
        )
        school.world.add_bot_to_group(chat.id, by_user_id=teacher.user_id)
        await school.say(teacher, "/bind 4-1", chat=chat.id)
        assert "不是四(1)班的班主任" in texts(await school.received(chat.id))[-1]
        async with school.app.sessions() as session:
            bound = await session.scalar(
                select(func.count(Chat.id)).where(Chat.unit_id.is_not(None))
            )
    assert bound == 0


async def test_the_token_never_reaches_the_logs(
    settings: Settings, clock: FakeClock, caplog
) -> None:  # type: ignore[no-untyped-def]
    from bot.logs import setup_logging
    from bot.simulation import TOKEN

    root = logging.getLogger()
    level = root.level
    redact = setup_logging("DEBUG", secrets=[TOKEN])
    caplog.handler.addFilter(redact)
    caplog.set_level(logging.DEBUG)
    try:
        async with running_school(settings, clock) as school:
            admin = await school.admin()
            await school.say(admin, "/help")
    finally:
        root.setLevel(level)
        caplog.handler.removeFilter(redact)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged and TOKEN not in logged
    assert TOKEN.split(":")[1] not in logged


async def test_a_head_teacher_inviting_another_classs_parents_is_told_which_class_is_theirs(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock) as school:
        await school.admin()
        teacher = await school.join("teacher", "3-2", "王老师")
        english = await school.join("teacher", "3-3", "Ms Li")
        await school.say(english, "/lang en")

        async def reply(person: SimPerson, text: str) -> str:
            await school.say(person, text)
            return texts(await school.received(person.chat_id))[-1]

        other_class = await reply(teacher, "/invite parent 三(1)班")
        other_role = await reply(teacher, "/invite 保安")
        in_english = await reply(english, "/invite parent 3-1")
        async with school.app.sessions() as session:
            made = await session.scalar(
                select(func.count())
                .select_from(Invite)
                .where(Invite.created_by.in_([teacher.person_id, english.person_id]))
            )
    assert "没有使用这个命令的权限" not in other_class
    assert "三(1)班" in other_class and "三(2)班" in other_class and "家长" in other_class
    assert "没有使用这个命令的权限" not in other_role and "三(2)班" in other_role
    assert "三(3)班" in in_english and "parents" in in_english and "not allowed" not in in_english
    assert made == 0
