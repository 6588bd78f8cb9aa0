"""The admin command set through the emulator: what admins see, what others are refused."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.core.settings import Settings
from storage.models import AuditLog, CalendarOverride, School
from tests.conftest import local
from tests.e2e.harness import running_school, texts

ADMIN_COMMANDS = [
    "/today",
    "/plan 下周",
    "/calendar off 2026-11-27 运动会",
    "/pause 台风",
    "/resume",
    "/people",
    "/invite teacher 3-1",
]


async def test_non_admins_are_refused_every_admin_command(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock) as school:
        await school.admin()
        teacher = await school.join("teacher", "3-1", "班主任1")
        parent = await school.join("parent", "3-1", "家长1")
        for person in (teacher, parent):
            before = len(await school.received(person.chat_id))
            for command in ADMIN_COMMANDS:
                await school.say(person, command)
            replies = texts(await school.received(person.chat_id))[before:]
            assert len(replies) == len(ADMIN_COMMANDS)
            # A head teacher's /invite is told they invite only their own class's parents.
            refusals = ("没有使用这个命令的权限", "只能邀请本班")
            assert all(any(word in r for word in refusals) for r in replies), replies
        async with school.app.sessions() as session:
            actions = (await session.scalars(select(AuditLog.action))).all()
            school_row = await session.get(School, school.app.school_id)
            overrides = (await session.scalars(select(CalendarOverride))).all()
    assert set(actions) == {"invite.create", "joined"}  # no refused command left a trace
    assert school_row is not None and not school_row.paused and overrides == []


async def test_today_plan_calendar_pause_and_resume(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock) as school:
        admin = await school.admin()
        teachers = [await school.join("teacher", f"3-{n}", f"班主任{n}") for n in (1, 2)]
        groups = [
            await school.class_group(f"3-{n}", t) for n, t in zip((1, 2), teachers, strict=True)
        ]

        await school.say(admin, "/plan 下周")
        listing = texts(await school.received(admin.chat_id))[-1]
        assert "2026-11-30" in listing and "2026-12-06" in listing and "每周主题班会" in listing
        await school.say(admin, "/plan 哪天都行")
        assert "/plan 下周" in texts(await school.received(admin.chat_id))[-1]  # usage, no guess

        await school.say(admin, "/calendar off 2026-11-26 秋季运动会")
        await school.say(admin, "/calendar off 昨天 补录")
        replies = texts(await school.received(admin.chat_id))
        assert "停课" in replies[-2] and "不能调整已经过去的日期" in replies[-1]
        await school.say(admin, "/calendar")
        assert "2026-11-26 off 秋季运动会" in texts(await school.received(admin.chat_id))[-1]

        await school.at("2026-11-25 15:00")
        await school.say(admin, "/pause 台风停课")
        await school.at("2026-11-25 15:55")
        assert not any("1530" in t for g in groups for t in school.sent_texts(g))
        await school.say(admin, "/today")
        today = texts(await school.received(admin.chat_id))[-1]
        assert "推送已暂停：台风停课" in today and "等待中 4" in today
        assert "等待中: 三(1)班、三(2)班、三(3)班、三(4)班" in today
        await school.say(admin, "/resume")
        assert all(any("1530" in t for t in school.sent_texts(g)) for g in groups)

        prompt = [m for m in await school.received(groups[0]) if "1530" in (m.get("text") or "")][
            -1
        ]
        await school.press(
            teachers[0], groups[0], prompt["message_id"], school.last_button(prompt, "edu:")
        )
        await school.say(admin, "/today")
        assert "完成 1" in texts(await school.received(admin.chat_id))[-1]

        await school.at("2026-11-26 16:30")  # the day off: no prompts at all
        assert sum("1530" in t for g in groups for t in school.sent_texts(g)) == 2
        async with school.app.sessions() as session:
            actions = (await session.scalars(select(AuditLog.action).order_by(AuditLog.id))).all()
    assert [a for a in actions if a in ("calendar.off", "pause", "resume")] == [
        "calendar.off",
        "pause",
        "resume",
    ]


async def test_admins_hear_once_a_week_that_next_years_calendar_is_missing(
    small_school: Settings, clock: FakeClock
) -> None:
    clock.set(local("2026-11-30 08:00"))
    async with running_school(small_school, clock) as school:
        admin = await school.admin()
        await school.at("2026-11-30 09:00")  # November: nothing yet
        await school.at("2026-12-01 08:00")
        await school.at("2026-12-02 08:00")
        await school.at("2026-12-07 08:00")
        warnings = [t for t in texts(await school.received(admin.chat_id)) if "2027" in t]
    assert len(warnings) == 2 and "周末" in warnings[0] and "/calendar" in warnings[0]


async def test_help_per_command_and_usage_on_bad_arguments(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock) as school:
        admin = await school.admin()
        for command in (
            "/help today",
            "/help /calendar",
            "/help frobnicate",
            "/today 3/4",
            "/calendar sideways",
            "/invite wizard",
            "/lang fr",
        ):
            await school.say(admin, command)
        await school.say(admin, "/lang en")
        await school.say(admin, "/help pause")
        replies = school.sent_texts(admin.chat_id)[-9:]
    assert "/today [日期]" in replies[0] and "/calendar off" in replies[1]
    assert "没有关于「frobnicate」的帮助" in replies[2]
    assert (
        "2026年3月4日" in replies[3] and "/today [日期]" in replies[3]
    )  # ambiguous: both readings
    assert "用法" in replies[4] and "用法" in replies[5] and "/lang zh" in replies[6]
    assert replies[7].startswith("OK") and replies[8].startswith("/pause [reason]")


async def test_today_shows_every_routine_at_a_glance(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock) as school:
        admin = await school.admin()
        teacher = await school.join("teacher", "3-1", "班主任1")
        await school.at("2026-11-25 14:31")  # the zero-report prompts are out
        await school.press(
            teacher,
            teacher.chat_id,
            # 零报告: zero:<task>:zero (z:<task>:zero before the callback codec)
            *_button(await school.received(teacher.chat_id), ("zero:", "z:"), ":zero"),
        )
        await school.say(admin, "/today")
        today = school.sent_texts(admin.chat_id)[-1]
    assert "1530安全教育：完成 0" in today
    assert "日报告：已报告 1/7" in today and "未报告：三(2)班" in today
    assert "未处理的安全事件：0 起" in today
    assert "值班：今天没有排班" in today and "家长通知：没有进行中的通知" in today


def _button(messages: list[dict], prefix: str | tuple[str, ...], suffix: str) -> tuple[int, str]:  # type: ignore[type-arg]
    for message in reversed(messages):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data", "")
                if data.startswith(prefix) and data.endswith(suffix):
                    return message["message_id"], data
    raise LookupError(str(prefix))


async def test_today_shows_the_plan_before_the_days_tasks_are_made_and_for_tomorrow(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock) as school:
        admin = await school.admin()
        await school.say(admin, "/today")  # 08:00: no tick has made today's tasks yet
        today = school.sent_texts(admin.chat_id)[-1]
        await school.say(admin, "/today 明天")
        tomorrow = school.sent_texts(admin.chat_id)[-1]
        await school.say(admin, "/today 周六")
        saturday = school.sent_texts(admin.chat_id)[-1]
    assert "没有安排" not in today and "1530安全教育：完成 0，迟交 0，未完成 0，等待中 4" in today
    assert "每日1分钟 ×4" in today and "计划：14:30 班级日报告 ×4" in today
    assert tomorrow.startswith("📋 2026-11-26 概况") and "1530安全教育：计划 4 项" in tomorrow
    assert "每日1分钟 ×4" in tomorrow and "班级日报告 ×4" in tomorrow
    assert "2026-11-28" in saturday and "1530安全教育：当天没有安排" in saturday


async def test_date_commands_read_the_school_calendar_with_the_admins_own_days(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock) as school:  # Wednesday 2026-11-25, week 13
        admin = await school.admin()
        await school.say(admin, "/calendar off 下个上学日 停电")
        closed = school.sent_texts(admin.chat_id)[-1]
        await school.say(admin, "/today 下个上学日")
        next_school_day = school.sent_texts(admin.chat_id)[-1]
        await school.say(admin, "/today 周四下午")
        thursday = school.sent_texts(admin.chat_id)[-1]
        await school.say(admin, "/plan 第13周")
        week_13 = school.sent_texts(admin.chat_id)[-1]
        await school.say(admin, "/plan 下周四到周二")
        reversed_range = school.sent_texts(admin.chat_id)[-1]
    assert "2026-11-26" in closed
    assert next_school_day.startswith("📋 2026-11-27 概况")  # the 26th is now a day off
    assert thursday.startswith("📋 2026-11-26 概况")  # a part of the day: the day, no question
    assert "2026-11-23" in week_13 and "2026-11-29" in week_13
    assert "结束日期早于开始日期" in reversed_range and "例如" in reversed_range
