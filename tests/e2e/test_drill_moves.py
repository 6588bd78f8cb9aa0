"""A drill moved and its floor marshals' feedback, through the emulator: an admin moves the
drill (/drill N 改到 下周三 10:00) after the staff got its plan; each of them gets one update,
the old day has no reminder and its 1530 prompt no drill; the new day's reminder, start
button and 1530 prompt follow the new time; bad moves are refused politely; after the drill
the floor marshals send photos and 问题 / 建议 that the record book's drill sheet and section
show."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.core.settings import Settings
from storage.drills import Drill, DrillNote
from storage.exports import export_records
from storage.models import AuditLog
from tests.conftest import local
from tests.e2e.harness import SimPerson, SimulatedSchool, running_school, texts
from tests.e2e.test_drills import PLAN, press, with_text


@pytest.fixture
def drill_school(routines_off: Callable[..., Settings]) -> Settings:
    """The shipped school with one drill on Thursday 26 November; the 1530 prompts on."""
    themes = [
        {"month": 11, "theme": "消防安全", "points": ["火灾时弯腰捂鼻沿疏散路线撤离"]},
        {"month": 12, "theme": "冬季防火", "points": ["不玩火"]},
    ]
    return routines_off("zero_report", "duty", education__themes=themes, drills__plans=[PLAN])


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


async def last(school: SimulatedSchool, person: SimPerson) -> str:
    return texts(await school.received(person.chat_id))[-1]


async def test_a_moved_drill_reminds_at_its_new_time_and_keeps_its_marshals_feedback(
    drill_school: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    clock.set(local("2026-11-25 14:00"))  # Wednesday
    async with running_school(drill_school, clock) as school:
        principal = await school.admin("校长")
        commander = await school.join("duty_leader", None, "刘主任")
        marshal = await school.join("teacher", None, "陈老师")
        teacher = await school.join("teacher", None, "黄老师")
        head = await school.join("head_teacher", "一(1)班", "一(1)班班主任")

        # -- the plan goes out the day before; /drill shows the drill's number ------------------
        await school.say(teacher, "/drill")
        shown = await last(school, teacher)
        async with school.app.sessions() as session:
            drill = await session.scalar(select(Drill))
        assert drill is not None and f"演练编号 #{drill.id}" in shown
        await school.at("2026-11-25 15:00")
        for person in (teacher, marshal, commander, principal, head):
            assert len(await with_text(school, person, "明天有应急疏散演练")) == 1

        # -- bad moves change nothing -------------------------------------------------------------
        n = drill.id
        await school.say(teacher, f"/drill {n} 改到 下周三 10:00")
        assert "只有管理员可以调整演练时间" in await last(school, teacher)
        await school.say(principal, f"/drill {n} 改到 下周八 10:00")
        assert "用法：/drill 编号 改到" in await last(school, principal)
        await school.say(principal, f"/drill {n} 改到 下周三")
        assert "请写明演练的时间" in await last(school, principal)
        await school.say(principal, f"/drill {n} 改到 周六 10:00")
        assert "不是上学日" in await last(school, principal)
        await school.say(principal, f"/drill {n} 改到 今天 08:00")
        assert "已经过去了" in await last(school, principal)
        await school.say(principal, "/drill 99999 改到 下周三 10:00")
        assert "没有编号为 #99999 的演练" in await last(school, principal)
        async with school.app.sessions() as session:
            assert (await session.get(Drill, n)).day == dt.date(2026, 11, 26)  # type: ignore[union-attr]

        # -- the move: everyone told gets one update -----------------------------------------------
        await school.say(principal, f"/drill {n} 改到 下周三 10:30")
        done = await with_text(school, principal, f"演练 #{n} 已改到 2026-12-02 10:30")
        assert len(done) == 1 and "已通知之前收到过演练通知的 5 人" in done[0]
        for person in (teacher, marshal, commander, principal, head):
            moved = await with_text(school, person, "应急疏散演练改期")
            assert moved == [
                "🔁 应急疏散演练改期：消防安全 由 2026-11-26 10:00 改到 2026-12-02 10:30（校长 调整）。"
                "提醒将按新时间发送。"
            ], person.name

        # -- the old day: no reminder, no start button, a 1530 prompt without the drill ------------
        await school.at("2026-11-26 10:00")
        assert await with_text(school, head, "今天 10:00 应急疏散演练") == []
        assert await with_text(school, commander, "开始演练") == []
        await school.at("2026-11-26 15:30")
        prompts = await with_text(school, head, "【1530安全教育】")
        assert prompts and all("应急疏散演练" not in p for p in prompts)

        # -- the new day: the plan the day before, the reminder, the prompt name the new time -----
        await school.at("2026-12-01 15:00")
        assert len(await with_text(school, teacher, "明天有应急疏散演练")) == 2
        await school.at("2026-12-02 07:50")
        assert len(await with_text(school, head, "今天 10:30 应急疏散演练")) == 1
        await school.at("2026-12-02 10:29")
        assert await with_text(school, commander, "开始演练") == []
        await school.at("2026-12-02 10:30")
        assert await press(school, commander, "开始演练") == ""

        # -- after: the marshals' photos and feedback; a teacher who is no marshal is refused -----
        await school.photo(marshal, jpeg(), caption="/drill")
        assert "照片已保存到 2026-12-02 的演练记录" in await last(school, marshal)
        await school.photo(teacher, jpeg(), caption="/drill")
        assert "只有本次演练的总指挥和各楼层疏导老师" in await last(school, teacher)
        await school.at("2026-12-02 10:34")
        assert await press(school, commander, "结束演练") == ""
        await school.say(marshal, "/drill 问题 一楼东楼梯口有两个班同时下楼")
        assert "已记录您反馈的问题" in await last(school, marshal)
        await school.say(marshal, "/drill 建议 一年级先走，二年级等一分钟")
        assert "已记录您的建议" in await last(school, marshal)
        await school.say(teacher, "/drill 问题 我也想说")
        assert "只有本次演练的总指挥" in await last(school, teacher)
        await school.say(commander, "/drill 问题 东楼梯拥挤")
        await school.say(commander, "/drill 措施 错峰下楼")
        assert "本次演练已归档" in await last(school, commander)

        await school.say(principal, "/today")
        today = await last(school, principal)
        assert "楼层反馈：\n  陈老师（问题）：一楼东楼梯口有两个班同时下楼" in today
        assert "演练照片 1 张" in today

        # -- the 1530 prompt of the drill day named it --------------------------------------------
        await school.at("2026-12-02 15:30")
        named = await with_text(school, head, "今天 10:30 应急疏散演练（冬季防火）：请结合演练")
        assert len(named) == 1 and "【1530安全教育】" in named[0]

        async with school.app.sessions() as session:
            notes = list(await session.scalars(select(DrillNote).order_by(DrillNote.id)))
            actions = list(await session.scalars(select(AuditLog.action)))
        assert [x.kind for x in notes] == ["photo", "problem", "suggestion"]
        assert actions.count("drill.moved") >= 1 and "drill.photo" in actions

        # -- the record book: the sheet's feedback and photo columns, the section's photo ---------
        day = dt.date(2026, 12, 2)
        paths = await export_records(
            school.app.sessions, school.app.school_id, day, day, tmp_path / "out"
        )
        book = load_workbook(next(p for p in paths if p.suffix == ".xlsx"))
        rows = list(book["演练记录"].iter_rows(values_only=True))
        assert rows[0][-2:] == ("楼层反馈", "照片")
        assert rows[1][-2:] == (
            "陈老师（问题）：一楼东楼梯口有两个班同时下楼\n陈老师（建议）：一年级先走，二年级等一分钟",
            1,
        )
        document = Document(str(next(p for p in paths if p.suffix == ".docx")))
        cells = [c.text for table in document.tables for row in table.rows for c in row.cells]
        assert any("陈老师（建议）：一年级先走" in c for c in cells)
        assert len(document.inline_shapes) >= 1
