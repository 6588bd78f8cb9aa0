"""A school-bus day through the emulator: the escort counts at boarding (one child did not
board: the head teacher learns it), at arrival (one child boarded and did not arrive: the
head teacher, the duty leader and the admins at once), checks the empty bus; the other
bus's escort never confirms the check, and the duty leader is alerted within 5 minutes.
Only the escort counts; stale, pressed-twice and forged buttons change nothing."""

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
from storage.bus import BusTrip
from storage.exports import export_records
from storage.models import AuditLog
from tests.conftest import DAILY_ROUTINES, local
from tests.e2e.harness import SimPerson, SimulatedSchool, running_school, texts

DAY = dt.date(2026, 11, 25)
RIDERS_1 = [("3-1", "张小明"), ("3-1", "李小华"), ("3-2", "王小红")]
RIDERS_2 = [("3-2", "陈小东"), ("4-1", "赵小西")]


def bus(number: int, escort: str, riders: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "number": number,
        "plate": f"苏D·1234{number}",
        "company": "安达校车公司",
        "driver": f"司机{number}",
        "escort": escort,
        "route": "吕墅村 → 薛家镇 → 学校",
        "morning_board": "07:00:00",
        "morning_arrive": "07:40:00",
        "riders": [{"unit": u, "name": n} for u, n in riders],
    }


@pytest.fixture
def bus_school(routines_off: Callable[..., Settings]) -> Settings:
    """Two buses; the daily routines off, so the chats hold the buses' messages."""
    return routines_off(
        *DAILY_ROUTINES, bus__buses=[bus(1, "周老师", RIDERS_1), bus(2, "吴老师", RIDERS_2)]
    )


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


async def with_text(school: SimulatedSchool, person: SimPerson, needle: str) -> list[str]:
    return [m for m in texts(await school.received(person.chat_id)) if needle in m]


async def message_with(school: SimulatedSchool, person: SimPerson, label: str) -> dict[str, Any]:
    for message in reversed(await school.received(person.chat_id)):
        if any(label in text for text, _ in buttons(message)):
            return message
    raise LookupError(f"{person.name} has no message with a {label!r} button")


async def press(school: SimulatedSchool, person: SimPerson, label: str) -> str:
    """Press the button labelled ``label``; returns the pop-up's text."""
    message = await message_with(school, person, label)
    data = next(d for text, d in buttons(message) if label in text)
    return await press_data(school, person, data, message)


async def press_data(
    school: SimulatedSchool, person: SimPerson, data: str, message: dict[str, Any] | None = None
) -> str:
    """Press ``data`` on the message, or on the person's own last message: as a replayed or
    forged button would."""
    if message is None:
        message = (await school.received(person.chat_id))[-1]
    query = school.world.press_button(
        person.user_id, person.chat_id, message["message_id"], data, check_button=False
    )
    await school.settle()
    return str((school.world.callbacks[query["id"]].answer or {}).get("text") or "")


async def data_of(school: SimulatedSchool, person: SimPerson, label: str) -> str:
    message = await message_with(school, person, label)
    return next(d for text, d in buttons(message) if label in text)


async def trip(school: SimulatedSchool, number: int) -> BusTrip:
    async with school.app.sessions() as session:
        found = await session.scalar(select(BusTrip).where(BusTrip.bus == number))
    assert found is not None
    return found


async def test_a_bus_day_with_a_child_missing_at_arrival_and_an_unchecked_bus(
    bus_school: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    clock.set(local("2026-11-25 06:30"))
    async with running_school(bus_school, clock) as school:
        principal = await school.admin("校长")
        leader = await school.join("duty_leader", None, "赵主任")
        escort_1 = await school.join("teacher", None, "周老师")
        escort_2 = await school.join("teacher", None, "吴老师")
        head_31 = await school.join("head_teacher", "三(1)班", "王老师")
        head_32 = await school.join("head_teacher", "三(2)班", "孙老师")

        # -- boarding: bus 1 is one short (张小明); bus 2 complete ---------------------------
        await school.at("2026-11-25 06:59")
        assert await with_text(school, escort_1, "上车清点") == []
        await school.at("2026-11-25 07:00")
        asked = await with_text(school, escort_1, "上车清点")
        assert (
            len(asked) == 1 and "校车1号（苏D·12341）早班（到校） 上车清点：应到 3 人" in asked[0]
        )
        board_all = await data_of(school, escort_1, "实到 3/3")
        for other in (head_31, escort_2):  # forged: only bus 1's escort counts bus 1
            refused = await press_data(school, other, board_all)
            assert refused == "只有本车的跟车老师（周老师）可以清点和检查车厢，没有更改任何内容。"
        assert board_all.startswith("bus:all:")
        sent_before = "bs:" + board_all.removeprefix("bus:")  # the prefix of a button sent before
        assert "只有本车的跟车老师" in await press_data(school, head_31, sent_before)
        assert "按钮不再有效" in await press_data(school, escort_1, "bs:all:99999:b")
        assert "按钮不再有效" in await press_data(school, escort_1, "bs:all:1:z")
        assert (await trip(school, 1)).boarded is None
        await press(school, escort_1, "有人未到")
        await press(school, escort_1, "☐ 三(1)班 张小明")
        await press(school, escort_1, "☐ 三(1)班 李小华")
        await press(school, escort_1, "☑ 三(1)班 李小华")  # unticked again
        await press(school, escort_1, "确认：实到 2/3")
        done = texts(await school.received(escort_1.chat_id))
        assert any(
            "上车清点已记录：应到 3，实到 2" in m and "未到：三(1)班 张小明" in m for m in done
        )
        told = await with_text(school, head_31, "张小明 未乘坐校车1号")
        assert len(told) == 1
        assert await with_text(school, head_32, "未乘坐") == []
        assert await with_text(school, leader, "张小明") == []  # not boarding is not an alarm
        await press(school, escort_2, "实到 2/2")
        assert (await trip(school, 2)).boarded == 2

        # -- a stale press: boarding is done, its buttons change nothing -------------------------
        assert "已进入下一步" in await press_data(school, escort_1, board_all)
        assert (await trip(school, 1)).boarded == 2

        # -- arrival: bus 1 has 2 on board and 1 arrives (李小华 missing): alarm at once ----------
        await school.at("2026-11-25 07:40")
        arrival = await with_text(school, escort_1, "到达清点：应到 2 人")
        assert len(arrival) == 1
        await press(school, escort_1, "有人未到")
        await press(school, escort_1, "☐ 三(1)班 李小华")
        await press(school, escort_1, "确认：实到 1/2")
        alert = await with_text(school, leader, "到达清点少人")
        assert len(alert) == 1 and "上车 2 人，实到 1 人。未到：三(1)班 李小华" in alert[0]
        assert len(await with_text(school, principal, "到达清点少人")) == 1
        assert len(await with_text(school, head_31, "李小华 在校车1号")) == 1
        await press(school, escort_1, "车厢已检查")
        assert (await trip(school, 1)).checked_at == local("2026-11-25 07:40")
        await press(school, escort_2, "实到 2/2")
        assert await with_text(school, escort_2, "请检查车厢")

        # -- bus 2's escort never confirms the empty bus: the duty leader within 5 minutes -------
        await school.at("2026-11-25 07:44")
        assert await with_text(school, leader, "车厢检查。跟车老师 吴老师") == []
        await school.at("2026-11-25 07:45")
        late = await with_text(school, leader, "仍未完成车厢检查")
        assert len(late) == 1 and "校车2号（苏D·12342）早班（到校） 应于 07:40 到达" in late[0]
        assert await with_text(school, leader, "校车1号（苏D·12341）早班（到校） 应于") == []
        await school.at("2026-11-25 07:50")
        assert len(await with_text(school, leader, "仍未完成车厢检查")) == 1  # once

        # -- /today and /bus say it; everything is in the audit log -------------------------------
        await school.say(principal, "/today")
        today = texts(await school.received(principal.chat_id))[-1]
        assert "🚌 校车：今日 2 个车次，已完成 1，到达时未到 1 人" in today
        assert "2号 早班（到校）：待车厢检查" in today
        await school.say(leader, "/bus")
        listing = texts(await school.received(leader.chat_id))[-1]
        assert "校车1号（苏D·12341）早班（到校）：应到 3，上车 2，到达 1，车厢检查 07:40" in listing
        async with school.app.sessions() as session:
            actions = list(await session.scalars(select(AuditLog.action)))
        assert actions.count("bus.boarded") == 2 and actions.count("bus.arrived") == 2
        assert "bus.checked" in actions and "bus.check_late" in actions

        # -- the record book: the bus sheet (each trip) and the book's section -------------------
        paths = await export_records(
            school.app.sessions, school.app.school_id, DAY, DAY, tmp_path / "out"
        )
        book = load_workbook(next(p for p in paths if p.suffix == ".xlsx"))
        rows = list(book["校车记录"].iter_rows(values_only=True))
        assert rows[0][:6] == ("日期", "车号", "班次", "应到", "上车实到", "上车未到")
        assert rows[1][1:6] == (1, "早班（到校）", 3, 2, "三(1)班 张小明")
        assert rows[1][7:9] == (1, "三(1)班 李小华") and rows[1][10:12] == ("周老师", "周老师")
        assert rows[2][1] == 2 and rows[2][12] is None and rows[2][13] is not None
        document = Document(str(next(p for p in paths if p.suffix == ".docx")))
        cells = [c.text for table in document.tables for row in table.rows for c in row.cells]
        assert "校车接送记录" in [p.text for p in document.paragraphs]
        assert "三(1)班 李小华" in cells and "11-25 07:45" in cells  # the late alert


def seven_buses() -> list[dict[str, Any]]:
    """296 riders (a third of the school) on 7 buses, from every class; bus 1 carries
    三(1)班's 张小明 and 李小华."""
    classes = [f"{grade}-{n}" for grade in range(1, 7) for n in range(1, 5)]
    riders = [(classes[i % 24], f"学生{i:03d}") for i in range(294)]
    riders += [("3-1", "张小明"), ("3-1", "李小华")]
    sizes = [42] * 6 + [44]
    buses, start = [], 0
    for number, size in enumerate(sizes, start=1):
        chunk = riders[-2:] + riders[: size - 2] if number == 1 else riders[start : start + size]
        start += size - 2 if number == 1 else size
        buses.append(bus(number, f"跟车{number}", chunk))
    assert sum(len(b["riders"]) for b in buses) == 296
    return buses


async def test_seven_buses_and_296_riders_with_an_absence_a_missing_child_and_an_unchecked_bus(
    routines_off: Callable[..., Settings], clock: FakeClock
) -> None:
    settings = routines_off(*DAILY_ROUTINES, bus__buses=seven_buses())
    clock.set(local("2026-11-24 17:00"))
    async with running_school(settings, clock) as school:
        await school.admin("校长")
        leader = await school.join("duty_leader", None, "赵主任")
        head_31 = await school.join("head_teacher", "三(1)班", "王老师")
        head_32 = await school.join("head_teacher", "三(2)班", "孙老师")
        escorts = [await school.join("teacher", None, f"跟车{n}") for n in range(1, 8)]

        # -- the evening before: 张小明's head teacher marks him absent; nobody else may -------
        await school.say(head_32, "/absent 张小明 明天")
        assert "只有该生的班主任" in texts(await school.received(head_32.chat_id))[-1]
        await school.say(head_31, "/absent 王小虎 明天")
        assert "没有找到名叫「王小虎」" in texts(await school.received(head_31.chat_id))[-1]
        await school.say(head_31, "/absent 三(1)班 张小明 昨天")
        assert "已经过去了" in texts(await school.received(head_31.chat_id))[-1]
        await school.say(head_31, "/absent 张小明 明天")
        assert (
            "张小明 2026-11-25 不乘坐校车1号" in texts(await school.received(head_31.chat_id))[-1]
        )

        # -- boarding: every escort asked, bus 1 expects one fewer ------------------------------
        await school.at("2026-11-25 07:00")
        for number, escort in enumerate(escorts, start=1):
            asked = await with_text(school, escort, "上车清点")
            expected = {1: 41, 7: 44}.get(number, 42)
            assert len(asked) == 1 and f"应到 {expected} 人" in asked[0], number
            assert ("已请假不乘车：三(1)班 张小明" in asked[0]) == (number == 1)
            await press(school, escort, f"实到 {expected}/{expected}")
        assert await with_text(school, head_31, "未乘坐") == []  # absent is not missing

        # -- arrival: 李小华 boarded and did not arrive; bus 7 never checks its bus ---------------
        await school.at("2026-11-25 07:40")
        await press(school, escorts[0], "有人未到")
        await press(school, escorts[0], "☐ 三(1)班 李小华")
        await press(school, escorts[0], "确认：实到 40/41")
        for number, escort in enumerate(escorts[1:], start=2):
            await press(school, escort, "实到 44/44" if number == 7 else "实到 42/42")
            if number != 7:
                await press(school, escort, "车厢已检查")
        await press(school, escorts[0], "车厢已检查")
        assert len(await with_text(school, head_31, "李小华 在校车1号")) == 1
        alert = await with_text(school, leader, "到达清点少人")
        assert len(alert) == 1 and "上车 41 人，实到 40 人。未到：三(1)班 李小华" in alert[0]
        await school.at("2026-11-25 07:44")
        assert await with_text(school, leader, "仍未完成") == []
        await school.at("2026-11-25 07:45")
        late = await with_text(school, leader, "仍未完成车厢检查")
        assert len(late) == 1 and "校车7号" in late[0] and "跟车老师 跟车7" in late[0]
        async with school.app.sessions() as session:
            trips = list(await session.scalars(select(BusTrip).order_by(BusTrip.bus)))
        assert [t.arrived for t in trips] == [40, 42, 42, 42, 42, 42, 44]
        assert sum(len(t.riders) for t in trips) == 295 and trips[0].absent == ["三(1)班 张小明"]
