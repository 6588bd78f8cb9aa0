"""Two days of 24-hour duty through the emulator: the roster imported from an .xlsx sent as a
document, reminders at the right times, a complete handover with photos and the incoming
confirmation, a missed handover → exactly one alert to the leader on duty, a patrol, a swap."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.core.i18n import t
from bot.core.settings import Settings
from scheduler.duty.buttons import HandoverPress
from storage import duty as store
from storage.models import Submission
from tests.conftest import local
from tests.e2e.harness import SimPerson, SimulatedSchool, running_school, texts

WED, THU = dt.date(2026, 11, 25), dt.date(2026, 11, 26)
PHOTO_GATE = b"\xff\xd8\xff\xe0" + b"east-gate-locked" * 300
PHOTO_FIRE = b"\xff\xd8\xff\xe0" + b"extinguisher-ok" * 300
PHOTO_PATROL = b"\xff\xd8\xff\xe0" + b"night-patrol" * 300


@pytest.fixture
def duty_school(routines_off: Callable[..., Settings]) -> Settings:
    """The shipped school with the other routines off, so the chats hold duty's messages."""
    return routines_off("education", "zero_report", "inspections")


def roster_xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["日期", "岗位", "姓名"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def last(school: SimulatedSchool, person: SimPerson) -> str:
    return texts(await school.received(person.chat_id))[-1]


async def with_text(school: SimulatedSchool, person: SimPerson, needle: str) -> list[str]:
    return [m for m in texts(await school.received(person.chat_id)) if needle in m]


async def message_with(school: SimulatedSchool, person: SimPerson, needle: str) -> dict[str, Any]:
    for message in reversed(await school.received(person.chat_id)):
        if needle in (message.get("text") or "") and message.get("reply_markup"):
            return message
    raise LookupError(f"{person.name} has no message with buttons containing {needle!r}")


async def message_by_id(
    school: SimulatedSchool, person: SimPerson, message_id: int
) -> dict[str, Any]:
    return next(m for m in await school.received(person.chat_id) if m["message_id"] == message_id)


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


async def press(
    school: SimulatedSchool, person: SimPerson, message: dict[str, Any], label: str
) -> str:
    """Press the button whose text contains ``label``; returns the pop-up answer."""
    data = next(d for text, d in buttons(message) if label in text)
    query = school.world.press_button(person.user_id, person.chat_id, message["message_id"], data)
    await school.settle()
    return str((school.world.callbacks[query["id"]].answer or {}).get("text") or "")


async def hand_over(
    school: SimulatedSchool, person: SimPerson, *, note: str = "", photos: tuple[bytes, ...] = ()
) -> str:
    """The outgoing person ticks every item, adds a note and photos, and submits."""
    checklist = await message_with(school, person, "【交接班】")
    handover_id = buttons(checklist)[0][1].split(":")[1]
    for n in range(6):
        tick = HandoverPress.tick(int(handover_id), n).pack()
        await school.press(person, person.chat_id, checklist["message_id"], tick)
    if note or photos:
        checklist = await message_with(school, person, "【交接班】")
        await press(school, person, checklist, "备注")
        if note:
            await school.say(person, note)
        for photo in photos:
            await school.photo(person, photo, media_group_id="album-1" if len(photos) > 1 else None)
    checklist = await message_with(school, person, "【交接班】")
    return await press(school, person, checklist, "提交")


async def test_two_days_of_duty(duty_school: Settings, clock: FakeClock) -> None:
    async with running_school(duty_school, clock) as school:
        admin = await school.admin("校长")
        zhao = await school.join("duty_leader", None, "赵主任")
        qian = await school.join("duty_leader", None, "钱主任")
        zhang = await school.join("teacher", None, "张老师")
        wang = await school.join("teacher", None, "王老师")
        li = await school.join("teacher", None, "李老师")
        guard_a = await school.join("guard", None, "保安甲")
        guard_b = await school.join("guard", None, "保安乙")

        # -- the roster: the template, a bad file (nothing changes), the real file ------------
        await school.say(admin, "/roster template")
        template = (await school.received(admin.chat_id))[-1]
        assert template["document"]["file_name"] == "duty-roster-template.xlsx"
        names = {
            row[0]
            for row in load_workbook(
                io.BytesIO(school.world.files.get(template["document"]["file_id"]).data)
            )["说明"].iter_rows(values_only=True)
        }
        assert {"张老师", "保安乙", "带班领导"} <= names

        bad = roster_xlsx([[THU, "leader", "钱主任"], ["11月31日", "teacher", "李老师"]])
        await school.send_document(admin, bad, "值班表.xlsx")
        assert (await last(school, admin)).startswith("❌ 值班表未导入，原有值班表没有任何改动。")
        assert "第 3 行" in await last(school, admin)

        good = roster_xlsx(
            [
                [WED, "带班领导", "赵主任"],
                [WED, "值班教师", "张老师"],
                [WED, "夜间值班", "王老师"],
                [WED, "值班保安", "保安甲"],
                [THU, "带班领导", "钱主任"],
                [THU, "值班教师", "李老师"],
                [THU, "夜间值班", "张老师"],
                [THU, "值班保安", "保安乙"],
                [THU, "护学岗", "王老师、李老师"],
            ]
        )
        await school.send_document(admin, good, "值班表.xlsx")
        assert (await last(school, admin)).startswith(
            "✅ 值班表已导入：10 条，2 天（2026-11-25 至 2026-11-26）"
        )
        await school.say(zhang, "/duty")
        today = await last(school, zhang)
        assert (
            "带班领导 07:30–+1 07:30：赵主任" in today
            and "夜间值班 17:30–+1 07:30：张老师" in today
        )

        # -- Wednesday evening: the night shift is reminded, the day shift hands over ---------
        await school.at("2026-11-25 16:59")
        assert await with_text(school, wang, "⏰") == []
        await school.at("2026-11-25 17:00")
        assert await with_text(school, wang, "⏰") == [
            "⏰ 30 分钟后（17:30）开始值班：夜间值班 17:30–+1 07:30"
        ]

        await school.at("2026-11-25 17:30")
        checklist = await message_with(school, zhang, "【交接班】")
        assert "交班人：张老师　接班人：王老师" in checklist["text"]
        assert all(len(data.encode()) <= 64 for _, data in buttons(checklist))
        await school.at("2026-11-25 17:33")
        answer = await hand_over(
            school, zhang, note="东门门锁已更换，其余正常", photos=(PHOTO_GATE, PHOTO_FIRE)
        )
        assert answer == "交班已提交，已请 王老师 确认接班。"
        checklist = await message_by_id(school, zhang, checklist["message_id"])
        assert "reply_markup" not in checklist or not checklist["reply_markup"]
        assert "☑校门及围墙 ☑消防设施 ☑水电气 ☑巡查完成 ☑来访登记 ☑突发情况" in checklist["text"]
        assert "照片：2 张" in checklist["text"] and "✅ 已交班 17:33" in checklist["text"]
        assert len(checklist["edits"]) >= 8  # six ticks, the note, the photos, the submission

        receipt = await message_with(school, wang, "【接班确认】")
        assert "东门门锁已更换，其余正常" in receipt["text"]
        await school.at("2026-11-25 17:40")
        assert await press(school, wang, receipt, "接班确认") == "已确认接班，谢谢！"
        assert await last(school, zhang) == "✅ 王老师 已确认接班（17:40）。"
        async with school.app.sessions() as session:
            handover = await store.handover_by_key(
                session, school.app.school_id, "2026-11-25:teacher"
            )
            assert handover is not None
            photos = await store.handover_photos(session, handover)
        assert (handover.status, handover.submitted_at, handover.confirmed_at) == (
            "confirmed",
            local("2026-11-25 17:33"),
            local("2026-11-25 17:40"),
        )
        assert sum(len(p.attachments) for p in photos) == 2

        # -- a patrol at night, with a photo ---------------------------------------------
        await school.at("2026-11-25 22:00")
        await school.say(wang, "/patrol")
        await school.say(wang, "教学楼、食堂巡查，门窗已锁")
        assert (await last(school, wang)).startswith("🔦 巡查已记录（22:00，照片 0 张）")
        await school.photo(wang, PHOTO_PATROL)
        await press(school, wang, await message_with(school, wang, "照片 1 张"), "完成")
        async with school.app.sessions() as session:
            patrol = await session.scalar(select(Submission).where(Submission.kind == "patrol"))
        assert patrol is not None and patrol.text == "教学楼、食堂巡查，门窗已锁"
        assert len(patrol.attachments) == 1

        # -- reminders for Thursday: the evening before, 30 minutes before, gate duty --------
        # The evening reminders went out at 20:00, on the way to the patrol at 22:00.
        for person in (qian, li, zhang, guard_b, wang):
            assert (
                len(await with_text(school, person, "📅 值班提醒：明天（2026-11-26 周四）")) == 1
            ), person.name
        await school.at("2026-11-26 07:00")
        assert await with_text(school, li, "⏰") == [
            "⏰ 30 分钟后（07:30）开始值班：值班教师 07:30–17:30"
        ]
        assert len(await with_text(school, qian, "⏰")) == 1
        await school.at("2026-11-26 07:10")
        for person in (wang, li):
            assert (await with_text(school, person, "⏰ 10 分钟后护学岗"))[0].endswith(
                "07:20–08:00，请到校门口就位。"
            )

        # -- Thursday 07:30: three handovers; the guard misses his ---------------------------
        await school.at("2026-11-26 07:30")
        await school.at("2026-11-26 07:35")
        await hand_over(school, zhao)
        await hand_over(school, wang, note="夜间巡查两次，无异常")
        await press(school, qian, await message_with(school, qian, "【接班确认】"), "接班确认")
        await press(school, li, await message_with(school, li, "【接班确认】"), "接班确认")
        assert await message_with(school, guard_a, "【交接班】")
        await school.at("2026-11-26 07:44")
        assert await with_text(school, qian, "⚠️") == []
        await school.at("2026-11-26 07:45")
        await school.at("2026-11-26 08:30")
        alerts = await with_text(school, qian, "⚠️")
        assert alerts == [
            "⚠️ 交接班未完成：值班保安 保安甲 应于 11-26 07:30 交班给值班保安，15 分钟后仍未提交交接单。"
        ]
        for person in (zhao, admin, guard_a, guard_b, wang, li):
            assert await with_text(school, person, "⚠️") == [], person.name

        await school.say(qian, "/handover")
        log = await last(school, qian)
        assert log.startswith("📒 最近的交接班记录：")
        assert "⏳ 尚未交班" in log and "✅ 已确认接班 07:" in log

        # -- a swap: 张老师's Thursday night goes to 王老师 -------------------------------
        await school.at("2026-11-26 10:00")
        await school.say(zhang, "/swap 今天 王老师")
        assert (await last(school, zhang)).startswith("已向 王老师 发出换班请求")
        ask = await message_with(school, wang, "请求换班")
        assert await press(school, wang, ask, "同意") == "已同意，值班表已更新。"
        assert (await last(school, zhang)).startswith("✅ 王老师 同意了换班")
        assert "王老师 接替 张老师 在 2026-11-26 的夜间值班" in await last(school, admin)
        await school.at("2026-11-26 17:00")
        assert (await last(school, wang)).startswith("⏰ 30 分钟后（17:30）开始值班：夜间值班")
        assert await with_text(school, zhang, "⏰ 30 分钟后（17:30）") == []
        await school.at("2026-11-26 17:30")
        checklist = await message_with(school, li, "【交接班】")
        assert "交班人：李老师　接班人：王老师" in checklist["text"]


async def test_bad_input_changes_nothing_and_a_restart_keeps_the_handover_note(
    duty_school: Settings, clock: FakeClock
) -> None:
    async with running_school(duty_school, clock) as school:
        admin = await school.admin("校长")
        zhang = await school.join("teacher", None, "张老师")
        wang = await school.join("teacher", None, "王老师")
        parent = await school.join("parent", "3-2", "家长")

        # A teacher's spreadsheet is not a roster; commands with bad parts are explained.
        await school.send_document(zhang, roster_xlsx([[THU, "leader", "张老师"]]), "r.xlsx")
        assert await last(school, zhang) == "抱歉，你没有使用这个命令的权限。"
        await school.say(zhang, "/duty week")
        assert await last(school, zhang) == "抱歉，你没有使用这个命令的权限。"
        await school.say(parent, "/duty")
        assert await last(school, parent) == "抱歉，你没有使用这个命令的权限。"
        await school.say(admin, "/duty 2026-02-30 leader 张老师")
        assert "2026-02-30" in await last(school, admin) and "用法" in await last(school, admin)
        await school.say(admin, "/duty 明天 leader 张三丰")
        assert (await last(school, admin)).startswith("找不到“张三丰”")
        await school.say(admin, "/roster")
        assert (await last(school, admin)).startswith("导入值班表")
        await school.send_document(admin, b"PK\x03\x04 broken", "roster.xlsx")
        assert "无法读取这个文件" in await last(school, admin)
        await school.say(zhang, "/swap")
        assert (await last(school, zhang)).startswith("换班：/swap")
        async with school.app.sessions() as session:
            assert await store.roster(session, school.app.school_id, [WED, THU]) == []

        # The admin sets Wednesday by command; the day shift ends and a note is started.
        await school.say(admin, "/duty 今天 teacher 张老师")
        await school.say(admin, "/duty 今天 night 王老师")
        assert "夜间值班 17:30–+1 07:30：王老师" in await last(school, admin)
        await school.at("2026-11-25 17:30")
        checklist = await message_with(school, zhang, "【交接班】")
        handover_id = buttons(checklist)[0][1].split(":")[1]
        # Someone else's press (a forwarded checklist, a modified client) changes nothing;
        # the button's data as checklists sent before the typed codec carried it (dh:).
        await school.say(wang, "/handover")
        own = (await school.received(wang.chat_id))[-1]
        assert "交班人：张老师" in own["text"] and "⏳ 尚未交班" in own["text"]
        query = school.world.press_button(
            wang.user_id,
            wang.chat_id,
            own["message_id"],
            f"dh:{handover_id}:c0",
            check_button=False,
        )
        await school.settle()
        refused = school.world.callbacks[query["id"]].answer or {}
        assert refused.get("text") == "这是别人的交接单，只有交班人可以填写。"
        assert (
            "☐ 校门及围墙"
            in buttons(await message_by_id(school, zhang, checklist["message_id"]))[0][0]
        )
        answer = await press(school, zhang, checklist, "提交")
        assert answer == "还有项目没有勾选：请先点“备注/照片”写明原因，再提交。"
        await press(school, zhang, checklist, "备注")
        await school.restart()
        await school.say(zhang, "消防通道有杂物，已通知总务处")
        assert (await last(school, zhang)).startswith("📝 备注已记录")
        checklist = await message_by_id(school, zhang, checklist["message_id"])
        assert "备注：消防通道有杂物，已通知总务处" in checklist["text"]
        assert await press(school, zhang, checklist, "提交") == "交班已提交，已请 王老师 确认接班。"
        # The note conversation ended with the submission: later text is not a note.
        await school.say(zhang, "晚上好")
        assert await last(school, zhang) == t("zh", "common.not_understood")
        # /cancel leaves a patrol conversation; later photos are not the patrol's.
        await school.say(wang, "/patrol")
        assert (await last(school, wang)).startswith("🔦 巡查记录")
        await school.say(wang, "/cancel")
        assert await last(school, wang) == "已取消。"
        await school.photo(wang, PHOTO_PATROL)
        assert await last(school, wang) == t("zh", "edu.photo_kept_unlinked")  # kept, unlinked
        async with school.app.sessions() as session:
            kept = await session.scalars(select(Submission).where(Submission.kind == "patrol"))
            assert kept.all() == []  # a bare /patrol then /cancel records nothing


async def test_a_parent_volunteer_is_put_on_gate_duty_by_command_and_reminded(
    duty_school: Settings, clock: FakeClock
) -> None:
    async with running_school(duty_school, clock) as school:
        admin = await school.admin("校长")
        parent = await school.join("parent", "3-2", "张三家长")
        await school.say(admin, "/duty 2026-11-26 teacher 张三家长")
        assert "家长志愿者只能排在护学岗" in await last(school, admin)
        await school.say(admin, "/duty 2026-11-26 gate 张三家长")
        assert "护学岗 上学及各年级放学时段：张三家长" in await last(school, admin)
        await school.at("2026-11-25 20:00")
        await school.at("2026-11-26 07:10")
        reminders = await with_text(school, parent, "护学岗")
    assert reminders[-1] == "⏰ 10 分钟后护学岗：07:20–08:00，请到校门口就位。"
    assert len(reminders) == 2  # the evening before, and ten minutes before the gate opens
