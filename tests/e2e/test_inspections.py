"""Inspections (隐患排查) through the emulator: the canteen's daily gas check goes to its staff
with each item as buttons (正常 / 有隐患); 有隐患 raises a hazard with the item, its category
and place filled in; the last answer completes the check; an unfinished check is reminded
and reaches the duty leader; buttons of someone else, pressed twice or forged change nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.core.settings import Settings
from storage.hazards import Hazard
from storage.models import Task
from tests.conftest import DAILY_ROUTINES
from tests.e2e.harness import SimulatedSchool, running_school
from tests.e2e.test_hazards import (
    button_message,
    buttons,
    last,
    press,
    press_data,
    press_latest,
    with_text,
)


@pytest.fixture
def inspection_school(routines_off: Callable[..., Settings]) -> Settings:
    """The shipped school (its checks as config.toml has them), the daily routines off."""
    return routines_off(*DAILY_ROUTINES)


async def gas_check(school: SimulatedSchool) -> Task:
    async with school.app.sessions() as session:
        found = await session.scalar(
            select(Task).where(Task.key == "insp:2026-11-25:canteen-daily")
        )
    assert found is not None
    return found


async def test_the_canteen_checks_its_gas_item_by_item_and_a_hazard_comes_with_the_item_filled_in(
    inspection_school: Settings, clock: FakeClock
) -> None:
    async with running_school(inspection_school, clock) as school:
        principal = await school.admin("校长")
        officer = await school.join("safety_officer", None, "王主任")
        cook = await school.join("staff", "canteen", "食堂张师傅")
        teacher = await school.join("teacher", None, "李老师")

        await school.at("2026-11-25 09:29")
        assert await with_text(school, cook, "隐患排查") == []
        await school.at("2026-11-25 09:30")
        prompt = await button_message(school, cook, "1 正常")
        assert prompt["text"].startswith("🔍 【隐患排查】食堂燃气每日检查（每日检查）")
        assert "10:30 前完成" in prompt["text"]
        assert "2. 燃气泄漏报警器正常（每年检测）" in prompt["text"]
        assert [label for label, _ in buttons(prompt)] == [
            "1 正常",
            "1 有隐患",
            "2 正常",
            "2 有隐患",
            "3 正常",
            "3 有隐患",
            "✅ 其余全部正常",
        ]
        assert await with_text(school, teacher, "隐患排查") == []  # the canteen's check only

        # Someone else's press changes nothing; the cook's ticks item 1.
        ok_1 = next(d for label, d in buttons(prompt) if label == "1 正常")
        assert "不能由您操作" in await press_data(school, teacher, None, ok_1)
        assert await press(school, cook, prompt, "1 正常") == ""
        redrawn = await button_message(school, cook, "2 正常")
        assert "1. 燃气管道接口无异味 ✅" in redrawn["text"]
        assert "1 正常" not in [label for label, _ in buttons(redrawn)]
        assert "已经检查过了" in await press_data(school, cook, redrawn, ok_1)
        assert "失效" in await press_data(school, cook, redrawn, "in:1:99:ok")

        # 有隐患 on item 2: the hazard's questions skip the place and category the item gave.
        await press(school, cook, redrawn, "2 有隐患")
        asked = (await last(school, cook))["text"]
        assert "第 2 项「燃气泄漏报警器正常（每年检测）」有隐患" in asked
        await school.say(cook, "报警器指示灯不亮")
        severity = await last(school, cook)
        assert "程度" in severity["text"] or "严重" in severity["text"]
        await press(school, cook, severity, "一般")
        await press_latest(school, cook, "提交隐患")
        assert (await last(school, cook))["text"].startswith("🚨 已登记紧急隐患 #1")  # gas
        card = (await with_text(school, officer, "【隐患 #1】报警器指示灯不亮"))[0]
        assert "检查项目：食堂燃气·燃气泄漏报警器正常（每年检测）" in card
        assert await with_text(school, principal, "【隐患 #1】")
        async with school.app.sessions() as session:
            hazard = await session.get(Hazard, 1)
        assert hazard is not None
        assert (hazard.category, hazard.place, hazard.status) == ("gas", "食堂操作间", "reported")

        # The last item completes the check; its record names the hazard.
        await press_latest(school, cook, "3 正常")
        (done,) = await with_text(school, cook, "检查完成")
        assert "2. 燃气泄漏报警器正常（每年检测） ⚠️ 有隐患 #1" in done
        assert done.endswith("✅ 检查完成：2 项正常，1 项有隐患。")
        assert (await gas_check(school)).status == "done"

        # Done: no reminder at 10:30, no alert at 11:00.
        await school.at("2026-11-25 11:30")
        assert await with_text(school, cook, "⏰ 提醒") == []


async def test_an_unfinished_check_is_reminded_and_then_reaches_the_duty_leader(
    inspection_school: Settings, clock: FakeClock
) -> None:
    async with running_school(inspection_school, clock) as school:
        await school.admin("校长")
        leader = await school.join("duty_leader", None, "赵主任")
        cook = await school.join("staff", "canteen", "食堂张师傅")
        await school.at("2026-11-25 09:30")
        await press_latest(school, cook, "1 正常")
        await school.at("2026-11-25 10:30")
        reminder = await with_text(school, cook, "⏰ 提醒：食堂燃气每日检查 还有 2 项未检查")
        assert len(reminder) == 1
        remind = await button_message(school, cook, "2 正常")
        assert [label for label, _ in buttons(remind)][:2] == ["2 正常", "2 有隐患"]
        await school.at("2026-11-25 11:00")
        alert = await with_text(school, leader, "隐患排查未完成")
        assert len(alert) == 1
        assert "• 食堂燃气每日检查（负责人：食堂张师傅）— 2 项未检查" in alert[0]
        # The next day the check is closed: a late press changes nothing.
        await school.at("2026-11-26 08:00")
        assert "已过期" in await press(school, cook, remind, "2 正常")
        assert (await gas_check(school)).status == "missed"


async def test_a_hazard_abandoned_with_cancel_leaves_its_item_unchecked_instead_of_marked(
    inspection_school: Settings, clock: FakeClock
) -> None:
    async with running_school(inspection_school, clock) as school:
        await school.admin("校长")
        officer = await school.join("safety_officer", None, "王主任")
        cook = await school.join("staff", "canteen", "食堂张师傅")
        await school.at("2026-11-25 09:30")
        await press_latest(school, cook, "1 正常")
        await press_latest(school, cook, "3 正常")
        # 有隐患 on the last item completes the check; then the cook thinks better of it.
        await press_latest(school, cook, "2 有隐患")
        assert (await gas_check(school)).status == "done"
        await school.say(cook, "/cancel")
        again = await button_message(school, cook, "2 有隐患")
        assert (
            "有隐患 #1" not in again["text"]
            and "2. 燃气泄漏报警器正常（每年检测）\n" in again["text"]
        )
        assert [label for label, _ in buttons(again)] == ["2 正常", "2 有隐患"]
        assert (await gas_check(school)).status == "sent"
        async with school.app.sessions() as session:
            hazard = await session.get(Hazard, 1)
        assert hazard is not None and hazard.status == "cancelled"
        assert await with_text(school, officer, "【隐患 #1】") == []

        # The item answered again completes the check with no hazard in it.
        await press(school, cook, again, "2 正常")
        done = (await with_text(school, cook, "检查完成"))[-1]
        assert done.endswith("✅ 检查完成：3 项正常，0 项有隐患。") and "有隐患 #" not in done
        assert (await gas_check(school)).status == "done"
