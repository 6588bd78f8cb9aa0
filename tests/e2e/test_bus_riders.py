"""The riders from a file, and parents' absences, through the emulator: an admin sends the
rider list with /bus import (a broken one is refused whole with each row's reason, nothing
changes); the escort counts from the imported list; a parent marks their child absent for
tomorrow (the head teacher is told, the escort's list has one fewer), later with a date
alone and with the 「明天不坐校车」 button; bad dates, days without buses and another
family's child get a polite answer and change nothing."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.core.settings import Settings
from scheduler.bus.riders import _read, check_riders
from scheduler.duty.roster import RosterImport, Table
from storage.bus import BusAbsence, BusRider, BusTrip
from storage.models import AuditLog
from tests.conftest import DAILY_ROUTINES, local
from tests.e2e.harness import SimPerson, SimulatedSchool, running_school, texts
from tests.e2e.test_bus import bus, data_of, press, press_data, with_text


@pytest.fixture
def bus_school(routines_off: Callable[..., Settings]) -> Settings:
    """Two buses with no riders in config.toml: the riders come from a file."""
    return routines_off(*DAILY_ROUTINES, bus__buses=[bus(1, "周老师", []), bus(2, "吴老师", [])])


def xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


RIDERS: list[list[Any]] = [
    ["姓名", "班级", "车号", "站点", "家长电话"],
    ["张小明", "三(1)班", "1号车", "吕墅村", "139 1234 5678"],
    ["李小华", "三(1)班", 1, "吕墅村", None],
    ["王小红", "三(2)班", "1", "薛家镇", ""],
    ["陈小东", "3-2", "2", "薛家镇", None],
    ["赵小西", "四(1)班", 2, "", None],
]


async def riders_table(data: bytes) -> Table | RosterImport:
    return await asyncio.to_thread(_read, data, "template.xlsx")


async def last(school: SimulatedSchool, person: SimPerson) -> str:
    return texts(await school.received(person.chat_id))[-1]


async def riders(school: SimulatedSchool) -> list[BusRider]:
    async with school.app.sessions() as session:
        return list(await session.scalars(select(BusRider).order_by(BusRider.id)))


async def test_riders_come_from_a_file_and_parents_mark_their_child_absent(
    bus_school: Settings, clock: FakeClock
) -> None:
    clock.set(local("2026-11-24 16:00"))  # a Tuesday
    async with running_school(bus_school, clock) as school:
        principal = await school.admin("校长")
        teacher = await school.join("teacher", None, "周老师")
        escort_2 = await school.join("teacher", None, "吴老师")
        head_31 = await school.join("head_teacher", "三(1)班", "王老师")
        parent = await school.join("parent", "三(1)班", "张小明妈妈")
        other_parent = await school.join("parent", "三(1)班", "刘爸爸")

        # -- a broken file is refused whole, with each row's reason ----------------------------
        broken = RIDERS + [
            ['=HYPERLINK("http://x")', "三(1)班", 1, "", None],
            ["钱小多", "九(9)班", 1, "", None],
            ["孙小少", "三(1)班", "5号车", "", None],
            ["张小明", "三(1)班", 2, "", None],
            ["周小周", "三(1)班", 1, "", "电话不详"],
        ]
        await school.send_document(principal, xlsx(broken), "乘车名单.xlsx", caption="/bus import")
        refused = await last(school, principal)
        assert "共 1 个问题" in refused  # the formula: the rest is not read
        assert "第 7 行：单元格「=HYPERLINK(" in refused
        broken[6] = ["=钱小多", "三(1)班", 1, "", None]  # as a .csv has it: text, not a formula
        csv = "\n".join(",".join("" if c is None else str(c) for c in row) for row in broken)
        await school.send_document(
            principal, csv.encode("gb18030"), "乘车名单.csv", caption="/bus import"
        )
        refused = await last(school, principal)
        assert "乘车名单未导入，原名单没有任何改动。共 5 个问题" in refused
        assert "第 7 行：单元格「=钱小多」是公式" in refused
        assert "第 8 行：没有「九(9)班」这个班级" in refused
        assert "第 9 行：没有「5号车」这辆校车（可用车号：1、2）" in refused
        assert "第 10 行：「张小明」与第 2 行重复" in refused
        assert "第 11 行：家长电话「电话不详」不是电话号码" in refused
        assert await riders(school) == []
        await school.send_document(
            principal, b"\xff\xfe\x00garbage", "riders.csv", caption="/bus import"
        )
        assert "乘车名单未导入" in await last(school, principal)
        await school.send_document(teacher, xlsx(RIDERS), "乘车名单.xlsx", caption="/bus import")
        assert "只有管理员可以导入乘车名单" in await last(school, teacher)
        assert await riders(school) == []

        # -- the template, filled in as it comes, is a valid file ---------------------------------
        await school.say(principal, "/bus 模板")
        template = (await school.received(principal.chat_id))[-1]
        assert template["document"]["file_name"] == "bus-riders-template.xlsx"
        filled = school.world.files.get(template["document"]["file_id"]).data
        assert check_riders(bus_school, await riders_table(filled)).ok
        await school.say(teacher, "/bus 模板")  # staff: how to import, no file
        assert "document" not in (await school.received(teacher.chat_id))[-1]

        # -- the good file: 5 riders on 2 buses --------------------------------------------------
        await school.send_document(principal, xlsx(RIDERS), "乘车名单.xlsx", caption="/bus import")
        assert "已导入乘车名单：共 5 名学生（1号车 3 人、2号车 2 人）" in await last(
            school, principal
        )
        imported = await riders(school)
        assert [(r.bus, r.unit, r.name, r.stop) for r in imported][:2] == [
            (1, "3-1", "张小明", "吕墅村"),
            (1, "3-1", "李小华", "吕墅村"),
        ]
        assert imported[0].guardian_phone == "13912345678"
        await school.say(teacher, "/bus 1")
        assert "乘车学生 3 人" in await last(school, teacher)

        # -- a parent: /help says how; a date alone is not enough yet, bad dates are refused -----
        await school.say(parent, "/help")
        assert "/absent 张小明 明天 登记不坐校车" in await last(school, parent)
        await school.say(parent, "/bus")
        assert "我还不知道您的孩子乘哪辆校车" in await last(school, parent)
        await school.say(parent, "/absent 明天")
        assert "请写上孩子姓名" in await last(school, parent)
        await school.say(parent, "/absent 张小明 下周八")
        reply = await last(school, parent)
        assert "用法：/absent 明天" in reply and "已登记" not in reply
        await school.say(parent, "/absent 张小明 周六")
        assert "不是上学日，校车不开" in await last(school, parent)
        await school.say(parent, "/absent 张小明 昨天")
        assert "已经过去了" in await last(school, parent)
        await school.say(parent, "/absent 王小红 明天")  # another class's child
        assert "只有该生的班主任" in await last(school, parent)
        async with school.app.sessions() as session:
            assert list(await session.scalars(select(BusAbsence))) == []

        # -- the parent names the child: recorded, the head teacher told, the guardian kept ------
        await school.say(parent, "/absent 张小明 明天")
        assert "张小明 2026-11-25 不乘坐校车1号" in await last(school, parent)
        told = await with_text(school, head_31, "家长 张小明妈妈 报告")
        assert told == [
            "📝 家长 张小明妈妈 报告：三(1)班 张小明 2026-11-25 不乘坐校车1号（苏D·12341）。"
        ]
        assert (await riders(school))[0].guardian_id == parent.person_id
        await school.say(other_parent, "/absent 张小明 后天")  # not their child
        assert "只有该生的班主任" in await last(school, other_parent)

        # -- the morning: the escort counts from the imported list, one fewer --------------------
        await school.at("2026-11-25 07:00")
        asked = await with_text(school, teacher, "上车清点")
        assert len(asked) == 1 and "应到 2 人" in asked[0]
        assert "已请假不乘车：三(1)班 张小明" in asked[0]
        assert len(await with_text(school, escort_2, "应到 2 人")) == 1

        # -- a second parent, after the prompt: the escort is told the list changed ---------------
        await school.say(other_parent, "/absent 李小华 今天")
        assert "李小华 2026-11-25 不乘坐校车1号" in await last(school, other_parent)
        update = await with_text(school, teacher, "李小华 今天不乘车")
        assert update == [
            "📝 校车1号（苏D·12341）早班（到校）：三(1)班 李小华 今天不乘车（刘爸爸 登记），应到改为 1 人。"
        ]
        await press(school, teacher, "实到")  # the old button counts the list as it is now
        async with school.app.sessions() as session:
            trip = await session.scalar(
                select(BusTrip).where(BusTrip.bus == 1, BusTrip.leg == "am")
            )
        assert trip is not None and trip.boarded == 1 and trip.riders == ["三(2)班 王小红"]

        # -- later: a date alone, and the button, for the parent's own child ---------------------
        await school.say(parent, "/absent 2026-11-27")
        assert "张小明 2026-11-27 不乘坐校车1号" in await last(school, parent)
        await school.say(parent, "/bus")
        shown = await last(school, parent)
        assert "张小明：校车1号（苏D·12341），站点 吕墅村" in shown
        data = await data_of(school, parent, "张小明 明天不坐校车")
        assert data == f"busabsent:{imported[0].id}:20261126"
        assert "只有该生的班主任" in await press_data(school, other_parent, data)  # not theirs
        old = f"ba:{imported[0].id}:20261126"  # the prefix of a button sent before
        assert "只有该生的班主任" in await press_data(school, other_parent, old)
        async with school.app.sessions() as session:
            assert len(list(await session.scalars(select(BusAbsence)))) == 3
        assert await press(school, parent, "张小明 明天不坐校车") == ""
        assert "张小明 2026-11-26 不乘坐校车1号" in await last(school, parent)
        assert await press_data(school, parent, "ba:999999:20261126") != ""  # forged
        assert await press_data(school, parent, "ba:1:2026xx26") != ""
        assert "不再有效" in await press_data(school, parent, "busabsent:1:20261332")  # no date

        # -- a guardian by the child's invite (storage.pupils) needs no name; other parents of
        #    the class may no longer mark that child -----------------------------------------------
        token = await school.invite(principal, "parent", "3-2 王小红")
        invited = school.user("王小红妈妈")
        await school.say(invited, f"/start {token}")
        consent = [m for m in await school.received(invited.chat_id) if m.get("reply_markup")]
        if consent:  # the data notice's 同意, when the school asks for it
            await press(school, invited, "同意")
        class_parent = await school.join("parent", "三(2)班", "三二班家长")
        await school.say(class_parent, "/absent 王小红 2026-11-30")
        assert "只有该生的班主任" in await last(school, class_parent)
        await school.say(invited, "/absent 2026-11-30")
        assert "王小红 2026-11-30 不乘坐校车1号" in await last(school, invited)
        await school.say(invited, "/bus")
        assert "王小红：校车1号（苏D·12341），站点 薛家镇" in await last(school, invited)

        # -- a delay: the escort and the head teacher are told; bad minutes are refused ----------
        await school.say(parent, "/bus 晚到 90")
        assert "请写 1 到 30 之间的数字" in await last(school, parent)
        await school.say(parent, "/bus 你好")
        assert "用法：/bus 晚到 10" in await last(school, parent)
        await school.say(parent, "/bus 晚到 10分钟")
        assert "已告知跟车老师和班主任：三(1)班 张小明 今天晚到约 10 分钟" in await last(
            school, parent
        )
        delay = "家长 张小明妈妈 报告 三(1)班 张小明 今天晚到约 10 分钟（站点 吕墅村，16:40 上车）"
        assert len(await with_text(school, teacher, delay)) == 1
        assert len(await with_text(school, head_31, delay)) == 1
        assert await with_text(school, escort_2, "晚到") == []
        await school.say(other_parent, "/bus 晚到 5")  # their own child, marked this morning
        assert "李小华 今天晚到约 5 分钟" in await last(school, other_parent)
        await school.say(principal, "/bus 晚到 5")  # staff: not a parent's delay
        assert "用法：/bus 查看今天的校车车次" in await last(school, principal)

        async with school.app.sessions() as session:
            days = sorted(a.day.isoformat() for a in await session.scalars(select(BusAbsence)))
            actions = list(await session.scalars(select(AuditLog.action)))
        assert days == ["2026-11-25", "2026-11-25", "2026-11-26", "2026-11-27", "2026-11-30"]
        assert actions.count("bus.riders_imported") == 1 and actions.count("bus.absent") == 5

        # -- a parent whose data is deleted (/forget) is no longer any rider's guardian ----------
        assert (await riders(school))[1].guardian_id == other_parent.person_id
        await school.say(principal, "/forget 刘爸爸")
        await press(school, principal, "确认删除")
        assert [r.guardian_id for r in await riders(school)][:2] == [parent.person_id, None]
