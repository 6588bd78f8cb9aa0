"""A hazard's whole life through the emulator, with real photos: a teacher raises it, the
safety officer assigns it with a deadline typed as people type, the principal signs the list,
the owner is reminded, the duty leader is told when it is overdue, the owner fixes it with an
after-photo, the officer rejects once, it is fixed again, verified, signed off and reopened.
Restarts in the middle lose nothing and send nothing twice; stale and forged buttons and bad
input change nothing."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.core.settings import Settings
from bot.demo_scenes.photos import scene_photo
from storage.exports import export_records
from storage.hazards import Hazard, HazardEvent
from storage.models import AuditLog, Outbox
from tests.conftest import DAILY_ROUTINES, local, settings_for
from tests.e2e.harness import SimPerson, SimulatedSchool, running_school, texts

BEFORE = scene_photo("extinguisher pressure low")
AFTER_1 = scene_photo("extinguisher gauge still red")
AFTER_2 = scene_photo("new extinguisher installed")


@pytest.fixture
def hazard_school(routines_off: Callable[..., Settings]) -> Settings:
    """The shipped school with the daily routines off, so the chats hold the hazards'."""
    return routines_off(*DAILY_ROUTINES)


async def last(school: SimulatedSchool, person: SimPerson) -> dict[str, Any]:
    return (await school.received(person.chat_id))[-1]


async def with_text(school: SimulatedSchool, person: SimPerson, needle: str) -> list[str]:
    return [m for m in texts(await school.received(person.chat_id)) if needle in m]


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


async def button_message(school: SimulatedSchool, person: SimPerson, label: str) -> dict[str, Any]:
    for message in reversed(await school.received(person.chat_id)):
        if any(label in text for text, _ in buttons(message)):
            return message
    raise LookupError(f"{person.name} has no message with a {label!r} button")


async def press(
    school: SimulatedSchool, person: SimPerson, message: dict[str, Any], label: str
) -> str:
    """Press the button whose text contains ``label``; returns the pop-up answer."""
    data = next(d for text, d in buttons(message) if label in text)
    return await press_data(school, person, message, data)


async def press_latest(school: SimulatedSchool, person: SimPerson, label: str) -> str:
    """Press ``label`` on the person's newest message that has it."""
    return await press(school, person, await button_message(school, person, label), label)


async def press_data(
    school: SimulatedSchool, person: SimPerson, message: dict[str, Any] | None, data: str
) -> str:
    """Press ``data`` on the message, or (None) on the person's own last message: as a
    forwarded or forged button would."""
    if message is None:
        message = await last(school, person)
    query = school.world.press_button(
        person.user_id, person.chat_id, message["message_id"], data, check_button=False
    )
    await school.settle()
    return str((school.world.callbacks[query["id"]].answer or {}).get("text") or "")


def docx_images(document: Any, cell: Any) -> list[bytes]:
    """The images embedded in a table cell of a .docx, in order."""
    ids = cell._element.xpath(".//a:blip/@r:embed")
    return [bytes(document.part.related_parts[i].blob) for i in ids]


def photo_bytes(school: SimulatedSchool, message: dict[str, Any]) -> bytes:
    return bytes(school.world.files.get(message["photo"][-1]["file_id"]).data)


async def raise_hazard(
    school: SimulatedSchool,
    finder: SimPerson,
    what: str,
    category: str,
    severity: str,
    photo: bytes | None,
) -> str:
    await school.say(finder, "/hazard")
    await school.say(finder, what)
    await school.say(finder, "教学楼三楼东侧")
    await press(school, finder, await last(school, finder), category)
    await press(school, finder, await last(school, finder), severity)
    if photo is not None:
        await school.photo(finder, photo)
    await press_latest(school, finder, "提交隐患")
    return str((await last(school, finder))["text"])


async def fix_with_photo(school: SimulatedSchool, owner: SimPerson, photo: bytes, note: str) -> str:
    """整改完成 on the owner's latest button, the after-photo, the note; returns the answer."""
    await press_latest(school, owner, "整改完成")
    await school.photo(owner, photo)
    await press(school, owner, await last(school, owner), "照片已发完")
    await school.say(owner, note)
    return str((await last(school, owner))["text"])


async def verify_and_sign_off(
    school: SimulatedSchool, officer: SimPerson, principal: SimPerson
) -> None:
    """验收通过 by the officer, then the principal's 审核签字."""
    await press_latest(school, officer, "验收通过")
    await press_latest(school, principal, "审核签字")


@dataclass(frozen=True)
class Register:
    """What the record book (via the export service) shows of a school's hazards."""

    rows: list[dict[str, Any]]  # the .xlsx 隐患台账, one dict per hazard
    audit: list[str]  # the .xlsx 操作日志's action column
    section: list[str]  # the .docx paragraphs from 隐患排查整改 on
    pair: list[list[bytes]]  # the first hazard's before and after photos, side by side
    found: str  # the text under the before photo


async def register_of(
    school: SimulatedSchool, start: dt.date, end: dt.date, folder: Path
) -> Register:
    paths = await export_records(school.app.sessions, school.app.school_id, start, end, folder)
    book = load_workbook(next(p for p in paths if p.suffix == ".xlsx"))
    rows = list(book["隐患台账"].iter_rows(values_only=True))
    document = Document(str(next(p for p in paths if p.suffix == ".docx")))
    lines = [p.text for p in document.paragraphs]
    pair = next(t for t in document.tables if t.rows[0].cells[0].text == "整改前")
    assert [c.text for c in pair.rows[0].cells] == ["整改前", "整改后"]
    return Register(
        rows=[dict(zip(rows[0], row, strict=True)) for row in rows[1:]],
        audit=[str(r[2]) for r in book["操作日志"].iter_rows(values_only=True)],
        section=lines[lines.index("隐患排查整改") :],
        pair=[docx_images(document, cell) for cell in pair.rows[1].cells],
        found=pair.rows[1].cells[0].text,
    )


async def hazard_row(school: SimulatedSchool, hazard_id: int) -> Hazard:
    async with school.app.sessions() as session:
        found = await session.get(Hazard, hazard_id)
    assert found is not None
    return found


async def test_a_hazard_goes_from_a_photo_to_the_principals_sign_off_and_back(
    hazard_school: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    async with running_school(hazard_school, clock) as school:
        principal = await school.admin("校长")
        officer = await school.join("safety_officer", None, "王主任")
        leader = await school.join("duty_leader", None, "赵主任")
        owner = await school.join("teacher", None, "李老师")
        finder = await school.join("teacher", None, "张老师")

        # -- found and registered, with its photo -----------------------------------------------
        await school.at("2026-11-25 09:00")
        answer = await raise_hazard(
            school, finder, "三楼灭火器压力不足", "校园消防", "较重", BEFORE
        )
        assert answer == "✅ 已登记隐患 #1，已通知安全员指派整改。"
        card = (await with_text(school, officer, "【隐患 #1】"))[0]
        assert "三楼灭火器压力不足" in card and "类别：校园消防　程度：较重" in card
        assert "/hazard 1 指派 姓名 期限" in card
        photo = await last(school, officer)
        assert photo_bytes(school, photo) == BEFORE
        assert Image.open(io.BytesIO(photo_bytes(school, photo))).size == (320, 240)
        assert await with_text(school, principal, "【隐患 #1】")  # an admin is told too
        assert await with_text(school, leader, "【隐患 #1】") == []  # not urgent

        # -- assignment: bad deadlines are refused with examples, then 3天内 ----------------------
        await school.say(officer, "/hazard 1 指派 李老师 昨天")
        assert "已经过去了" in (await last(school, officer))["text"]
        await school.say(officer, "/hazard 1 指派 李老师 改天吧")
        assert "下周五、3天内" in (await last(school, officer))["text"]
        await school.say(officer, "/hazard 1 指派 孙老师 明天")
        assert "没有找到名叫「孙老师」" in (await last(school, officer))["text"]
        await school.say(finder, "/hazard 1 指派 张老师 明天")  # a teacher may not assign
        assert "不能由您操作" in (await last(school, finder))["text"]
        assert (await hazard_row(school, 1)).status == "reported"
        await school.say(officer, "/hazard 1 指派 李老师 3天内")
        assert (await last(school, officer))["text"] == (
            "✅ 隐患 #1 已指派 李老师，期限 2026-11-28，已请校长确认责任清单。"
        )
        assert await with_text(school, owner, "【隐患 #1】") == []  # not before the list is signed

        # -- the principal's one-button list: only the principal -----------------------------------
        listed = await button_message(school, principal, "确认责任清单")
        assert "王主任 指派 李老师 负责整改，期限 2026-11-28" in listed["text"]
        data = next(d for _, d in buttons(listed) if d.startswith("hz:list:"))
        assert "不能由您操作" in await press_data(school, officer, None, data)
        await school.at("2026-11-25 09:30")
        assert await press(school, principal, listed, "确认责任清单") == ""
        assert "（校长 11-25 09:30）" in (await last(school, principal))["text"]
        assert "不适用" in await press_data(school, principal, listed, data)  # pressed twice
        told = await with_text(school, owner, "您是隐患 #1 的整改责任人")
        assert len(told) == 1 and "2026-11-28 前整改完毕" in told[0]
        assert photo_bytes(school, await last(school, owner)) == BEFORE
        row = await hazard_row(school, 1)
        assert (row.status, row.listed_at) == ("open", local("2026-11-25 09:30"))

        # -- a restart, the reminder the day before, the duty leader's escalation after ----------
        await school.restart()
        await school.at("2026-11-26 08:00")
        assert await with_text(school, owner, "⏰ 提醒") == []
        await school.at("2026-11-27 08:00")
        await school.restart()
        await school.at("2026-11-27 09:00")
        assert len(await with_text(school, owner, "⏰ 提醒：隐患 #1 的整改期限是 2026-11-28")) == 1
        await school.at("2026-11-28 20:00")
        assert await with_text(school, leader, "逾期未整改") == []
        await school.at("2026-11-29 08:00")
        await school.restart()
        await school.at("2026-11-29 10:00")
        overdue = await with_text(school, leader, "逾期未整改")
        assert len(overdue) == 1 and "责任人 李老师，期限 2026-11-28，已逾期 1 天" in overdue[0]
        await school.say(principal, "/today")
        today = (await last(school, principal))["text"]
        assert "⚠️ 隐患：未销号 1 条，今日新发现 0，今日到期 0，逾期 1" in today
        assert "#1 [整改中] 三楼灭火器压力不足 @ 教学楼三楼东侧 — 责任人 李老师" in today

        # -- the fix: only the owner; a photo is required; the note ------------------------------
        fix = await button_message(school, owner, "整改完成")
        fix_data = next(d for _, d in buttons(fix) if d.startswith("hz:fix:"))
        assert "不能由您操作" in await press_data(school, finder, None, fix_data)
        await press(school, owner, fix, "整改完成")
        ask = await last(school, owner)
        assert "请发送整改后的照片" in ask["text"]
        assert "至少一张" in await press(school, owner, ask, "照片已发完")
        await school.photo(owner, AFTER_1)
        await press(school, owner, await last(school, owner), "照片已发完")
        await school.restart()  # in the middle of the owner's conversation
        await school.say(owner, "已给灭火器充压")
        assert (await last(school, owner))[
            "text"
        ] == "✅ 隐患 #1 已报整改完成，等待安全员复查验收。"

        # -- verification: rejected once with a reason and a new deadline -------------------------
        verify = await button_message(school, officer, "驳回")
        assert "李老师 已整改：已给灭火器充压" in verify["text"]
        assert photo_bytes(school, await last(school, officer)) == AFTER_1
        await press(school, officer, verify, "驳回")
        await school.say(officer, "压力表指针仍在红区")
        await school.say(officer, "上周一")
        assert "已经过去了" in (await last(school, officer))["text"]
        await school.say(officer, "下周五")
        assert (await last(school, officer))["text"] == (
            "↩️ 已驳回，隐患 #1 退回 李老师 重新整改，期限 2026-12-04。"
        )
        back = await with_text(school, owner, "未通过复查：压力表指针仍在红区")
        assert len(back) == 1 and "2026-12-04 前重新整改" in back[0]
        # The first round's buttons are stale now: nothing changes.
        assert "不适用" in await press(school, officer, verify, "验收通过")
        assert "不适用" in await press(school, owner, fix, "整改完成")

        # -- fixed again, verified, signed off ----------------------------------------------------
        await school.at("2026-11-30 10:00")
        await fix_with_photo(school, owner, AFTER_2, "已更换新灭火器")
        verify = await button_message(school, officer, "验收通过")
        assert "已更换新灭火器" in verify["text"]
        await press(school, officer, verify, "验收通过")
        assert await with_text(school, owner, "复查验收通过") != []
        sign = await button_message(school, principal, "审核签字")
        data = next(d for _, d in buttons(sign) if d.startswith("hz:sign:"))
        assert "不能由您操作" in await press_data(school, officer, None, data)
        await press(school, principal, sign, "审核签字")
        assert (await hazard_row(school, 1)).status == "closed"
        assert await with_text(school, finder, "隐患 #1 已由 校长 审核签字，销号") != []
        assert "不适用" in await press_data(school, principal, sign, data)
        forged = await press_data(school, principal, sign, "hz:sign:1:99x")
        assert "不适用" in forged or "失效" in forged

        # -- reopened with a reason: reported again, nothing lost -----------------------------------
        await school.say(officer, "/hazard 1 重开 复查发现又漏气")
        assert (await last(school, officer))["text"].startswith("🔁 隐患 #1 已重新打开")
        assert (await hazard_row(school, 1)).status == "reported"

        await school.say(principal, "/hazard 1")
        received = await school.received(principal.chat_id)
        history = next(m["text"] for m in reversed(received) if "经过：" in (m.get("text") or ""))
        for step in (
            "张老师：发现并登记",
            "王主任：指派 李老师，期限 2026-11-28",
            "校长：校长确认责任清单",
            "系统：提醒责任人",
            "系统：逾期，已报带班领导",
            "李老师：整改完成：已给灭火器充压",
            "王主任：复查驳回：压力表指针仍在红区，新期限 2026-12-04",
            "李老师：整改完成：已更换新灭火器",
            "王主任：复查验收通过",
            "校长：校长审核签字，销号",
            "王主任：重新打开：复查发现又漏气",
        ):
            assert step in history, step
        shown = [photo_bytes(school, m) for m in received[-3:]]
        assert shown == [BEFORE, AFTER_1, AFTER_2]

        async with school.app.sessions() as session:
            actions = list(
                await session.scalars(
                    select(AuditLog.action)
                    .where(AuditLog.action.startswith("hazard."))
                    .order_by(AuditLog.id)
                )
            )
            keys = list(
                await session.scalars(select(Outbox.key).where(Outbox.key.startswith("hz:")))
            )
            events = list(await session.scalars(select(HazardEvent.kind).order_by(HazardEvent.id)))
        assert actions == [
            "hazard.raised",
            "hazard.assigned",
            "hazard.listed",
            "hazard.fixed",
            "hazard.rejected",
            "hazard.fixed",
            "hazard.verified",
            "hazard.signed",
            "hazard.reopened",
        ]
        assert events.count("reminded") == 1 and events.count("escalated") == 1
        assert len(keys) == len(set(keys))

        # -- the register (隐患台账) in the record book's workbook shows each step --------------
        book = await register_of(
            school, dt.date(2026, 11, 1), dt.date(2026, 11, 30), tmp_path / "book"
        )
        assert list(book.rows[0])[:3] == ["编号", "类别", "检查项目"]
        (register,) = book.rows
        assert register["地点"] == "教学楼三楼东侧" and register["发现人"] == "张老师"
        # Reopened: the owner stays, the verification and sign-off are to be done again.
        assert (register["整改责任人"], register["复查人"], register["审核签字"]) == (
            "李老师",
            None,
            None,
        )
        assert (register["程度"], register["状态"]) == ("较重", "待指派")  # reopened
        assert (register["驳回次数"], register["重开次数"], register["整改天数"]) == (1, 1, 5)
        assert {"复查驳回", "校长审核签字", "重开隐患"} <= set(book.audit)

        # -- the .docx: the month's figures, the chart, the before and after photos side by side
        section = book.section
        assert section[1] == (
            "本月发现隐患 1 条，复查验收 1 条（按期整改 1 条），逾期 1 条，重新打开 1 条。"
        )
        assert "隐患发现与整改" in section and "整改前后对比" in section
        assert "#1 校园消防：三楼灭火器压力不足（教学楼三楼东侧）" in section
        assert book.pair == [[BEFORE], [AFTER_2]]  # the accepted fix's photo, not the rejected one
        assert "张老师 11-25 09:00" in book.found


async def test_an_urgent_hazard_alerts_the_duty_leader_and_admins_and_asks_for_a_measure(
    hazard_school: Settings, clock: FakeClock
) -> None:
    async with running_school(hazard_school, clock) as school:
        principal = await school.admin("校长")
        leader = await school.join("duty_leader", None, "赵主任")
        finder = await school.join("staff", "canteen", "食堂张师傅")
        await school.at("2026-11-25 11:00")
        answer = await raise_hazard(school, finder, "燃气管道接口有异味", "燃气", "一般", None)
        assert answer.startswith("🚨 已登记紧急隐患 #1")
        for person in (leader, principal):
            alert = await with_text(school, person, "【隐患 #1】燃气管道接口有异味")
            assert len(alert) == 1 and "/hazard 1 措施" in alert[0]
        await school.say(leader, "/hazard 1 措施 已关闭燃气总阀并设警戒线")
        assert (await last(school, leader))["text"] == "✅ 已记录隐患 #1 的临时管控措施。"
        await school.say(finder, "/hazard 1 措施 我来关")  # staff may not record it
        assert "不能由您操作" in (await last(school, finder))["text"]
        await school.say(leader, "/hazards")
        assert "#1 [待指派] 燃气管道接口有异味" in (await last(school, leader))["text"]
        async with school.app.sessions() as session:
            row = await session.get(Hazard, 1)
        assert row is not None and row.measure == "已关闭燃气总阀并设警戒线"


@pytest.fixture
def patrol_school(routines_off: Callable[..., Settings]) -> Settings:
    """Patrols and daily reports on (the 1530 off), so both have their 发现隐患 button."""
    return routines_off("education", "inspections")


async def test_a_patrol_or_an_incident_becomes_a_hazard_with_one_press_and_its_photos(
    patrol_school: Settings, clock: FakeClock
) -> None:
    crack = scene_photo("crack in the east fence")
    smoke = scene_photo("socket scorched")
    async with running_school(patrol_school, clock) as school:
        await school.admin("校长")
        officer = await school.join("safety_officer", None, "王主任")
        guard = await school.join("guard", None, "保安老刘")
        teacher = await school.join("head_teacher", "3-1", "王老师")

        # -- the 10:10 patrol: its confirmation has 发现隐患 --------------------------------------
        await school.at("2026-11-25 10:10")
        await school.say(guard, "/patrol 东侧围墙裂缝变宽")
        await school.photo(guard, crack)
        await press_latest(school, guard, "完成")
        done = await button_message(school, guard, "发现隐患")
        assert "东侧围墙裂缝变宽" in done["text"]
        raise_data = next(d for _, d in buttons(done) if d.startswith("hz:fp:"))
        assert "失效" in await press_data(school, teacher, None, raise_data)  # not their patrol
        await press(school, guard, done, "发现隐患")
        asked = (await last(school, guard))["text"]
        assert asked.startswith("⚠️ 登记隐患 #1：已带入内容和 1 张照片。")
        assert "隐患在什么地方" in asked
        await school.say(guard, "东侧围墙")
        await press(school, guard, await last(school, guard), "校舍")
        await press(school, guard, await last(school, guard), "较重")
        await press_latest(school, guard, "提交隐患")
        assert (await last(school, guard))["text"] == "✅ 已登记隐患 #1，已通知安全员指派整改。"
        card = (await with_text(school, officer, "【隐患 #1】东侧围墙裂缝变宽"))[0]
        assert "东侧围墙" in card and "保安老刘" in card
        assert photo_bytes(school, await last(school, officer)) == crack

        # -- a daily-report incident: text, place, severity and photo come with it ---------------
        await school.at("2026-11-25 14:30")
        summary = await zero_incident(school, teacher, "教室插座冒烟", "三(1)班教室", smoke)
        await press(school, teacher, summary, "确认提交")
        sent = await button_message(school, teacher, "发现隐患")
        assert "已提交" in sent["text"] or "#1" in sent["text"]
        await press(school, teacher, sent, "发现隐患")
        asked = (await last(school, teacher))["text"]
        assert asked.startswith("⚠️ 登记隐患 #2：已带入内容和 1 张照片。")
        assert "属于哪一类" in asked  # the place and severity came with the incident
        await press(school, teacher, await last(school, teacher), "用电")
        await press_latest(school, teacher, "提交隐患")
        assert (await last(school, teacher))["text"].startswith("🚨 已登记紧急隐患 #2")
        row = await hazard_row(school, 2)
        assert (row.what, row.place, row.category, row.severity) == (
            "教室插座冒烟",
            "三(1)班教室",
            "power",
            "serious",
        )


async def zero_incident(
    school: SimulatedSchool, person: SimPerson, text: str, place: str, photo: bytes
) -> dict[str, Any]:
    """有情况 under the daily-report prompt, up to the summary to confirm."""
    prompt = await button_message(school, person, "有情况")
    await press(school, person, prompt, "有情况")
    await school.say(person, text)
    await school.say(person, place)
    await press(school, person, await last(school, person), "较重")
    await school.photo(person, photo)
    await press_latest(school, person, "照片")
    return await button_message(school, person, "确认提交")


async def test_the_demo_day_shows_a_hazard_from_the_1010_patrol_to_the_principals_sign_off(
    patrol_school: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    from bot.demo_scenes import SCENES
    from bot.demo_scenes.hazards import PHOTO_AFTER_2, PHOTO_BEFORE, scene

    assert "hazards" in dict(SCENES)
    demo = settings_for(
        patrol_school, patrol_school.database_url, tmp_path, inspections__enabled=True
    )
    clock.set(local("2026-11-25 07:00"))
    async with running_school(demo, clock) as school:
        school.people["校长"] = await school.admin("校长")
        for name, role, unit in (
            ("保安乙", "guard", None),
            ("总务员工", "staff", "general"),
            ("食堂员工", "staff", "canteen"),
        ):
            school.people[name] = await school.join(role, unit, name)
        logged: list[str] = []
        lines = await scene(school, logged.append)
        assert lines[0] == "inspections: 食堂员工 answered the canteen's gas check (3 items 正常)"
        assert lines[1] == (
            "hazards: #1 raised from 保安乙's 10:10 patrol with a photo, assigned to 总务员工 "
            "(3天内), list signed by 校长, fixed with a photo, rejected 1×, fixed again, "
            "verified and signed off → closed"
        )
        row = await hazard_row(school, 1)
        assert (row.what, row.place, row.category) == (
            "教学楼三楼东侧：灭火器压力不足",
            "教学楼三楼东侧",
            "fire",
        )
        paths = await export_records(
            school.app.sessions,
            school.app.school_id,
            dt.date(2026, 11, 25),
            dt.date(2026, 11, 25),
            tmp_path / "book",
        )
        document = Document(str(next(p for p in paths if p.suffix == ".docx")))
        (pair,) = [t for t in document.tables if t.rows[0].cells[0].text == "整改前"]
        shown = [docx_images(document, cell) for cell in pair.rows[1].cells]
        assert shown == [[PHOTO_BEFORE], [PHOTO_AFTER_2]]


async def test_a_hazard_found_in_the_canteens_gas_check_goes_the_whole_chain_across_restarts(
    hazard_school: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    """The seed's chain from an inspection item: 有隐患 on the gas check → hazard (item filled
    in) → assigned → the principal's list → reminder → the duty leader told when overdue → fix
    → reject → fix → verify → sign-off → reopen, with restarts in between, and the register."""
    item = "食堂燃气·燃气泄漏报警器正常（每年检测）"
    async with running_school(hazard_school, clock) as school:
        principal = await school.admin("校长")
        officer = await school.join("safety_officer", None, "王主任")
        leader = await school.join("duty_leader", None, "赵主任")
        cook = await school.join("staff", "canteen", "食堂张师傅")
        owner = await school.join("staff", "general", "李师傅")

        # -- the 09:30 gas check: item 1 正常, item 2 有隐患, a restart mid-description ----------
        await school.at("2026-11-25 09:30")
        prompt = await button_message(school, cook, "2 有隐患")
        await press(school, cook, prompt, "1 正常")
        await press_latest(school, cook, "2 有隐患")
        assert (
            "第 2 项「燃气泄漏报警器正常（每年检测）」有隐患" in (await last(school, cook))["text"]
        )
        await school.restart()
        await school.say(cook, "报警器指示灯不亮")
        await press(school, cook, await last(school, cook), "较重")
        await school.photo(cook, BEFORE)
        await press_latest(school, cook, "提交隐患")
        assert (await last(school, cook))["text"].startswith("🚨 已登记紧急隐患 #1")
        await press_latest(school, cook, "3 正常")
        (done,) = await with_text(school, cook, "检查完成")
        assert "2. 燃气泄漏报警器正常（每年检测） ⚠️ 有隐患 #1" in done
        card = (await with_text(school, officer, "【隐患 #1】报警器指示灯不亮"))[0]
        assert f"检查项目：{item}" in card
        assert photo_bytes(school, await last(school, officer)) == BEFORE
        assert len(await with_text(school, leader, "【隐患 #1】")) == 1  # gas: urgent, at once

        # -- assigned, the principal's list signed ------------------------------------------------
        await school.at("2026-11-25 09:45")
        await school.say(officer, "/hazard 1 指派 李师傅 3天内")
        assert "期限 2026-11-28" in (await last(school, officer))["text"]
        await school.at("2026-11-25 09:50")
        listed = await button_message(school, principal, "确认责任清单")
        await press(school, principal, listed, "确认责任清单")
        assert "（校长 11-25 09:50）" in (await last(school, principal))["text"]
        assert (await hazard_row(school, 1)).status == "open"

        # -- reminder and escalation across restarts, each once -----------------------------------
        await school.restart()
        await school.at("2026-11-27 09:00")
        await school.restart()
        await school.at("2026-11-27 12:00")
        assert len(await with_text(school, owner, "⏰ 提醒：隐患 #1 的整改期限是 2026-11-28")) == 1
        await school.at("2026-11-29 10:00")
        await school.restart()
        await school.at("2026-11-29 12:00")
        overdue = await with_text(school, leader, "逾期未整改")
        assert len(overdue) == 1 and "责任人 李师傅，期限 2026-11-28，已逾期 1 天" in overdue[0]

        # -- fixed, rejected, a restart, fixed again, verified, signed off ------------------------
        fixed = await fix_with_photo(school, owner, AFTER_1, "已更换报警器电池")
        assert fixed == "✅ 隐患 #1 已报整改完成，等待安全员复查验收。"
        assert photo_bytes(school, await last(school, officer)) == AFTER_1
        await press_latest(school, officer, "驳回")
        await school.say(officer, "报警器仍不报警")
        await school.say(officer, "下周五")
        assert "期限 2026-12-04" in (await last(school, officer))["text"]
        await school.restart()
        await school.at("2026-11-30 10:00")
        await fix_with_photo(school, owner, AFTER_2, "已更换新报警器并测试")
        await verify_and_sign_off(school, officer, principal)
        assert (await hazard_row(school, 1)).status == "closed"
        assert await with_text(school, cook, "隐患 #1 已由 校长 审核签字，销号") != []

        # -- the register after the sign-off: every step's who and when --------------------------
        signed = await register_of(
            school, dt.date(2026, 11, 1), dt.date(2026, 11, 30), tmp_path / "signed"
        )
        (row,) = signed.rows
        assert (row["检查项目"], row["类别"], row["发现人"], row["程度"]) == (
            item,
            "燃气",
            "食堂张师傅",
            "较重",
        )
        assert (row["整改责任人"], row["复查人"], row["审核签字"], row["状态"]) == (
            "李师傅",
            "王主任",
            "校长",
            "已销号",
        )
        assert (row["驳回次数"], row["重开次数"], row["整改天数"]) == (1, 0, 5)
        assert {"登记隐患", "指派隐患整改", "校长确认责任清单", "隐患整改完成", "复查驳回"} <= set(
            signed.audit
        )
        assert {"复查验收通过", "校长审核签字"} <= set(signed.audit)
        assert "#1 燃气：报警器指示灯不亮（食堂操作间）" in signed.section
        assert signed.pair == [[BEFORE], [AFTER_2]]

        # -- reopened: the register says so, nothing else changes --------------------------------
        await school.say(officer, "/hazard 1 重开 报警器又不响了")
        assert (await last(school, officer))["text"].startswith("🔁 隐患 #1 已重新打开")
        await school.restart()
        reopened = await register_of(
            school, dt.date(2026, 11, 1), dt.date(2026, 11, 30), tmp_path / "reopened"
        )
        (row,) = reopened.rows
        assert (row["状态"], row["重开次数"], row["复查人"], row["审核签字"]) == (
            "待指派",
            1,
            None,
            None,
        )
        assert "重开隐患" in reopened.audit
        assert reopened.section[1] == (
            "本月发现隐患 1 条，复查验收 1 条（按期整改 1 条），逾期 1 条，重新打开 1 条。"
        )

        # -- nothing was sent twice ---------------------------------------------------------------
        for person in (officer, leader, principal):
            assert len(await with_text(school, person, "请立即采取临时管控措施")) == 1
        assert len(await with_text(school, owner, "您是隐患 #1 的整改责任人")) == 1
        assert len(await with_text(school, owner, "⏰ 提醒")) == 1
        assert len(await with_text(school, leader, "逾期未整改")) == 1
        async with school.app.sessions() as session:
            keys = list(await session.scalars(select(Outbox.key)))
            events = list(await session.scalars(select(HazardEvent.kind).order_by(HazardEvent.id)))
        assert len(keys) == len(set(keys))
        assert events.count("reminded") == 1 and events.count("escalated") == 1
        assert events.count("rejected") == 1 and events.count("reopened") == 1
