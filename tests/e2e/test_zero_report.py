"""A school day of daily reports through the emulator: 24 classes and 3 departments answer,
two incidents come in (one urgent, with an album of two photos), two units never answer.
Then a restart in the middle of an incident conversation, and bad input at every step."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.clock import FakeClock
from bot.core.settings import Settings
from emulator.models import CallbackRecord
from storage import zero_report as incidents
from storage.models import Attachment, Inbound, Submission, Task, Unit
from tests.conftest import settings_for
from tests.e2e.harness import SimPerson, SimulatedSchool, running_school, texts

PHOTO_1 = b"\xff\xd8\xff\xe0" + b"water-on-stairs" * 300
PHOTO_2 = b"\xff\xd8\xff\xe0" + b"broken-railing" * 300
DEPARTMENTS = {"canteen": "食堂张师傅", "general": "总务王师傅", "guard": "门卫李师傅"}
_forged_ids = itertools.count(1)
_album_ids = itertools.count(1)


@pytest.fixture
def whole_school(routines_off: Callable[..., Settings]) -> Settings:
    """The shipped school (24 classes, 3 departments); the 1530 routine and the inspections
    are off so that every message in these chats is the daily report's."""
    return routines_off("education", "inspections")


async def staff_the_school(school: SimulatedSchool) -> dict[str, SimPerson]:
    """A head teacher per class, one person per department; keyed by unit slug."""
    units = {
        c.slug: await school.join("teacher", c.slug, f"班主任{c.slug}")
        for c in school.settings.classes
    }
    for slug, name in DEPARTMENTS.items():
        units[slug] = await school.join("staff", slug, name)
    return units


def sha256_of_file(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


async def last_text(school: SimulatedSchool, person: SimPerson) -> str:
    return texts(await school.received(person.chat_id))[-1]


async def latest(school: SimulatedSchool, person: SimPerson, needle: str) -> dict[str, Any]:
    """The newest message to the person containing ``needle`` (edits included)."""
    for message in reversed(await school.received(person.chat_id)):
        if needle in (message.get("text") or ""):
            return message
    raise LookupError(f"{person.name} has no message with {needle!r}")


async def prompt_of(school: SimulatedSchool, person: SimPerson) -> dict[str, Any]:
    for message in reversed(await school.received(person.chat_id)):
        if "今日安全情况报告" in (message.get("text") or "") and message.get("reply_markup"):
            return message
    raise LookupError(f"{person.name} has no daily-report prompt")


def button(message: dict[str, Any], suffix: str) -> str:
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for key in row:
            if key.get("callback_data", "").endswith(suffix):
                return str(key["callback_data"])
    raise LookupError(f"no button ending in {suffix!r} in {message.get('text')!r}")


async def press(
    school: SimulatedSchool, person: SimPerson, message: dict[str, Any], suffix: str
) -> str:
    """Press a button of a message in the person's private chat; returns the bot's answer
    to the press (the pop-up text), '' when it answered silently."""
    query = school.world.press_button(
        person.user_id, person.chat_id, message["message_id"], button(message, suffix)
    )
    await school.settle()
    answer = school.world.callbacks[query["id"]].answer or {}
    return str(answer.get("text") or "")


async def forged_press(
    school: SimulatedSchool, person: SimPerson, message: dict[str, Any], data: str
) -> str:
    """A press carrying another message's callback id (a forwarded prompt, a modified
    client): Telegram would deliver it, so the bot must check who presses what."""
    world = school.world
    bot = world.bot()
    query = {
        "id": str(4_300_000_000_000_000_000 + next(_forged_ids)),
        "from": world.user(person.user_id).to_api(),
        "message": world.chat(person.chat_id).messages[message["message_id"]].data,
        "chat_instance": world.chat(person.chat_id).instance,
        "data": data,
    }
    world.callbacks[query["id"]] = CallbackRecord(
        query=query,
        bot_id=bot.id,
        chat_id=person.chat_id,
        message_id=message["message_id"],
        created_at=world.clock(),
    )
    world._enqueue(bot, "callback_query", query)  # noqa: SLF001 - no public way to forge
    await school.settle()
    return str((world.callbacks[query["id"]].answer or {}).get("text") or "")


async def report_incident(
    school: SimulatedSchool,
    person: SimPerson,
    text: str,
    place: str,
    severity: str,
    photos: list[bytes],
) -> dict[str, Any]:
    """Through the 有情况 conversation up to the summary; returns the summary message."""
    await press(school, person, await prompt_of(school, person), ":inc")
    assert "第1步" in await last_text(school, person)
    await school.say(person, text)
    assert "第2步" in await last_text(school, person)
    await school.say(person, place)
    severity_question = (await school.received(person.chat_id))[-1]
    assert "第3步" in severity_question["text"]
    await press(school, person, severity_question, f":{severity}")
    assert "第4步" in await last_text(school, person)
    # Telegram's album ids are unique; the bot remembers answered ones for the process's life.
    album = f"album-{next(_album_ids)}" if len(photos) > 1 else None
    for photo in photos:
        await school.photo(person, photo, media_group_id=album)
    done = [m for m in await school.received(person.chat_id) if m.get("reply_markup")][-1]
    await press(school, person, done, ":done")
    summary = (await school.received(person.chat_id))[-1]
    assert "请确认情况报告" in summary["text"]
    return summary


async def wait_for(
    school: SimulatedSchool, chat_id: int, needle: str, timeout_s: float = 10.0
) -> float:
    """Real seconds until a message containing ``needle`` reaches the chat."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if any(needle in t for t in texts(await school.received(chat_id))):
            return time.monotonic() - started
        await asyncio.sleep(0.01)
    raise TimeoutError(f"{needle!r} never reached chat {chat_id}")


@pytest.mark.stock_sqlite_too
@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_a_school_day_of_daily_reports(
    whole_school: Settings, clock: FakeClock, webhook: bool
) -> None:
    async with running_school(whole_school, clock, webhook=webhook) as school:
        principal = await school.admin("校长")
        leader = await school.join("leader", None, "赵主任")
        units = await staff_the_school(school)
        await school.at("2026-11-25 14:29")
        assert not any(
            "今日安全情况报告" in t for t in texts(await school.received(units["3-2"].chat_id))
        )
        await school.at("2026-11-25 14:30")
        prompts = {slug: await prompt_of(school, person) for slug, person in units.items()}
        assert "三(2)班" in prompts["3-2"]["text"] and "15:30" in prompts["3-2"]["text"]

        never = {"5-3", "guard"}
        with_incident = {"3-2", "canteen"}
        await school.at("2026-11-25 14:35")
        for slug in sorted(set(units) - never - with_incident):
            assert await press(school, units[slug], prompts[slug], ":zero") == ""
        answered = (await school.received(units["1-1"].chat_id))[-1]
        assert "零报告已提交" in answered["text"]
        assert button(answered, ":inc") and ":zero" not in str(answered["reply_markup"])

        # 三(2)班: urgent, with an album of two photos; the alert leaves at once.
        await school.at("2026-11-25 14:50")
        summary = await report_incident(
            school,
            units["3-2"],
            "楼梯有积水，一名学生滑倒",
            "教学楼二楼楼梯",
            "urgent",
            [PHOTO_1, PHOTO_2],
        )
        assert "照片：2 张" in summary["text"] and "紧急" in summary["text"]
        school.world.press_button(
            units["3-2"].user_id,
            units["3-2"].chat_id,
            summary["message_id"],
            button(summary, ":send"),
        )
        seconds = await wait_for(school, leader.chat_id, "【紧急情况】")
        assert seconds < 3.0
        await wait_for(school, principal.chat_id, "【紧急情况】")
        await school.settle()
        assert "已立即通知值班领导和学校管理员" in await last_text(school, units["3-2"])

        # 食堂: a normal incident without photos, severity typed instead of pressed.
        await press(school, units["canteen"], prompts["canteen"], ":inc")
        await school.say(units["canteen"], "冷库温度偏高")
        await school.say(units["canteen"], "食堂后厨")
        await school.say(units["canteen"], "一般")
        photos_step = (await school.received(units["canteen"].chat_id))[-1]
        await press(school, units["canteen"], photos_step, ":done")
        summary = (await school.received(units["canteen"].chat_id))[-1]
        await press(school, units["canteen"], summary, ":send")
        assert "已通知值班领导" in await last_text(school, units["canteen"])

        await school.at("2026-11-25 15:30")  # reminders: exactly the two that never answered
        reminded = {
            slug
            for slug, person in units.items()
            if any("⏰" in t for t in texts(await school.received(person.chat_id)))
        }
        assert reminded == never

        await school.at("2026-11-25 16:30")  # one alert to the duty leader, naming them
        alerts = [t for t in texts(await school.received(leader.chat_id)) if "尚未报告" in t]
        assert len(alerts) == 1
        assert (
            "五(3)班（负责人：班主任5-3）" in alerts[0]
            and "门卫室（负责人：门卫李师傅）" in alerts[0]
        )
        assert "三(2)班" not in alerts[0] and "食堂" not in alerts[0]

        await school.at("2026-11-25 17:30")  # the roll-up to the principal
        rollups = [t for t in texts(await school.received(principal.chat_id)) if "日报告汇总" in t]
        assert len(rollups) == 1
        rollup = rollups[0]
        assert "已报告 25/27 个单位" in rollup and "零报告：23 个" in rollup
        assert "有情况：2 起（2 个单位）" in rollup and "未报告：2 个" in rollup
        assert "三(2)班 [紧急·未处理]" in rollup and "食堂 [一般·未处理]" in rollup
        assert "五(3)班（负责人：班主任5-3）" in rollup
        await school.at("2026-11-25 18:00")
        assert sum("日报告汇总" in t for t in texts(await school.received(principal.chat_id))) == 1

        # The duty leader's alerts carry the photos; the leader marks the incident handled.
        leader_messages = await school.received(leader.chat_id)
        assert sum(1 for m in leader_messages if m.get("photo")) == 2
        assert sum("【情况报告】" in t and "冷库" in t for t in texts(leader_messages)) == 1
        async with school.app.sessions() as session:
            urgent = await session.scalar(
                select(incidents.Incident).where(incidents.Incident.severity == "urgent")
            )
            assert urgent is not None
            photos = await incidents.photos(session, urgent)
        await school.say(leader, f"/incident {urgent.id} done 已清理积水，学生无碍")
        assert f"情况 #{urgent.id} 已标记为已处理" in await last_text(school, leader)
        assert "已清理积水" in await last_text(school, units["3-2"])
        await school.say(leader, "/zero")
        grid = await last_text(school, leader)
        assert "已报告 25/27" in grid and "⏳ 五(3)班 未报告" in grid and "已处理" in grid

        async with school.app.sessions() as session:
            statuses = dict(
                (
                    await session.execute(
                        select(Unit.slug, Task.status)
                        .join(Unit, Unit.id == Task.unit_id)
                        .where(Task.routine == "zero_report")
                    )
                ).all()
            )
        stats = school.world.stats
    assert sorted(slug for slug, status in statuses.items() if status == "escalated") == sorted(
        never
    )
    assert sum(status == "done" for status in statuses.values()) == 25
    # Both photos stored under their sha256 and linked to the incident.
    assert [p.sha256 for p in photos] == [
        hashlib.sha256(PHOTO_1).hexdigest(),
        hashlib.sha256(PHOTO_2).hexdigest(),
    ]
    assert all(sha256_of_file(p.path) == p.sha256 for p in photos)
    # By webhook, every press is answered in the webhook's response, and so is every message
    # of the two conversations (text, place, the album, a typed severity): no call of its own.
    answers = stats.requests["answerCallbackQuery"]
    expected = {"answerCallbackQuery": answers, "sendMessage": 6} if webhook else {}
    assert answers >= 25 and stats.webhook_replies == expected


@pytest.fixture
def two_classes(shipped_settings: Settings, database_url: str, tmp_path: Path) -> Settings:
    classes = [{"slug": f"3-{n}", "name": f"三({n})班", "grade": 3} for n in (1, 2)]
    return settings_for(
        shipped_settings,
        database_url,
        tmp_path,
        classes=classes,
        departments=[],
        education__enabled=False,
        inspections__checks=[],  # the shipped checks name the departments
    )


@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_a_restart_in_the_middle_of_an_incident_resumes_it(
    two_classes: Settings, clock: FakeClock, webhook: bool
) -> None:
    async with running_school(two_classes, clock, webhook=webhook) as school:
        await school.admin("校长")
        leader = await school.join("leader", None, "赵主任")
        teacher = await school.join("teacher", "3-1", "王老师")
        await school.at("2026-11-25 14:30")
        await press(school, teacher, await prompt_of(school, teacher), ":inc")
        await school.say(teacher, "走廊灯坏了，比较暗")
        assert "第2步" in await last_text(school, teacher)

        await school.restart()  # the bot process goes away and comes back
        await school.say(teacher, "三楼东侧走廊")
        question = (await school.received(teacher.chat_id))[-1]
        assert "第3步" in question["text"]  # resumed where it was, not "not understood"
        await press(school, teacher, question, ":serious")
        await school.photo(teacher, PHOTO_1)
        await school.restart()
        await school.photo(teacher, PHOTO_2)
        done = [m for m in await school.received(teacher.chat_id) if m.get("reply_markup")][-1]
        await press(school, teacher, done, ":done")
        summary = (await school.received(teacher.chat_id))[-1]
        assert "走廊灯坏了" in summary["text"] and "三楼东侧走廊" in summary["text"]
        assert "较重" in summary["text"] and "照片：2 张" in summary["text"]
        await school.restart()
        await press(school, teacher, summary, ":send")
        assert "已通知值班领导" in await last_text(school, teacher)
        assert any("走廊灯坏了" in t for t in texts(await school.received(leader.chat_id)))


@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_a_crash_keeps_the_update_and_says_so(
    two_classes: Settings, clock: FakeClock, webhook: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_school(two_classes, clock, webhook=webhook) as school:
        await school.admin("校长")
        teacher = await school.join("teacher", "3-1", "王老师")
        await school.at("2026-11-25 14:30")
        prompt = await prompt_of(school, teacher)

        async def broken(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("the database went away")

        monkeypatch.setattr("scheduler.zero_report.answer_zero", broken)
        alert = await press(school, teacher, prompt, ":zero")
        async with school.app.sessions() as session:
            kept = (await session.scalars(select(Inbound).where(Inbound.error.is_not(None)))).all()
        stats = school.world.stats
    assert alert == "抱歉，处理时出错了，消息已保存，管理员会查看。"
    assert [row.payload["callback_query"]["data"] for row in kept] == [button(prompt, ":zero")]
    # Kept with its error, and handled: the next start does not run it (and crash) again.
    assert kept[0].tg_user_id == teacher.user_id and kept[0].handled
    assert kept[0].error == "RuntimeError: the database went away"
    # Answered, not failed: Telegram would otherwise deliver it again, and crash again.
    assert (stats.webhook_failures, stats.webhook_dropped) == (0, 0)


async def test_bad_input_at_every_step_gets_an_answer_and_changes_nothing(
    two_classes: Settings, clock: FakeClock
) -> None:
    async with running_school(two_classes, clock) as school:
        await school.admin("校长")
        await school.join("leader", None, "赵主任")
        teacher = await school.join("teacher", "3-1", "王老师")
        other = await school.join("teacher", "3-2", "李老师")
        parent = await school.join("parent", "3-1", "家长1")
        await school.at("2026-11-25 14:30")
        prompt = await prompt_of(school, teacher)
        task_button = button(prompt, ":zero")

        async def stored() -> tuple[int, int, int, int]:
            async with school.app.sessions() as session:
                return (
                    await session.scalar(select(func.count(Submission.id))) or 0,
                    await session.scalar(select(func.count(Attachment.id))) or 0,
                    await session.scalar(
                        select(func.count(incidents.Incident.id)).where(
                            incidents.Incident.status != "draft"
                        )
                    )
                    or 0,
                    await session.scalar(
                        select(func.count(Task.id)).where(Task.status.in_(("done", "late")))
                    )
                    or 0,
                )

        before = await stored()
        # A parent tries /report; another class's teacher presses 三(1)班's buttons.
        await school.say(parent, "/report")
        assert "只有班主任和部门负责人可以提交日报告" in await last_text(school, parent)
        other_prompt = await prompt_of(school, other)
        assert "只有三(1)班的负责人" in await forged_press(school, other, other_prompt, task_button)
        inc_button = task_button.replace(":zero", ":inc")
        assert "只有三(1)班的负责人" in await forged_press(school, other, other_prompt, inc_button)
        assert await stored() == before

        # Bad input at each step of the conversation.
        await press(school, teacher, prompt, ":inc")
        drafts_before = await stored()
        await school.sticker(teacher)
        assert "请用文字描述" in await last_text(school, teacher)
        await school.photo(teacher, PHOTO_1)
        assert "请用文字描述" in await last_text(school, teacher)
        await school.say(teacher, "很" * 4096)  # Telegram's longest message
        assert "描述太长了（最多 1000 字）" in await last_text(school, teacher)
        await school.say(teacher, "学生在操场扭伤脚踝")
        await school.sticker(teacher)
        assert "请用文字写出地点" in await last_text(school, teacher)
        await school.say(teacher, "场" * 500)
        assert "地点写得太长了" in await last_text(school, teacher)
        await school.say(teacher, "操场")
        severity_question = (await school.received(teacher.chat_id))[-1]
        await school.say(teacher, "非常非常严重")
        hint = (await school.received(teacher.chat_id))[-1]
        assert "请点按钮选择严重程度" in hint["text"]
        await school.sticker(teacher)
        assert "请点按钮选择严重程度" in await last_text(school, teacher)
        await press(school, teacher, severity_question, ":general")
        photos_step = await latest(school, teacher, "第4步")
        assert "程度：一般 ✓" in photos_step["text"]
        assert "这一步已经过去了" in await press(school, teacher, hint, ":urgent")
        await school.sticker(teacher)
        assert "以「照片」方式发送" in await last_text(school, teacher)
        await school.send_document(teacher, PHOTO_1, "scene.jpg")
        assert "以「照片」方式发送" in await last_text(school, teacher)
        await school.say(teacher, "照片稍后发")
        assert "以「照片」方式发送" in await last_text(school, teacher)
        await press(school, teacher, photos_step, ":done")
        summary = await latest(school, teacher, "请确认情况报告")
        await school.say(teacher, "好的")
        assert "请点「确认提交」或「取消」" in await last_text(school, teacher)
        assert await stored() == drafts_before  # nothing submitted, no photo kept
        async with school.app.sessions() as session:
            draft = await session.scalar(select(incidents.Incident))
        assert draft is not None and draft.status == "draft" and draft.severity == "general"
        assert (draft.text, draft.place) == ("学生在操场扭伤脚踝", "操场")

        # /cancel works at the last step too; the summary's buttons are then dead.
        await school.say(teacher, "/cancel")
        assert "已取消" in await last_text(school, teacher)
        assert "已经提交或取消" in await press(school, teacher, summary, ":send")
        assert await stored() == drafts_before

        # The next day, yesterday's button is closed.
        await school.at("2026-11-26 09:00")
        assert "往日的报告" in await press(school, teacher, prompt, ":zero")
        assert await stored() == drafts_before
        # /zero is for admins and duty leaders; a bad date gets the date help.
        await school.say(teacher, "/zero")
        assert "没有使用这个命令的权限" in await last_text(school, teacher)


async def test_report_any_time_and_the_grid_of_another_day(
    two_classes: Settings, clock: FakeClock
) -> None:
    async with running_school(two_classes, clock) as school:
        await school.admin("校长")
        leader = await school.join("leader", None, "赵主任")
        teacher = await school.join("teacher", "3-1", "王老师")
        await school.at("2026-11-25 10:00")  # before the 14:30 prompt
        await school.say(teacher, "/report")
        menu = (await school.received(teacher.chat_id))[-1]
        assert "三(1)班 今日安全情况报告：尚未报告" in menu["text"]
        await press(school, teacher, menu, ":zero")
        await school.at("2026-11-25 14:30")
        assert not any(
            "【今日安全情况报告】" in t for t in texts(await school.received(teacher.chat_id))
        )
        await school.say(teacher, "/report")  # after the zero report: 有情况 is still possible
        menu = (await school.received(teacher.chat_id))[-1]
        assert "已由 王老师 提交（零报告" in menu["text"]
        assert [b["callback_data"][-4:] for b in menu["reply_markup"]["inline_keyboard"][0]] == [
            ":inc"
        ]

        await school.at("2026-11-26 08:00")
        await school.say(leader, "/zero 昨天")
        grid = await last_text(school, leader)
        assert "2026-11-25 日报告：已报告 1/2" in grid and "✅ 三(1)班 零报告 王老师 10:00" in grid
        assert "❌ 三(2)班 未报告" in grid
        await school.say(leader, "/zero 前天的前天的前天")
        assert "可以这样写日期" in await last_text(school, leader)
        await school.say(leader, "/incident abc")
        assert "用法：/incident" in await last_text(school, leader)
        await school.say(leader, "/incident 999 done 处理")
        assert "没有编号为 999 的情况报告" in await last_text(school, leader)


async def test_a_class_that_reported_something_in_the_morning_is_not_asked_again(
    two_classes: Settings, clock: FakeClock
) -> None:
    async with running_school(two_classes, clock) as school:
        await school.admin("校长")
        leader = await school.join("leader", None, "赵主任")
        teacher = await school.join("teacher", "3-1", "王老师")
        # 08:00 and no tick yet today (the bot has just started): the day's tasks are not made.
        await school.say(teacher, "/report")
        menu = (await school.received(teacher.chat_id))[-1]
        assert "今天没有日报告任务" in menu["text"]
        await press(school, teacher, menu, ":inc")
        await school.say(teacher, "楼梯扶手松动")
        await school.say(teacher, "东楼二楼")
        await press(school, teacher, (await school.received(teacher.chat_id))[-1], ":general")
        await press(school, teacher, (await school.received(teacher.chat_id))[-1], ":done")
        await press(school, teacher, (await school.received(teacher.chat_id))[-1], ":send")
        assert "已提交" in await last_text(school, teacher)

        for moment in ("2026-11-25 14:30", "2026-11-25 15:30", "2026-11-25 16:30"):
            await school.at(moment)
        got = texts(await school.received(teacher.chat_id))
        assert not any("【今日安全情况报告】" in t or "⏰ 提醒" in t for t in got), got
        alert = next(t for t in texts(await school.received(leader.chat_id)) if "尚未报告" in t)
        assert "三(2)班" in alert and "三(1)班" not in alert
        await school.say(teacher, "/report")
        assert "已由 王老师 提交（有情况" in await last_text(school, teacher)
        await school.say(leader, "/zero")
        grid = await last_text(school, leader)
    assert "已报告 1/2" in grid and "⚠️ 三(1)班 有情况 #1（一般）\n" in grid


@pytest.mark.parametrize("step", ["第1步", "第2步", "第3步", "第4步", "请确认情况报告"])
async def test_cancel_works_at_every_step(
    two_classes: Settings, clock: FakeClock, step: str
) -> None:
    answers = ["有人在走廊奔跑", "二楼走廊", ":general", ":done"]
    async with running_school(two_classes, clock) as school:
        await school.admin("校长")
        teacher = await school.join("teacher", "3-1", "王老师")
        await school.at("2026-11-25 14:30")
        await press(school, teacher, await prompt_of(school, teacher), ":inc")
        for answer in answers:
            if step in await last_text(school, teacher):
                break
            if answer.startswith(":"):
                await press(school, teacher, (await school.received(teacher.chat_id))[-1], answer)
            else:
                await school.say(teacher, answer)
        assert step in await last_text(school, teacher)
        await school.say(teacher, "/cancel")
        assert "已取消" in await last_text(school, teacher)
        await school.say(teacher, "二楼走廊")  # no conversation any more: not taken as an answer
        assert "没看懂" in await last_text(school, teacher)
        async with school.app.sessions() as session:
            sent = await session.scalar(
                select(func.count(incidents.Incident.id)).where(incidents.Incident.status == "open")
            )
            task = await session.scalar(
                select(Task).where(Task.routine == "zero_report", Task.key.endswith(":3-1"))
            )
    assert sent == 0 and task is not None and task.status == "sent"


async def test_a_leader_closes_an_incident_in_chinese_and_corrects_the_note_afterwards(
    two_classes: Settings, clock: FakeClock
) -> None:
    async with running_school(two_classes, clock) as school:
        await school.admin("校长")
        leader = await school.join("leader", None, "赵主任")
        colleague = await school.join("leader", None, "钱主任")
        teacher = await school.join("teacher", "3-1", "王老师")
        await school.at("2026-11-25 14:30")
        await press(school, teacher, await prompt_of(school, teacher), ":inc")
        await school.say(teacher, "学生在操场扭伤脚踝")
        await school.say(teacher, "操场")
        await press(school, teacher, (await school.received(teacher.chat_id))[-1], ":general")
        await press(school, teacher, await latest(school, teacher, "第4步"), ":done")
        await press(school, teacher, await latest(school, teacher, "请确认情况报告"), ":send")
        async with school.app.sessions() as session:
            incident = await session.scalar(select(incidents.Incident))
        assert incident is not None
        number = incident.id

        await school.say(leader, f"/incident {number} 备注 先写说明")
        assert "还没有处理" in await last_text(school, leader)
        await school.say(leader, f"/incident {number} 已处理")  # in a hurry, no note
        assert f"情况 #{number} 已标记为已处理" in await last_text(school, leader)
        assert "由 赵主任 处理：—" in await last_text(school, teacher)
        await school.say(leader, f"/incident {number} 已处理 再处理一次")
        assert f"/incident {number} 备注" in await last_text(school, leader)

        await school.say(colleague, f"/incident {number} 备注 不是我处理的")
        assert "只有 赵主任 或管理员可以修改" in await last_text(school, colleague)
        await school.say(leader, f"/incident {number} 备注")
        assert "请写出新的处理说明" in await last_text(school, leader)
        await school.say(leader, f"/incident {number} 备注：已通知家长，校医已检查")
        assert "处理说明已更新" in await last_text(school, leader)
        assert "赵主任 更新：已通知家长，校医已检查" in await last_text(school, teacher)
        await school.say(leader, f"/incident {number}")
        assert "已通知家长，校医已检查" in await last_text(school, leader)
        async with school.app.sessions() as session:
            stored = await session.get(incidents.Incident, number)
    assert stored is not None and stored.handled_note == "已通知家长，校医已检查"
