"""Substitutes (代班) through the emulator: an admin's /leave for a head teacher for Thursday and
Friday sends that class's daily report, 1530 prompt and drill reminder to the substitute on
those days only, the substitute answers for the class, and the record book names them
"李老师（代 张老师）"; a head teacher's own request waits for an admin's 批准 button, is listed,
and is cancelled; bad input changes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.core.clock import FakeClock
from bot.core.settings import Settings
from storage.exports import export_records
from storage.models import AuditLog, Person, Task
from storage.substitutes import Substitution
from tests.conftest import local, settings_for
from tests.e2e.harness import SimPerson, SimulatedSchool, running_school, texts

pytestmark = [pytest.mark.e2e]

DRILL = {
    "date": "2026-11-26",
    "time": "10:00:00",
    "signal": "连续三声长哨",
    "assembly": "操场",
    "commander": "校长",
}


@pytest.fixture
def four_classes(shipped_settings: Settings, database_url: str, tmp_path: Path) -> Settings:
    """Four grade-3 classes (the 1530 prompt at 15:50, the daily report at 14:30) and a drill
    on Thursday 2026-11-26."""
    classes = [{"slug": f"3-{n}", "name": f"三({n})班", "grade": 3} for n in range(1, 5)]
    return settings_for(
        shipped_settings,
        database_url,
        tmp_path,
        classes=classes,
        drills__plans=[DRILL],
        inspections__enabled=False,
    )


async def with_text(school: SimulatedSchool, person: SimPerson, needle: str) -> list[str]:
    return [m for m in texts(await school.received(person.chat_id)) if needle in m]


async def last_text(school: SimulatedSchool, person: SimPerson) -> str:
    return texts(await school.received(person.chat_id))[-1]


def button_data(message: dict[str, Any], label: str) -> str:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return next(b["callback_data"] for row in rows for b in row if label in b["text"])


async def press_latest(school: SimulatedSchool, person: SimPerson, label: str) -> str:
    """Press ``label`` on the newest message to the person that has it; the pop-up's text."""
    received = await school.received(person.chat_id)
    message = next(
        m
        for m in reversed(received)
        if any(
            label in b["text"]
            for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row
        )
    )
    query = school.world.press_button(
        person.user_id, person.chat_id, message["message_id"], button_data(message, label)
    )
    await school.settle()
    return str((school.world.callbacks[query["id"]].answer or {}).get("text") or "")


async def press_data(school: SimulatedSchool, person: SimPerson, data: str) -> str:
    """A press with ``data`` on the person's last message (forged or replayed)."""
    message = (await school.received(person.chat_id))[-1]
    query = school.world.press_button(
        person.user_id, person.chat_id, message["message_id"], data, check_button=False
    )
    await school.settle()
    return str((school.world.callbacks[query["id"]].answer or {}).get("text") or "")


async def test_a_substitute_covers_a_head_teacher_on_thursday_and_friday_only(
    four_classes: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    clock.set(local("2026-11-25 08:00"))  # a Wednesday
    async with running_school(four_classes, clock) as school:
        principal = await school.admin("校长")
        zhang = await school.join("teacher", "3-1", "张老师")
        li = await school.join("teacher", None, "李老师")

        await school.say(principal, "/leave 张老师 明天 到 周五 代班 李老师")
        assert "已登记 #1：张老师（三(1)班）11月26日–11月27日 请假，李老师 代班" in await last_text(
            school, principal
        )
        assert len(await with_text(school, li, "由您代班 三(1)班")) == 1
        assert len(await with_text(school, zhang, "李老师 代班 三(1)班")) == 1

        # Wednesday: the head teacher's own day.
        await school.at("2026-11-25 14:30")
        assert len(await with_text(school, zhang, "今日安全情况报告】三(1)班")) == 1
        assert await with_text(school, li, "今日安全情况报告") == []
        await school.at("2026-11-25 15:50")
        assert len(await with_text(school, zhang, "【1530安全教育】三(1)班")) == 1

        # Thursday: the drill's reminder, the daily report and the 1530 prompt go to 李老师.
        await school.at("2026-11-26 07:50")
        assert len(await with_text(school, li, "今天 10:00 应急疏散演练")) == 1
        assert await with_text(school, zhang, "今天 10:00 应急疏散演练") == []
        await school.at("2026-11-26 10:00")
        await press_latest(school, principal, "开始演练")
        assert len(await with_text(school, li, "）已开始。请带学生按路线疏散")) == 1  # count!
        assert await with_text(school, zhang, "）已开始。请带学生按路线疏散") == []
        await school.say(li, "/drill 40 40")  # the substitute counts the class
        assert "三(1)班 演练人数已记录：应到 40，实到 40" in await last_text(school, li)
        await school.at("2026-11-26 14:30")
        assert len(await with_text(school, li, "今日安全情况报告】三(1)班")) == 1
        assert len(await with_text(school, zhang, "今日安全情况报告】")) == 1  # Wednesday's only
        await press_latest(school, li, "零报告")  # the substitute answers for the class
        await school.say(li, "/lang zh")  # an audited action of theirs that day
        await school.at("2026-11-26 15:50")
        assert len(await with_text(school, li, "【1530安全教育】三(1)班")) == 1
        zhang_1530 = len(await with_text(school, zhang, "【1530安全教育】三(1)班"))
        assert zhang_1530 == 1  # Wednesday's
        await press_latest(school, li, "完成")

        # Friday too; Monday the class is the head teacher's again.
        await school.at("2026-11-27 14:30")
        assert len(await with_text(school, li, "今日安全情况报告】三(1)班\n2026-11-27")) == 1
        assert await with_text(school, zhang, "2026-11-27") == []
        await school.at("2026-11-30 14:30")
        assert await with_text(school, li, "2026-11-30") == []
        assert len(await with_text(school, zhang, "今日安全情况报告】三(1)班\n2026-11-30")) == 1
        assert len(await with_text(school, zhang, "【1530安全教育】三(1)班")) == zhang_1530

        async with school.app.sessions() as session:
            done = (
                await session.execute(
                    select(Task.routine, Person.display_name)
                    .join(Person, Person.id == Task.done_by)
                    .where(Task.day == dt.date(2026, 11, 26), Task.unit_id.is_not(None))
                )
            ).all()
        assert sorted(done) == [("education", "李老师"), ("zero_report", "李老师")]

        # The record book: who acted for whom.
        day = dt.date(2026, 11, 26)
        paths = await export_records(
            school.app.sessions, school.app.school_id, day, day, tmp_path / "book"
        )
        book = load_workbook(next(p for p in paths if p.suffix == ".xlsx"))
        cells = {
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value
        }
        assert any("李老师（代 张老师）" in cell for cell in cells)
        audit = [r for r in book["操作日志"].iter_rows(values_only=True) if "设置语言" in r]
        assert audit and all("李老师（代 张老师）" in row for row in audit)
        # The leave is over: nothing left to list.
        await school.say(principal, "/leave 列表")
        assert "目前没有请假代班" in await last_text(school, principal)


async def test_a_head_teacher_asks_for_a_substitute_and_an_admin_approves_with_a_button(
    four_classes: Settings, clock: FakeClock
) -> None:
    clock.set(local("2026-11-25 08:00"))
    async with running_school(four_classes, clock) as school:
        principal = await school.admin("校长")
        wang = await school.join("teacher", "3-2", "王老师")
        zhang = await school.join("teacher", "3-1", "张老师")
        li = await school.join("teacher", None, "李老师")

        # Bad input: polite answers, nothing recorded.
        await school.say(wang, "/leave 张老师 明天 代班 李老师")
        assert "只能为自己申请" in await last_text(school, wang)
        await school.say(wang, "/leave 明天 代班 赵老师")
        assert "找不到「赵老师」" in await last_text(school, wang)
        await school.say(wang, "/leave 乱七八糟 代班 李老师")
        assert "用法" in await last_text(school, wang)
        await school.say(wang, "/leave 明天 代班 王老师")
        assert "不能是请假的老师本人" in await last_text(school, wang)
        await school.say(li, "/leave 明天 代班 王老师")
        assert "只有管理员和班主任" in await last_text(school, li)
        await school.say(wang, "/leave 昨天 代班 李老师")
        assert "已经过去" in await last_text(school, wang)
        async with school.app.sessions() as session:
            assert await session.scalar(select(func.count(Substitution.id))) == 0

        await school.say(wang, "/leave 明天 代班 李老师")
        assert "已提交申请 #1" in await last_text(school, wang)
        asked = await with_text(school, principal, "请假代班申请 #1：王老师（三(2)班）")
        assert len(asked) == 1
        assert await with_text(school, li, "由您代班") == []  # not before it is approved
        # Only an admin decides; the approval reaches both teachers.
        assert "只有管理员" in await press_data(school, zhang, "lv:ok:1")  # forged
        assert "已批准" in await press_latest(school, principal, "✅ 批准")
        assert "已批准：王老师 11月26日–11月26日 请假，李老师 代班" in await last_text(
            school, principal
        )
        assert len(await with_text(school, li, "由您代班 三(2)班")) == 1
        assert "已经处理过" in await press_latest(school, principal, "不批准")  # decided
        # Forged data (no leave's id) is no leave button: the last router's answer.
        assert "没有做任何更改" in await press_data(school, principal, "lv:ok:x")
        assert "没有做任何更改" in await press_data(school, principal, "leave:maybe:1")

        await school.say(li, "/leave 列表")
        assert "#1 王老师（三(2)班）11月26日–11月26日 由 李老师 代班" in await last_text(school, li)
        await school.at("2026-11-26 14:30")
        assert len(await with_text(school, li, "今日安全情况报告】三(2)班")) == 1

        await school.say(zhang, "/leave 取消 1")  # not his
        assert "只能为自己申请" in await last_text(school, zhang)
        await school.say(wang, "/leave 取消 1")
        assert "已取消 #1" in await last_text(school, wang)
        assert len(await with_text(school, li, "您无需代班")) == 1
        async with school.app.sessions() as session:
            actions = list(
                (
                    await session.scalars(
                        select(AuditLog.action)
                        .where(AuditLog.action.like("leave.%"))
                        .order_by(AuditLog.id)
                    )
                ).all()
            )
        assert actions == ["leave.request", "leave.approve", "leave.cancel"]
