"""A drill month through the emulator: the plan to staff the school day before, the head
teachers' reminder that morning, the commander's start and end buttons (the evacuation time
computed), 24 classes' headcounts with one mismatch (the commander alerted at once) and one
silent class (named to the commander), bad counts refused, and the feedback that closes it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.core.settings import Settings
from storage.drills import Drill, DrillCount
from storage.exports import export_records
from tests.conftest import DAILY_ROUTINES, local
from tests.e2e.harness import SimPerson, SimulatedSchool, running_school, texts

PLAN = {
    "date": "2026-11-26",
    "time": "10:00:00",
    "signal": "连续三声长哨",
    "routes": ["一楼：东楼梯 → 操场", "二楼、三楼：西楼梯 → 操场"],
    "assembly": "操场主席台前",
    "commander": "刘主任",
    "marshals": ["一楼：陈老师", "二楼：林老师"],
    "counters": ["各班班主任"],
}


@pytest.fixture
def drill_school(routines_off: Callable[..., Settings]) -> Settings:
    """The shipped school (24 classes) with one drill; the daily routines off."""
    themes = [{"month": 11, "theme": "消防安全", "points": ["火灾时弯腰捂鼻沿疏散路线撤离"]}]
    return routines_off(*DAILY_ROUTINES, education__themes=themes, drills__plans=[PLAN])


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


async def with_text(school: SimulatedSchool, person: SimPerson, needle: str) -> list[str]:
    return [m for m in texts(await school.received(person.chat_id)) if needle in m]


async def last_text(school: SimulatedSchool, person: SimPerson) -> str:
    return texts(await school.received(person.chat_id))[-1]


async def press(school: SimulatedSchool, person: SimPerson, label: str, data: str = "") -> str:
    """Press the button labelled ``label`` (with ``data``: that data on the person's last
    message, as a forged or replayed press); returns the pop-up's text."""
    received = await school.received(person.chat_id)
    message = received[-1]
    if not data:
        message = next(m for m in reversed(received) if any(label in t for t, _ in buttons(m)))
        data = next(d for t, d in buttons(message) if label in t)
    query = school.world.press_button(
        person.user_id, person.chat_id, message["message_id"], data, check_button=False
    )
    await school.settle()
    return str((school.world.callbacks[query["id"]].answer or {}).get("text") or "")


async def test_a_drill_goes_from_its_plan_to_the_feedback_that_closes_it(
    drill_school: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    clock.set(local("2026-11-25 14:00"))
    async with running_school(drill_school, clock) as school:
        principal = await school.admin("校长")
        commander = await school.join("duty_leader", None, "刘主任")
        teacher = await school.join("teacher", None, "陈老师")
        heads = {
            c.name: await school.join("head_teacher", c.name, f"{c.name}班主任")
            for c in drill_school.classes
        }
        first, short, silent = heads["一(1)班"], heads["三(2)班"], heads["六(4)班"]

        # -- before: /drill shows the plan; staff get it the school day before -----------------
        await school.say(teacher, "/drill")
        shown = await last_text(school, teacher)
        assert "时间：2026-11-26 10:00" in shown and "主题：消防安全" in shown
        assert "总指挥：刘主任" in shown and "二楼、三楼：西楼梯 → 操场" in shown
        await school.at("2026-11-25 14:59")
        assert await with_text(school, teacher, "明天有应急疏散演练") == []
        await school.at("2026-11-25 15:00")
        await school.at("2026-11-25 16:00")
        for person in (teacher, commander, principal, first):
            assert len(await with_text(school, person, "明天有应急疏散演练")) == 1
        await school.at("2026-11-26 07:50")
        assert len(await with_text(school, first, "今天 10:00 应急疏散演练（消防安全）")) == 1
        assert await with_text(school, teacher, "今天 10:00") == []

        # -- on the day: a count before the start changes nothing; only the commander starts ----
        await school.say(first, "/drill 40 40")
        assert "还没有开始" in await last_text(school, first)
        await school.at("2026-11-26 10:00")
        start = next(d for t, d in buttons((await school.received(commander.chat_id))[-1]))
        assert "只有本次演练的总指挥" in await press(school, teacher, "", start)
        assert start.startswith("drill:go:")
        sent_before = "dr:" + start.removeprefix("drill:")  # the prefix of a button sent before
        assert "只有本次演练的总指挥" in await press(school, teacher, "", sent_before)
        assert await press(school, commander, "开始演练") == ""
        assert "演练已开始（10:00:00）" in await last_text(school, commander)
        assert "已失效" in await press(school, commander, "", start)  # pressed twice
        assert "已失效" in await press(school, commander, "", "dr:go:99999")
        assert len(await with_text(school, silent, "应急疏散演练（消防安全）已开始")) == 1

        # -- headcounts: bad ones refused, one short with its reason, one class silent ----------
        await school.say(short, "/drill 41 42")
        assert "实到不能多于应到" in await last_text(school, short)
        await school.say(short, "/drill 42 41")
        assert "请写明原因" in await last_text(school, short)
        await school.say(first, "/drill 三(2)班 42 42")
        assert "只有 三(2)班 的班主任" in await last_text(school, first)
        assert await with_text(school, commander, "人数不符") == []
        await school.at("2026-11-26 10:03")
        await school.say(short, "/drill 42 41 一人病假在家")
        assert "已立即告知总指挥" in await last_text(school, short)
        alert = await with_text(school, commander, "演练清点人数不符")
        assert alert == [
            "🚨 演练清点人数不符：三(2)班 应到 42，实到 41（一人病假在家，三(2)班班主任 报）。"
        ]
        for head in heads.values():
            if head not in (short, silent):
                await school.say(head, "/drill 40 40")
        await school.say(first, "/drill 41 41")  # corrected
        assert "已替换" in await last_text(school, first)
        await school.at("2026-11-26 10:04")
        assert await press(school, commander, "结束演练") == ""
        assert "疏散用时 4 分 0 秒" in await last_text(school, commander)
        await school.at("2026-11-26 10:09")
        assert await with_text(school, commander, "未报人数") == []
        await school.at("2026-11-26 10:10")
        named = await with_text(school, commander, "未报人数")
        assert named == ["⚠️ 演练开始 10 分钟后，仍有 1 个班未报人数：六(4)班"]

        # -- after: feedback from the commander only; both parts close the drill ---------------
        assert len(await with_text(school, commander, "请填写反馈")) == 1
        await school.say(teacher, "/drill 问题 楼梯口拥挤")  # a floor marshal: kept as theirs
        assert "已记录您反馈的问题" in await last_text(school, teacher)
        await school.say(commander, "/drill 问题 西楼梯口拥挤，二年级下楼慢")
        assert "请再填写改进措施" in await last_text(school, commander)
        await school.say(commander, "/drill 措施 分年级错峰下楼，楼梯口增派一名老师")
        assert "本次演练已归档" in await last_text(school, commander)
        async with school.app.sessions() as session:
            drill = await session.scalar(select(Drill))
            counts = list(await session.scalars(select(DrillCount)))
        assert drill is not None and drill.status == "closed"
        assert drill.evacuation_seconds == 240 and drill.theme == "消防安全"
        assert len(counts) == 23 and sum(c.present < c.expected for c in counts) == 1
        await school.say(principal, "/today")
        today = await last_text(school, principal)
        assert "🚨 今日应急疏散演练：消防安全" in today
        assert "状态：已归档，疏散用时 4 分 0 秒；已报 23/24 个班" in today
        assert "三(2)班：应到 42，实到 41（一人病假在家）" in today

        # -- the record book: the drill sheet and the book's section ----------------------------
        day = dt.date(2026, 11, 26)
        paths = await export_records(
            school.app.sessions, school.app.school_id, day, day, tmp_path / "out"
        )
        book = load_workbook(next(p for p in paths if p.suffix == ".xlsx"))
        rows = list(book["演练记录"].iter_rows(values_only=True))
        assert rows[0][:3] == ("日期", "演练主题", "状态") and len(rows) == 2
        assert rows[1][1:3] == ("消防安全", "已归档") and rows[1][5:9] == (240, 23, 923, 922)
        assert rows[1][9:13] == (
            "三(2)班 41/42 一人病假在家",
            "西楼梯口拥挤，二年级下楼慢",
            "分年级错峰下楼，楼梯口增派一名老师",
            "刘主任",
        )
        document = Document(str(next(p for p in paths if p.suffix == ".docx")))
        cells = [c.text for table in document.tables for row in table.rows for c in row.cells]
        assert "应急疏散演练" in [p.text for p in document.paragraphs]
        assert "11-26 10:04" in cells and "分年级错峰下楼，楼梯口增派一名老师" in cells
