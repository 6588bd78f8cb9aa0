"""24-hour duty on SQLite and PostgreSQL: the roster (files, one day's post, swaps), the time
rules, reminders, the handover with its confirmation, the alerts, and patrols."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.app import App, close_app, open_app
from bot.core.clock import FakeClock
from bot.core.settings import ConfigError, Settings, settings_from_dict
from scheduler import recipients
from scheduler.calendar import SchoolCalendar
from scheduler.duty import handover as handovers
from scheduler.duty import handover_text as texts
from scheduler.duty import patrol as patrols
from scheduler.duty import roster
from scheduler.duty import swap as swaps
from scheduler.duty.buttons import (
    HandoverPress,
    HandoverStep,
    PatrolAction,
    PatrolPress,
    SwapChoice,
    SwapPress,
)
from scheduler.routine import Context
from scheduler.rules import duty as rules
from storage import duty as store
from storage import people
from storage.media import StoredFile
from storage.models import AuditLog, Outbox, Person, Task
from tests.conftest import add_person, local

D = dt.date
WED, THU, FRI = D(2026, 11, 25), D(2026, 11, 26), D(2026, 11, 27)
_tg_ids = itertools.count(7_000_001)


@pytest.fixture
def duty_settings(routines_off: Callable[..., Settings]) -> Settings:
    """The shipped school with the other routines off, so every message here is duty's."""
    return routines_off("education", "zero_report")


@pytest.fixture
async def app(duty_settings: Settings, clock: FakeClock) -> AsyncIterator[App]:
    application = await open_app(duty_settings, clock=clock)
    try:
        yield application
    finally:
        await close_app(application)


def ctx_of(app: App) -> Context:
    return Context(app.school_id, app.settings.school.language, app.tz)


async def make_person(app: App, name: str, role: str = "teacher") -> Person:
    return await add_person(app, name, role, None, next(_tg_ids))


@pytest.fixture
async def staff(app: App) -> dict[str, Person]:
    names = {
        "校长": "admin",
        "赵主任": "duty_leader",
        "钱主任": "duty_leader",
        "张老师": "teacher",
        "李老师": "teacher",
        "王老师": "teacher",
        "保安甲": "guard",
        "保安乙": "guard",
        "家长": "parent",
    }
    return {name: await make_person(app, name, role) for name, role in names.items()}


async def rostered(app: App, *rows: tuple[D, str, Person]) -> None:
    async with app.sessions.begin() as session:
        store.add_entries(
            session,
            app.school_id,
            [(d, p, who.id) for d, p, who in rows],
            "import",
            None,
            app.now(),
        )


async def roster_of(app: App, day: D) -> set[tuple[str, str]]:
    async with app.sessions() as session:
        entries = await store.roster(session, app.school_id, [day])
        return {
            (e.post, (await session.get(Person, e.person_id)).display_name)  # type: ignore[union-attr]
            for e in entries
        }


async def at(app: App, clock: FakeClock, when: str) -> None:
    clock.set(local(when))
    await app.tick()


async def inbox(app: App, person: Person, prefix: str = "duty:") -> list[str]:
    async with app.sessions() as session:
        rows = await session.scalars(
            select(Outbox)
            .where(Outbox.person_id == person.id, Outbox.key.startswith(prefix))
            .order_by(Outbox.id)
        )
        return [r.payload["text"] for r in rows]


async def outbox_row(app: App, person: Person, prefix: str) -> Outbox:
    async with app.sessions() as session:
        row = await session.scalar(
            select(Outbox).where(Outbox.person_id == person.id, Outbox.key.startswith(prefix))
        )
    assert row is not None, f"{person.display_name} got nothing keyed {prefix}"
    return row


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def fake_photo(tmp_path: Path, name: str) -> tuple[StoredFile, str, str, str]:
    path = tmp_path / f"{name}.jpg"
    path.write_bytes(b"\xff\xd8" + name.encode())
    return (
        StoredFile(name.ljust(64, "0"), path.stat().st_size, path),
        f"file-{name}",
        name,
        "image/jpeg",
    )


# --- the time rules ------------------------------------------------------------------------


def test_the_posts_cover_the_day_and_hand_over_at_the_shift_ends(
    shipped_settings: Settings,
) -> None:
    slots = {s.post: s for s in rules.post_slots(shipped_settings, WED)}
    assert (slots["teacher"].start, slots["teacher"].end) == (
        local("2026-11-25 07:30"),
        local("2026-11-25 17:30"),
    )
    assert (slots["night"].start, slots["night"].end) == (
        local("2026-11-25 17:30"),
        local("2026-11-26 07:30"),
    )
    assert slots["leader"].end == local("2026-11-26 07:30")
    assert "gate" not in slots
    handover = {h.outgoing.post: h for h in rules.handover_slots(shipped_settings, WED)}
    assert (handover["teacher"].incoming.post, handover["teacher"].incoming.day) == ("night", WED)
    assert (handover["night"].incoming.post, handover["night"].incoming.day) == ("teacher", THU)
    assert (handover["leader"].incoming.post, handover["leader"].incoming.day) == ("leader", THU)
    assert "gate" not in handover


def test_gate_duty_stands_at_arrival_and_around_the_dismissals_of_school_days(
    shipped_settings: Settings,
) -> None:
    calendar = SchoolCalendar(shipped_settings)
    windows = rules.gate_windows(shipped_settings, calendar, WED)
    # Grades leave at 15:30, 16:00 and 16:30; their windows meet, so the gate stands once.
    assert [(w.start, w.end) for w in windows] == [
        (local("2026-11-25 07:20"), local("2026-11-25 08:00")),
        (local("2026-11-25 15:20"), local("2026-11-25 16:50")),
    ]
    assert rules.gate_windows(shipped_settings, calendar, D(2026, 11, 28)) == []  # Saturday


def test_the_leader_on_duty_at_seven_is_yesterdays(shipped_settings: Settings) -> None:
    assert rules.leader_day_at(shipped_settings, local("2026-11-26 07:29")) == WED
    assert rules.leader_day_at(shipped_settings, local("2026-11-26 07:30")) == THU


def test_a_bad_duty_config_is_refused_with_the_reason(shipped_settings: Settings) -> None:
    raw = shipped_settings.model_dump(mode="json", exclude={"base_dir"})
    raw["duty"]["posts"] = [p for p in raw["duty"]["posts"] if p["slug"] != "night"]
    with pytest.raises(ConfigError, match="handover_to 'night' is not a shift post"):
        settings_from_dict(raw, base_dir=Path("."))
    raw = shipped_settings.model_dump(mode="json", exclude={"base_dir"})
    raw["duty"]["posts"] = [p for p in raw["duty"]["posts"] if p["slug"] != "leader"]
    with pytest.raises(ConfigError, match="needs a 'leader' post"):
        settings_from_dict(raw, base_dir=Path("."))
    raw = shipped_settings.model_dump(mode="json", exclude={"base_dir"})
    raw["duty"]["posts"][0]["volunteers"] = True  # parents as the leader on duty
    with pytest.raises(ConfigError, match="leader on duty is staff"):
        settings_from_dict(raw, base_dir=Path("."))


# --- importing a roster --------------------------------------------------------------------


async def import_file(app: App, by: Person, data: bytes, name: str) -> roster.RosterImport:
    table = await roster.read_file(data, name)
    async with app.sessions.begin() as session:
        return await roster.import_roster(
            session, app.school_id, app.settings, app.now(), by, table, name
        )


async def test_a_roster_with_a_bad_date_an_unknown_person_and_a_duplicate_post_changes_nothing(
    app: App, staff: dict[str, Person]
) -> None:
    await rostered(app, (THU, "leader", staff["钱主任"]))
    data = xlsx(
        [
            ["日期", "岗位", "姓名"],
            [THU, "带班领导", "赵主任"],
            ["2026-02-30", "值班教师", "张老师"],
            [THU, "teacher", "孙老师"],
            [THU, "leader", "钱主任"],
            [FRI, "护学岗", "李老师、王老师"],
        ]
    )
    result = await import_file(app, staff["校长"], data, "值班表.xlsx")

    assert not result.ok
    assert [(p.row, p.key) for p in result.problems] == [
        (3, "duty.roster.bad_date"),
        (4, "duty.unknown_person"),
        (5, "duty.roster.duplicate_post"),
    ]
    lines = [roster.problem_text(p, "zh") for p in result.problems]
    assert lines[0].startswith("第 3 行：") and "2026-02-30" in lines[0]
    assert lines[1] == "第 4 行：找不到“孙老师”：请写本校教职工在机器人里的名字（/people 可查）。"
    assert lines[2].startswith("第 5 行：2026-11-26 的带班领导重复了（第 2 行已排")
    assert roster.problem_text(result.problems[2], "en").startswith("Row 5: 带班领导 on 2026-11-26")
    assert await roster_of(app, THU) == {("leader", "钱主任")}
    assert await roster_of(app, FRI) == set()


async def test_a_valid_roster_replaces_only_the_dates_it_covers(
    app: App, staff: dict[str, Person]
) -> None:
    await rostered(
        app,
        (WED, "leader", staff["钱主任"]),
        (THU, "leader", staff["钱主任"]),
        (THU, "guard", staff["保安乙"]),
    )
    # Excel in China saves CSV in GB18030; a date typed as 11月27日 is read by bot.core.dates.
    csv_text = "日期,岗位,姓名\n2026-11-26,leader,赵主任\n\n11月27日,值班教师,张老师\n2026/11/27,gate,李老师、王老师\n"
    result = await import_file(app, staff["校长"], csv_text.encode("gb18030"), "roster.csv")

    assert result.ok, [roster.problem_text(p, "en") for p in result.problems]
    assert result.days == [THU, FRI]
    assert await roster_of(app, WED) == {("leader", "钱主任")}
    assert await roster_of(app, THU) == {("leader", "赵主任")}
    assert await roster_of(app, FRI) == {
        ("teacher", "张老师"),
        ("gate", "李老师"),
        ("gate", "王老师"),
    }
    async with app.sessions() as session:
        logged = await session.scalar(
            select(AuditLog).where(AuditLog.action == "duty.roster.import")
        )
    assert logged is not None and logged.detail["days"] == ["2026-11-26", "2026-11-27"]


@pytest.mark.parametrize(
    ("data", "name", "key"),
    [
        (b"not a spreadsheet", "roster.xlsx", "duty.roster.unreadable"),
        (b"a,b,c\n", "roster.txt", "duty.roster.bad_type"),
        ("名字,岗位\n张老师,leader\n".encode(), "roster.csv", "duty.roster.no_columns"),
        (b"\n\n", "roster.csv", "duty.roster.empty"),
    ],
)
async def test_a_file_that_is_not_a_roster_is_refused(
    app: App, staff: dict[str, Person], data: bytes, name: str, key: str
) -> None:
    result = await import_file(app, staff["校长"], data, name)
    assert [p.key for p in result.problems] == [key]


async def test_past_far_and_parent_rows_are_refused(app: App, staff: dict[str, Person]) -> None:
    data = xlsx(
        [
            ["date", "post", "name"],
            [D(2026, 11, 24), "leader", "赵主任"],
            [D(2028, 1, 1), "leader", "赵主任"],
            [THU, "夜班", "家长"],
            [THU, "gate", "张老师"],
            [THU, "gate", "张老师"],
        ]
    )
    result = await import_file(app, staff["校长"], data, "r.xlsx")
    assert [(p.row, p.key) for p in result.problems] == [
        (2, "duty.roster.past_date"),
        (3, "duty.roster.far_date"),
        (4, "duty.roster.unknown_post"),
        (4, "duty.parent_not_allowed"),
        (6, "duty.roster.duplicate_person"),
    ]


async def test_a_person_twice_on_gate_duty_is_refused(app: App, staff: dict[str, Person]) -> None:
    data = xlsx(
        [["日期", "岗位", "姓名"], [THU, "gate", "张老师"], [THU, "gate", "李老师、张老师"]]
    )
    result = await import_file(app, staff["校长"], data, "r.xlsx")
    assert [(p.row, p.key, p.params["first"]) for p in result.problems] == [
        (3, "duty.roster.duplicate_person", 2)
    ]


async def test_the_template_lists_the_posts_and_reads_back_as_a_valid_roster(
    app: App, staff: dict[str, Person]
) -> None:
    async with app.sessions() as session:
        people_list = await store.duty_staff(session, app.school_id)
    assert "家长" not in {p.display_name for p in people_list}
    data = roster.template_xlsx(app.settings, people_list, THU)
    result = await import_file(app, staff["校长"], data, roster.TEMPLATE_FILENAME)
    assert result.ok, [roster.problem_text(p, "en") for p in result.problems]
    assert {a.post for a in result.assignments} == {p.slug for p in app.settings.duty.posts}


async def set_post(app: App, by: Person, day: str, post: str, *names: str) -> object:
    async with app.sessions.begin() as session:
        return await roster.set_post(
            session, app.school_id, app.settings, app.now(), by, day, post, list(names)
        )


async def test_one_days_post_is_set_by_command(app: App, staff: dict[str, Person]) -> None:
    admin = staff["校长"]
    assert isinstance(await set_post(app, admin, "明天", "leader", "赵主任"), roster.PostChange)
    await set_post(app, admin, "2026-11-26", "带班领导", "钱主任")
    await set_post(app, admin, "2026-11-26", "gate", "张老师")
    await set_post(app, admin, "2026-11-26", "gate", "李老师", "王老师")
    assert await roster_of(app, THU) == {
        ("leader", "钱主任"),
        ("gate", "张老师"),
        ("gate", "李老师"),
        ("gate", "王老师"),
    }
    await set_post(app, admin, "2026-11-26", "gate", "-")
    assert await roster_of(app, THU) == {("leader", "钱主任")}

    for args, key in [
        (("昨天", "leader", "赵主任"), "duty.roster.past_date"),
        (("2026-11-26", "boss", "赵主任"), "duty.roster.unknown_post"),
        (("2026-11-26", "leader", "赵主人"), "duty.unknown_person"),
        (("2026-11-26", "leader", "赵主任", "钱主任"), "duty.set.full"),
    ]:
        problem = await set_post(app, admin, *args)
        assert isinstance(problem, roster.Problem) and problem.key == key, args
    assert await roster_of(app, THU) == {("leader", "钱主任")}


async def test_parent_volunteers_stand_at_the_gate_and_are_reminded_like_staff(
    app: App, clock: FakeClock, staff: dict[str, Person]
) -> None:
    admin, parent = staff["校长"], staff["家长"]
    other_parent = await add_person(app, "张三家长", "parent", None, next(_tg_ids))
    data = xlsx(
        [["日期", "岗位", "姓名"], [THU, "护学岗", "家长、张老师"], [THU, "teacher", "李老师"]]
    )
    assert (await import_file(app, admin, data, "r.xlsx")).ok
    assert isinstance(
        await set_post(app, admin, "2026-11-26", "gate", "张三家长"), roster.PostChange
    )
    assert await roster_of(app, THU) == {
        ("gate", "家长"),
        ("gate", "张老师"),
        ("gate", "张三家长"),
        ("teacher", "李老师"),
    }
    # The other posts are staff's: a parent there is refused, saying where parents may stand.
    refused = await set_post(app, admin, "2026-11-27", "teacher", "张三家长")
    assert isinstance(refused, roster.Problem) and refused.key == "duty.parent_not_allowed"
    assert "张三家长" in roster.problem_text(refused, "zh") and "护学岗" in roster.problem_text(
        refused, "zh"
    )
    bad = xlsx([["日期", "岗位", "姓名"], [FRI, "gate", "家长"], [FRI, "leader", "家长"]])
    assert [(p.row, p.key) for p in (await import_file(app, admin, bad, "r.xlsx")).problems] == [
        (3, "duty.parent_not_allowed")
    ]

    await at(app, clock, "2026-11-25 20:00")
    await at(app, clock, "2026-11-26 07:10")
    for volunteer in (parent, other_parent):
        told = await inbox(app, volunteer)
        assert "护学岗 07:20–08:00、15:20–16:50" in told[0]
        assert told[1:] == ["⏰ 10 分钟后护学岗：07:20–08:00，请到校门口就位。"]


async def test_a_named_volunteer_without_the_bot_stands_at_the_gate_but_not_on_a_staff_post(
    app: App, staff: dict[str, Person]
) -> None:
    admin = staff["校长"]
    data = xlsx(
        [["日期", "岗位", "姓名"], [THU, "护学岗", "王奶奶、张老师"], [FRI, "护学岗", "王奶奶"]]
    )
    assert (await import_file(app, admin, data, "r.xlsx")).ok
    assert isinstance(await set_post(app, admin, "2026-11-27", "gate", "李爷爷"), roster.PostChange)
    assert await roster_of(app, THU) == {("gate", "王奶奶"), ("gate", "张老师")}
    assert await roster_of(app, FRI) == {("gate", "王奶奶"), ("gate", "李爷爷")}
    async with app.sessions() as session:  # one person for one name, however many rows
        named = await session.scalar(
            select(func.count(Person.id)).where(Person.display_name == "王奶奶")
        )
    assert named == 1
    # Staff posts stay for staff: an unknown name there is refused, as before.
    refused = await set_post(app, admin, "2026-11-27", "teacher", "王奶奶")
    assert isinstance(refused, roster.Problem)
    bad = xlsx([["日期", "岗位", "姓名"], [FRI, "leader", "赵大爷"], [FRI, "gate", "钱阿姨"]])
    problems = (await import_file(app, admin, bad, "r.xlsx")).problems
    assert [(p.row, p.key) for p in problems] == [(2, "duty.unknown_person")]
    async with app.sessions() as session:  # a refused file keeps no new volunteer either
        kept = await session.scalar(
            select(func.count(Person.id)).where(Person.display_name == "钱阿姨")
        )
    assert kept == 0


async def test_the_roster_text_shows_gaps(app: App, staff: dict[str, Person]) -> None:
    await rostered(app, (WED, "leader", staff["赵主任"]), (WED, "gate", staff["张老师"]))
    async with app.sessions() as session:
        text = await roster.roster_text(session, app.school_id, app.settings, [WED], "zh")
    assert "2026-11-25 周三" in text
    assert "带班领导 07:30–+1 07:30：赵主任" in text
    assert "值班教师 07:30–17:30：—" in text
    assert "护学岗 上学及各年级放学时段：张老师" in text


async def test_the_days_rostered_leader_gets_the_escalations(
    app: App, staff: dict[str, Person]
) -> None:
    async with app.sessions() as session:
        before = await recipients.duty_leaders(session, ctx_of(app), THU)
    assert {r.person_id for r in before} == {staff["赵主任"].id, staff["钱主任"].id}
    await rostered(app, (THU, "leader", staff["钱主任"]))
    async with app.sessions() as session:
        after = await recipients.duty_leaders(session, ctx_of(app), THU)
    assert [r.person_id for r in after] == [staff["钱主任"].id]
    async with app.sessions.begin() as session:  # the rostered leader blocked the bot
        await people.mark_unreachable(session, app.school_id, staff["钱主任"].tg_user_id or 0)
    async with app.sessions() as session:
        blocked = await recipients.duty_leaders(session, ctx_of(app), THU)
    assert [r.person_id for r in blocked] == [staff["赵主任"].id]  # the other duty leaders


# --- reminders -----------------------------------------------------------------------------


async def test_reminders_the_evening_before_and_before_each_shift(
    app: App, clock: FakeClock, staff: dict[str, Person]
) -> None:
    teacher, guard, gate = staff["张老师"], staff["保安甲"], staff["李老师"]
    await rostered(app, (THU, "teacher", teacher), (THU, "guard", guard), (THU, "gate", gate))

    await at(app, clock, "2026-11-25 19:59")
    assert await inbox(app, teacher) == []
    await at(app, clock, "2026-11-25 20:00")
    await at(app, clock, "2026-11-25 20:05")
    evening = await inbox(app, teacher)
    assert len(evening) == 1
    assert evening[0].startswith(
        "📅 值班提醒：明天（2026-11-26 周四）你值班：\n• 值班教师 07:30–17:30"
    )
    assert "护学岗 07:20–08:00、15:20–16:50" in (await inbox(app, gate))[0]

    await at(app, clock, "2026-11-26 06:59")
    assert len(await inbox(app, teacher)) == 1
    await at(app, clock, "2026-11-26 07:00")
    await at(app, clock, "2026-11-26 07:09")
    assert (await inbox(app, teacher))[1:] == [
        "⏰ 30 分钟后（07:30）开始值班：值班教师 07:30–17:30"
    ]
    assert (await inbox(app, guard))[1:] == [
        "⏰ 30 分钟后（07:30）开始值班：值班保安 07:30–+1 07:30"
    ]
    assert len(await inbox(app, gate)) == 1  # gate duty is reminded 10 minutes before instead
    await at(app, clock, "2026-11-26 07:10")
    assert (await inbox(app, gate))[1:] == ["⏰ 10 分钟后护学岗：07:20–08:00，请到校门口就位。"]
    await at(app, clock, "2026-11-26 15:10")
    assert (await inbox(app, gate))[2:] == ["⏰ 10 分钟后护学岗：15:20–16:50，请到校门口就位。"]


async def test_a_late_roster_gets_one_reminder_and_none_after_the_start(
    app: App, clock: FakeClock, staff: dict[str, Person]
) -> None:
    await rostered(app, (WED, "night", staff["王老师"]), (WED, "teacher", staff["张老师"]))
    await at(app, clock, "2026-11-25 17:10")  # imported after 20:00 the day before
    assert await inbox(app, staff["王老师"]) == [
        "⏰ 30 分钟后（17:30）开始值班：夜间值班 17:30–+1 07:30"
    ]
    assert await inbox(app, staff["张老师"], "duty:soon") == []  # started at 07:30 already


# --- handovers -----------------------------------------------------------------------------


async def handover_of(app: App, key: str) -> store.Handover:
    async with app.sessions() as session:
        found = await store.handover_by_key(session, app.school_id, key)
    assert found is not None
    return found


async def test_a_complete_handover_with_photos_and_the_confirmation(
    app: App, clock: FakeClock, staff: dict[str, Person], tmp_path: Path
) -> None:
    outgoing, incoming, leader = staff["张老师"], staff["王老师"], staff["赵主任"]
    await rostered(
        app, (WED, "teacher", outgoing), (WED, "night", incoming), (WED, "leader", leader)
    )
    await at(app, clock, "2026-11-25 17:29")
    assert await inbox(app, outgoing, "duty:ho") == []
    await at(app, clock, "2026-11-25 17:30")
    await at(app, clock, "2026-11-25 17:31")
    prompt = await outbox_row(app, outgoing, "duty:ho")
    assert prompt.payload["text"].startswith(
        "【交接班】值班教师 → 夜间值班  11-25 17:30\n交班人：张老师　接班人：王老师"
    )
    buttons = [b for row in prompt.payload["buttons"] for b in row]
    assert [b["text"] for b in buttons][:6] == [
        "☐ 校门及围墙",
        "☐ 消防设施",
        "☐ 水电气",
        "☐ 巡查完成",
        "☐ 来访登记",
        "☐ 突发情况",
    ]
    assert all(len(b["data"].encode()) <= 64 and b["data"].isascii() for b in buttons)
    h = await handover_of(app, "2026-11-25:teacher")
    ctx, settings = ctx_of(app), app.settings

    async with app.sessions.begin() as session:
        for item in range(5):
            step = await handovers.toggle(session, ctx, settings, h.id, outgoing, item)
        step = await handovers.toggle(session, ctx, settings, h.id, outgoing, 4)  # untick
        step = await handovers.toggle(session, ctx, settings, h.id, outgoing, 4)
        assert step.view is not None
        shown = texts.checklist_message(step.view, settings, "zh")
        assert [b.text for row in shown.buttons for b in row][:6] == [
            "☑ 校门及围墙",
            "☑ 消防设施",
            "☑ 水电气",
            "☑ 巡查完成",
            "☑ 来访登记",
            "☐ 突发情况",
        ]
        refused = await handovers.submit(session, ctx, settings, h.id, outgoing, app.now())
        assert refused.outcome is handovers.Outcome.NEED_NOTE
        await handovers.add_note(
            session, ctx, h.id, outgoing, "无突发情况，东门锁已更换", app.now()
        )
        await handovers.add_note(
            session, ctx, h.id, outgoing, "东门", app.now(), photo=fake_photo(tmp_path, "gate")
        )
        step = await handovers.add_note(
            session, ctx, h.id, outgoing, "", app.now(), photo=fake_photo(tmp_path, "fire")
        )
        assert step.view is not None and step.view.photos == 2
    clock.set(local("2026-11-25 17:36"))
    async with app.sessions.begin() as session:
        stranger = await handovers.submit(session, ctx, settings, h.id, incoming, app.now())
        assert stranger.outcome is handovers.Outcome.NOT_YOURS
        done = await handovers.submit(session, ctx, settings, h.id, outgoing, app.now())
        assert done.outcome is handovers.Outcome.OK
        again = await handovers.toggle(session, ctx, settings, h.id, outgoing, 5)
        assert again.outcome is handovers.Outcome.CLOSED

    ask = await outbox_row(app, incoming, "duty:hc")
    assert ask.payload["text"].startswith("【接班确认】\n【交接班】值班教师 → 夜间值班")
    assert "☑校门及围墙 ☑消防设施 ☑水电气 ☑巡查完成 ☑来访登记 ☐突发情况" in ask.payload["text"]
    assert "备注：无突发情况，东门锁已更换\n东门\n照片：2 张" in ask.payload["text"]
    confirm = {"text": "✅ 接班确认", "data": f"handover:{h.id}:ok", "url": ""}
    assert ask.payload["buttons"] == [[confirm]]

    clock.set(local("2026-11-25 17:41"))
    async with app.sessions.begin() as session:
        wrong = await handovers.confirm(session, ctx, settings, h.id, outgoing, app.now())
        assert wrong.outcome is handovers.Outcome.NOT_YOURS
        ok = await handovers.confirm(session, ctx, settings, h.id, incoming, app.now())
        assert ok.outcome is handovers.Outcome.OK
        twice = await handovers.confirm(session, ctx, settings, h.id, incoming, app.now())
        assert twice.outcome is handovers.Outcome.ALREADY
    assert (await inbox(app, outgoing, "duty:hk")) == ["✅ 王老师 已确认接班（17:41）。"]

    h = await handover_of(app, "2026-11-25:teacher")
    assert (h.status, h.checks[-1], h.submitted_at, h.confirmed_at) == (
        "confirmed",
        "visitors",
        local("2026-11-25 17:36"),
        local("2026-11-25 17:41"),
    )
    async with app.sessions() as session:
        task = await session.get(Task, h.task_id)
        assert task is not None and (task.routine, task.kind, task.status) == (
            "duty",
            "handover",
            "done",
        )
        text = await handovers.recent_text(session, ctx, settings, "en")
    assert "Outgoing: 张老师   Incoming: 王老师" in text
    assert "✅ Handed over at 17:36" in text and "✅ Receipt confirmed at 17:41" in text
    for minute in ("17:45", "17:55", "18:30"):
        await at(app, clock, f"2026-11-25 {minute}")
    assert await inbox(app, leader, "duty:alert") == []


async def test_a_missed_handover_alerts_the_leader_on_duty_exactly_once(
    app: App, clock: FakeClock, staff: dict[str, Person]
) -> None:
    outgoing, incoming = staff["张老师"], staff["王老师"]
    leader, other_leader = staff["赵主任"], staff["钱主任"]
    await rostered(
        app, (WED, "teacher", outgoing), (WED, "night", incoming), (WED, "leader", leader)
    )
    await at(app, clock, "2026-11-25 17:30")
    await at(app, clock, "2026-11-25 17:44")
    assert await inbox(app, leader, "duty:alert") == []
    for minute in ("17:45", "17:46", "18:30", "23:00"):
        await at(app, clock, f"2026-11-25 {minute}")
    assert await inbox(app, leader, "duty:alert") == [
        "⚠️ 交接班未完成：值班教师 张老师 应于 11-25 17:30 交班给夜间值班，15 分钟后仍未提交交接单。"
    ]
    for person in (outgoing, incoming, other_leader, staff["校长"]):
        assert await inbox(app, person, "duty:alert") == []
    async with app.sessions() as session:
        task = await session.scalar(
            select(Task).where(Task.key == "duty:handover:2026-11-25:teacher")
        )
    assert task is not None and task.status == "escalated"


async def test_a_missed_confirmation_alerts_once(
    app: App, clock: FakeClock, staff: dict[str, Person]
) -> None:
    outgoing, incoming, leader = staff["张老师"], staff["王老师"], staff["赵主任"]
    await rostered(
        app, (WED, "teacher", outgoing), (WED, "night", incoming), (WED, "leader", leader)
    )
    await at(app, clock, "2026-11-25 17:30")
    h = await handover_of(app, "2026-11-25:teacher")
    clock.set(local("2026-11-25 17:40"))
    async with app.sessions.begin() as session:
        for item in range(6):
            await handovers.toggle(session, ctx_of(app), app.settings, h.id, outgoing, item)
        await handovers.submit(session, ctx_of(app), app.settings, h.id, outgoing, app.now())
    await at(app, clock, "2026-11-25 17:54")
    assert await inbox(app, leader, "duty:alert") == []
    await at(app, clock, "2026-11-25 17:55")
    await at(app, clock, "2026-11-25 18:10")
    assert await inbox(app, leader, "duty:alert") == [
        "⚠️ 接班未确认：夜间值班 王老师 在交班（值班教师，17:40 提交）后 15 分钟内没有确认接班。"
    ]


async def test_when_the_leader_misses_the_handover_the_admins_are_told_too(
    app: App, clock: FakeClock, staff: dict[str, Person]
) -> None:
    old, new, admin = staff["赵主任"], staff["钱主任"], staff["校长"]
    await rostered(app, (WED, "leader", old), (THU, "leader", new))
    await at(app, clock, "2026-11-26 07:30")
    assert len(await inbox(app, old, "duty:ho")) == 1
    await at(app, clock, "2026-11-26 07:45")
    assert len(await inbox(app, new, "duty:alert")) == 1  # the leader on duty now
    assert len(await inbox(app, admin, "duty:alert")) == 1
    assert await inbox(app, old, "duty:alert") == []


async def test_nobody_rostered_means_no_handover_and_a_self_handover_is_skipped(
    app: App, clock: FakeClock, staff: dict[str, Person]
) -> None:
    teacher = staff["张老师"]
    await rostered(app, (WED, "teacher", teacher), (WED, "night", teacher))
    await at(app, clock, "2026-11-25 17:30")
    await at(app, clock, "2026-11-26 07:31")
    async with app.sessions() as session:
        rows = (await session.scalars(select(store.Handover))).all()
    # 17:30 she hands over to herself (skipped); 07:30 night → nobody on Thursday's day shift.
    assert [(h.key, h.incoming_id) for h in rows] == [("2026-11-25:night", None)]
    h = rows[0]
    async with app.sessions.begin() as session:
        await handovers.add_note(session, ctx_of(app), h.id, teacher, "夜间正常", app.now())
        step = await handovers.submit(session, ctx_of(app), app.settings, h.id, teacher, app.now())
    assert step.outcome is handovers.Outcome.OK and step.view is not None
    assert step.view.incoming is None and step.view.handover.status == "submitted"
    await at(app, clock, "2026-11-26 08:30")
    assert await inbox(app, staff["赵主任"], "duty:alert") == []


# --- swaps ---------------------------------------------------------------------------------


async def ask_swap(app: App, who: Person, args: str) -> store.Swap | roster.Problem:
    async with app.sessions.begin() as session:
        return await swaps.request_swap(session, ctx_of(app), app.settings, app.now(), who, args)


async def answer(app: App, who: Person, swap_id: int, accept: bool) -> swaps.Answer:
    async with app.sessions.begin() as session:
        result = await swaps.answer_swap(
            session, ctx_of(app), app.settings, app.now(), who, swap_id, accept
        )
    return result.answer


async def test_a_swap_takes_effect_when_both_agree_and_the_admin_is_told(
    app: App, staff: dict[str, Person]
) -> None:
    zhang, li = staff["张老师"], staff["李老师"]
    await rostered(app, (THU, "teacher", zhang), (FRI, "teacher", li), (THU, "gate", zhang))

    problem = await ask_swap(app, zhang, "2026-11-26 李老师 2026-11-27")
    assert isinstance(problem, roster.Problem) and problem.key == "duty.swap.which_post"
    swap = await ask_swap(app, zhang, "2026-11-26 teacher 李老师 11月27日")
    assert isinstance(swap, store.Swap)
    asked = await outbox_row(app, li, "duty:swap:")
    assert asked.payload["text"] == (
        "🔁 张老师 请求换班：李老师 接替 张老师 在 2026-11-26 的值班教师，"
        "张老师 接替 李老师 在 2026-11-27 的值班教师。是否同意？"
    )
    assert [b["data"] for b in asked.payload["buttons"][0]] == [
        f"duty_swap:{swap.id}:y",
        f"duty_swap:{swap.id}:n",
    ]
    assert await roster_of(app, THU) == {("teacher", "张老师"), ("gate", "张老师")}

    assert await answer(app, zhang, swap.id, True) is swaps.Answer.NOT_YOURS
    assert await answer(app, li, swap.id, True) is swaps.Answer.ACCEPTED
    assert await answer(app, li, swap.id, True) is swaps.Answer.ALREADY
    assert await roster_of(app, THU) == {("teacher", "李老师"), ("gate", "张老师")}
    assert await roster_of(app, FRI) == {("teacher", "张老师")}
    assert (await inbox(app, zhang, "duty:swap-answer"))[0].startswith("✅ 李老师 同意了换班")
    assert (await inbox(app, staff["校长"], "duty:swap-admin"))[0].startswith(
        "🔁 换班：李老师 接替 张老师"
    )


async def test_a_swap_on_a_day_with_two_posts_shows_how_to_name_one_in_the_askers_language(
    app: App, staff: dict[str, Person]
) -> None:
    zhang = staff["张老师"]
    await rostered(app, (THU, "teacher", zhang), (THU, "gate", zhang))
    problem = await ask_swap(app, zhang, "明天 李老师")
    assert isinstance(problem, roster.Problem)
    chinese = roster.problem_text(problem, "zh")
    assert "值班教师、护学岗" in chinese and "/swap 明天 值班教师 李老师" in chinese
    assert re.findall(r"[A-Za-z]{2,}", chinese.replace("/swap", "")) == []
    english = roster.problem_text(problem, "en")
    assert "teacher on duty" in english and "/swap 明天 teacher 李老师" in english
    assert "值班教师" not in english and "护学岗" not in english


async def test_a_swap_declined_or_overtaken_changes_nothing(
    app: App, clock: FakeClock, staff: dict[str, Person]
) -> None:
    zhang, li, wang = staff["张老师"], staff["李老师"], staff["王老师"]
    await rostered(app, (THU, "teacher", zhang))
    first = await ask_swap(app, zhang, "明天 李老师")
    assert isinstance(first, store.Swap)
    pending = await ask_swap(app, zhang, "明天 王老师")
    assert isinstance(pending, roster.Problem) and pending.key == "duty.swap.pending"
    assert await answer(app, li, first.id, False) is swaps.Answer.DECLINED
    assert (await inbox(app, zhang, "duty:swap-answer"))[0].startswith("李老师 没有同意换班")

    second = await ask_swap(app, zhang, "明天 王老师")
    assert isinstance(second, store.Swap)
    await set_post(app, staff["校长"], "明天", "teacher", "李老师")  # the admin changed it since
    assert await answer(app, wang, second.id, True) is swaps.Answer.STALE
    assert await roster_of(app, THU) == {("teacher", "李老师")}

    for who, args, key in [
        (li, "", "duty.swap.usage"),
        (li, "明天", "duty.swap.usage"),
        (wang, "明天 张老师", "duty.swap.not_on_duty"),
        (li, "2026-02-30 张老师", "duty.roster.bad_date"),
        (li, "明天 李老师", "duty.swap.self"),
        (li, "明天 没这人", "duty.unknown_person"),
    ]:
        problem = await ask_swap(app, who, args)
        assert isinstance(problem, roster.Problem) and problem.key == key, args
    third = await ask_swap(app, li, "明天 张老师")
    assert isinstance(third, store.Swap)
    clock.set(local("2026-11-27 09:00"))
    assert await answer(app, zhang, third.id, True) is swaps.Answer.EXPIRED


# --- patrols -------------------------------------------------------------------------------


async def test_a_patrol_keeps_its_text_and_photos_as_one_record(
    app: App, clock: FakeClock, staff: dict[str, Person], tmp_path: Path
) -> None:
    guard = staff["保安甲"]
    await rostered(app, (WED, "guard", guard))
    clock.set(local("2026-11-25 22:00"))
    async with app.sessions.begin() as session:
        patrol = await patrols.start_patrol(
            session, app.school_id, app.settings, guard, app.now(), "教学楼一至三楼巡查"
        )
        await patrols.add_to_patrol(
            session, app.school_id, patrol.id, guard, app.now(), photo=fake_photo(tmp_path, "p1")
        )
        await patrols.add_to_patrol(session, app.school_id, patrol.id, guard, app.now(), "门窗已锁")
        assert (
            await patrols.add_to_patrol(
                session, app.school_id, patrol.id, staff["张老师"], app.now(), "x"
            )
            is None
        )
    async with app.sessions() as session:
        found = await patrols.recent_patrols(session, app.school_id, local("2026-11-25 00:00"))
    assert [(p.kind, p.text, p.data, len(p.attachments)) for p in found] == [
        ("patrol", "教学楼一至三楼巡查\n门窗已锁", {"posts": ["guard"]}, 1)
    ]


async def test_the_today_overview_names_the_leader_and_counts_handovers(
    app: App, clock: FakeClock, staff: dict[str, Person]
) -> None:
    from scheduler.duty import duty_overview

    await rostered(
        app,
        (WED, "leader", staff["赵主任"]),
        (WED, "teacher", staff["张老师"]),
        (WED, "night", staff["王老师"]),
    )
    await at(app, clock, "2026-11-25 17:31")
    async with app.sessions() as session:
        text = await duty_overview(session, ctx_of(app), WED, "zh")
    assert text == "值班：带班领导 赵主任；今日交接班 1 次，已交 0，已确认 0"


def test_buttons_sent_before_the_typed_codec_still_unpack_and_forged_ones_do_not() -> None:
    assert SwapPress.unpack("sw:7:y") == SwapPress(7, SwapChoice.ACCEPT)
    assert SwapPress.unpack("duty_swap:7:n") == SwapPress(7, SwapChoice.DECLINE)
    ticked = HandoverPress.unpack("dh:5:c12")
    assert ticked is not None and ticked == HandoverPress.tick(5, 12)
    assert ticked.step is HandoverStep.TICK
    assert ticked.item == 12 and ticked.pack() == "handover:5:c12"
    assert HandoverPress.unpack("handover:5:ok") == HandoverPress.of(5, HandoverStep.CONFIRM)
    for step in ("n", "s", "ok"):
        assert HandoverPress.unpack(f"dh:5:{step}") == HandoverPress(5, step)
    assert PatrolPress.unpack("pt:3:done") == PatrolPress(3, PatrolAction.DONE)
    assert PatrolPress(3).pack() == "patrol:3:done"
    for forged in ("dh:5:c", "dh:5:c1234", "dh:5:x", "dh:5:cc", "handover:5:c1:2"):
        assert HandoverPress.unpack(forged) is None, forged
    assert SwapPress.unpack("sw:7:maybe") is None and PatrolPress.unpack("pt:3:undo") is None
