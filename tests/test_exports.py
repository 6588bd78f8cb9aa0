"""The record book exports on SQLite and PostgreSQL: the .xlsx rows match the database and the
.docx carries the photos teachers sent, byte for byte (by sha256)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from bot.app import App
from scheduler import tasks
from scheduler import zero_report as reports
from scheduler.duty import handover as handovers
from scheduler.duty import patrol as patrols
from scheduler.duty import roster as duty_roster
from scheduler.exports import kind_namer
from scheduler.routine import Context
from scheduler.rules.education import plan_education
from scheduler.rules.zero_report import plan_zero_report
from scheduler.tasks import close_past_days
from storage import audit, submissions
from storage import duty as duty_store
from storage import zero_report as incidents
from storage.exports import export_records
from storage.models import Attachment, Person, Submission, Task, Unit
from tests import conftest
from tests.conftest import local

DAY1, DAY2 = dt.date(2026, 11, 24), dt.date(2026, 11, 25)  # Tuesday, Wednesday


@dataclass
class Week:
    teacher: Person  # head teacher of 3-2
    other: Person  # head teacher of 1-1
    photo_hashes: set[str]


async def add_person(app: App, name: str, role: str, slug: str, tg_id: int) -> Person:
    unit = await conftest.unit_by_slug(app, slug)
    return await conftest.add_person(app, name, role, unit, tg_id, chat=False)


def image(colour: str, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format=fmt)
    return buffer.getvalue()


async def plan(app: App, day: dt.date) -> None:
    assert app.ticker is not None
    calendar = await app.ticker.calendar()
    async with app.sessions.begin() as session:
        await tasks.materialise(
            session, app.school_id, plan_education(app.settings, calendar, day), app.now()
        )


async def confirm(app: App, person: Person, day: dt.date, slug: str, photos: list[bytes]) -> None:
    """What the education handler does: the 已完成 press, then the photos as a submission."""
    async with app.sessions.begin() as session:
        task = await session.scalar(
            select(Task)
            .join(Unit, Unit.id == Task.unit_id)
            .where(Task.day == day, Task.routine == "education", Unit.slug == slug)
            .order_by(Task.id)
        )
        assert task is not None
        actor = await session.get(Person, person.id)
        assert actor is not None
        result = await tasks.complete(session, task, actor, app.now(), day)
        assert result.task is not None
        files = []
        for n, data in enumerate(photos):
            mime = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
            files.append((app.media.save(data, mime), f"file-{slug}-{n}", f"u-{slug}-{n}", mime))
        if files:
            await submissions.add(
                session,
                app.school_id,
                person.id,
                "photo",
                app.now(),
                task_id=task.id,
                text="班会照片",
                files=files,
            )


async def two_school_days(app: App) -> Week:
    clock = app.clock
    teacher = await add_person(app, "王老师", "head_teacher", "3-2", 1001)
    other = await add_person(app, "李老师", "head_teacher", "1-1", 1002)
    pictures = [image("red", "JPEG"), image("blue", "PNG"), image("green", "JPEG")]

    clock.set(local("2026-11-24 15:00"))  # type: ignore[attr-defined]
    await plan(app, DAY1)
    clock.set(local("2026-11-24 15:25"))  # type: ignore[attr-defined]
    await confirm(app, teacher, DAY1, "3-2", pictures[:1])
    clock.set(local("2026-11-24 21:00"))  # type: ignore[attr-defined]  # after the deadline
    await confirm(app, other, DAY1, "1-1", [])

    clock.set(local("2026-11-25 15:20"))  # type: ignore[attr-defined]
    async with app.sessions.begin() as session:
        await close_past_days(session, app.school_id, DAY2)
    await plan(app, DAY2)
    await confirm(app, teacher, DAY2, "3-2", pictures[1:])
    async with app.sessions.begin() as session:
        audit.record(session, app.school_id, teacher.id, "calendar_off", app.now(), day="x")
    return Week(teacher, other, {hashlib.sha256(p).hexdigest() for p in pictures})


def sheet_rows(path: Path, title: str) -> list[dict[str, object]]:
    sheet = load_workbook(path)[title]
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row, strict=True)) for row in rows]


def media_hashes(path: Path) -> set[str]:
    package = Document(str(path)).part.package
    return {
        hashlib.sha256(part.blob).hexdigest()
        for part in package.iter_parts()
        if str(part.partname).startswith("/word/media/")
    }


async def test_workbook_rows_match_the_database(app: App, tmp_path: Path) -> None:
    week = await two_school_days(app)
    paths = await export_records(
        app.sessions, app.school_id, DAY1, DAY2, tmp_path / "out", kind_name=kind_namer("zh")
    )
    workbook = next(p for p in paths if p.suffix == ".xlsx")

    async with app.sessions() as session:
        db_tasks = {
            t.id: t
            for t in await session.scalars(
                select(Task).where(Task.school_id == app.school_id, Task.routine == "education")
            )
        }
        photo_counts: dict[int, int] = {}
        for submission in await session.scalars(select(Submission)):
            if submission.task_id is not None:
                photo_counts[submission.task_id] = photo_counts.get(submission.task_id, 0) + len(
                    submission.attachments
                )
    rows = sheet_rows(workbook, "1530安全教育")
    assert len(rows) == len(db_tasks) == 48  # 24 classes × 2 days
    by_id = {row["任务编号"]: row for row in rows}
    assert set(by_id) == set(db_tasks)
    for task_id, task in db_tasks.items():
        row = by_id[task_id]
        assert row["日期"] == dt.datetime.combine(task.day, dt.time())
        assert row["主题"] == task.theme
        assert row["照片数"] == photo_counts.get(task_id, 0)
    statuses = [row["状态"] for row in rows]
    assert statuses.count("按时完成") == 2 and statuses.count("逾期完成") == 1
    assert statuses.count("未完成") == 22  # the first day's unanswered classes, closed
    assert statuses.count("未推送") == 23  # today's, not prompted in this test

    late = next(row for row in rows if row["状态"] == "逾期完成")
    assert late["确认人"] == week.other.display_name and late["班级/部门"] == "一(1)班"
    # 21:00 in Shanghai, not 13:00 UTC: the inspectors read the school's clock.
    assert late["确认时间"] == dt.datetime(2026, 11, 24, 21, 0)
    today = next(row for row in rows if row["照片数"] == 2)
    assert today["确认人"] == "王老师" and "王老师" in str(today["提交记录"])
    assert today["类型"] == "每日1分钟"

    book = load_workbook(workbook)
    assert "操作日志" in book.sheetnames and "情况报告" in book.sheetnames
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), sheet.title
    assert [r["操作"] for r in sheet_rows(workbook, "操作日志")] == ["calendar_off"]


async def test_record_book_embeds_every_photo_and_a_chart(app: App, tmp_path: Path) -> None:
    week = await two_school_days(app)
    paths = await export_records(app.sessions, app.school_id, DAY1, DAY2, tmp_path / "out")
    record_book = next(p for p in paths if p.suffix == ".docx")

    async with app.sessions() as session:
        stored = set((await session.scalars(select(Attachment.sha256))).all())
    assert stored == week.photo_hashes
    embedded = media_hashes(record_book)
    assert stored <= embedded
    assert len(embedded - stored) >= 1  # the completion chart per class

    text = "\n".join(p.text for p in Document(str(record_book)).paragraphs)
    assert "2026年11月" in text and "1530安全教育" in text
    assert "应完成 48 次，已完成 3 次（其中逾期 1 次）" in text


async def report_incident(app: App, teacher: Person, picture: bytes) -> int:
    """王老师 reports 门口积水 at the gate for 三(2)班, with a photo; the incident's number."""
    assert app.ticker is not None
    calendar = await app.ticker.calendar()
    async with app.sessions.begin() as session:
        await tasks.materialise(
            session, app.school_id, plan_zero_report(app.settings, calendar, DAY2), app.now()
        )
        unit = await session.scalar(select(Unit).where(Unit.slug == "3-2"))
        assert unit is not None
        report = await session.scalar(
            select(Task).where(Task.routine == "zero_report", Task.unit_id == unit.id)
        )
        assert report is not None
        incident_id = await incidents.create_draft(
            session, app.school_id, unit.id, report.id, DAY2, teacher.id, app.now()
        )
        incident = await session.get(incidents.Incident, incident_id)
        assert incident is not None
        assert await incidents.add_draft_photo(
            session,
            app.school_id,
            incident_id,
            teacher.id,
            (app.media.save(picture), "f1", "u1", "image/jpeg"),
            app.now(),
        )
        incident.text, incident.place, incident.severity = "门口积水", "校门", "general"
        incident.status, incident.reported_at = "open", app.now()
    return incident_id


async def test_an_incident_is_exported_with_its_photo_shown_once(app: App, tmp_path: Path) -> None:
    teacher = await add_person(app, "王老师", "head_teacher", "3-2", 1001)
    picture = image("yellow", "JPEG")
    await report_incident(app, teacher, picture)

    paths = await export_records(app.sessions, app.school_id, DAY2, DAY2, tmp_path / "out")
    workbook = next(p for p in paths if p.suffix == ".xlsx")
    rows = sheet_rows(workbook, "情况报告")
    assert [(r["班级/部门"], r["内容"], r["程度"], r["状态"], r["照片数"]) for r in rows] == [
        ("三(2)班", "门口积水", "一般", "待处理", 1)
    ]
    record_book = next(p for p in paths if p.suffix == ".docx")
    assert hashlib.sha256(picture).hexdigest() in media_hashes(record_book)
    # The zero-report chart and the photo once: not again under the zero report's photos.
    assert len(Document(str(record_book)).inline_shapes) == 2


async def test_the_incident_table_has_its_number_who_handled_it_when_and_the_note(
    app: App, tmp_path: Path
) -> None:
    teacher = await add_person(app, "王老师", "head_teacher", "3-2", 1001)
    leader = await add_person(app, "赵主任", "duty_leader", "3-2", 1002)
    number = await report_incident(app, teacher, image("yellow", "JPEG"))
    app.clock.set(local("2026-11-25 08:20"))  # type: ignore[attr-defined]
    ctx = Context(app.school_id, app.settings.school.language, app.tz)
    async with app.sessions.begin() as session:
        handled = await reports.handle(
            session, ctx, number, leader, "已清理积水", app.now(), done=True
        )
        assert handled.outcome is reports.Handling.HANDLED

    paths = await export_records(app.sessions, app.school_id, DAY2, DAY2, tmp_path / "out")
    [row] = sheet_rows(next(p for p in paths if p.suffix == ".xlsx"), "情况报告")
    assert (row["编号"], row["处理人"], row["处理时间"], row["处理说明"]) == (
        number,
        "赵主任",
        dt.datetime(2026, 11, 25, 8, 20),
        "已清理积水",
    )
    document = Document(str(next(p for p in paths if p.suffix == ".docx")))
    [table] = [t for t in document.tables if t.rows[0].cells[0].text == "编号"]
    assert [[c.text for c in r.cells] for r in table.rows] == [
        ["编号", "日期", "班级/部门", "报告人", "内容", "状态", "处理人", "处理时间", "处理说明"],
        [
            str(number),  # as in /incident N
            "2026-11-25",
            "三(2)班",
            "王老师",
            "【一般】校门 门口积水",
            "已处理",
            "赵主任",
            "11-25 08:20",
            "已清理积水",
        ],
    ]


async def export_sizes(app: App, out: Path, start: dt.date, end: dt.date) -> dict[str, int]:
    paths = await export_records(app.sessions, app.school_id, start, end, out)
    return {p.suffix: p.stat().st_size for p in paths}


async def test_a_record_book_over_the_limit_is_split_by_month(app: App, tmp_path: Path) -> None:
    teacher = await add_person(app, "赵老师", "head_teacher", "3-2", 1003)
    app.clock.set(local("2026-10-30 15:25"))  # type: ignore[attr-defined]
    await plan(app, dt.date(2026, 10, 30))
    await confirm(app, teacher, dt.date(2026, 10, 30), "3-2", [image("white", "JPEG")])
    await two_school_days(app)
    october = await export_sizes(
        app, tmp_path / "oct", dt.date(2026, 10, 30), DAY1 - dt.timedelta(1)
    )
    november = await export_sizes(app, tmp_path / "nov", dt.date(2026, 11, 1), DAY2)
    limit = max(october[".docx"], november[".docx"])  # each month fits, both together do not

    out = tmp_path / "out"
    paths = await export_records(
        app.sessions, app.school_id, dt.date(2026, 10, 30), DAY2, out, max_bytes=limit
    )
    names = sorted(p.name for p in paths)
    assert names == [
        "record-book_lvshu_2026-10-30_2026-10-31.docx",
        "record-book_lvshu_2026-11-01_2026-11-25.docx",
        "records_lvshu_2026-10-30_2026-11-25.xlsx",  # small enough to stay whole
    ]
    assert sorted(p.name for p in out.iterdir()) == names  # nothing half-written left behind
    assert all(p.stat().st_size <= limit for p in paths)
    assert media_hashes(out / names[0]) >= {hashlib.sha256(image("white", "JPEG")).hexdigest()}


async def test_a_month_over_the_limit_is_halved_until_it_fits(app: App, tmp_path: Path) -> None:
    week = await two_school_days(app)
    first = await export_sizes(app, tmp_path / "d1", DAY1, DAY1)
    second = await export_sizes(app, tmp_path / "d2", DAY2, DAY2)
    limit = max(first[".docx"], second[".docx"])

    paths = await export_records(
        app.sessions, app.school_id, DAY1, DAY2, tmp_path / "out", max_bytes=limit
    )
    books = sorted(p for p in paths if p.suffix == ".docx")
    assert [p.name for p in books] == [
        "record-book_lvshu_2026-11-24_2026-11-24.docx",
        "record-book_lvshu_2026-11-25_2026-11-25.docx",
    ]
    assert media_hashes(books[0]) | media_hashes(books[1]) >= week.photo_hashes


def image_pixels(path: Path, hashes: set[str]) -> list[Image.Image]:
    """The images of a record book other than the photos whose sha256 are ``hashes``."""
    package = Document(str(path)).part.package
    return [
        Image.open(io.BytesIO(part.blob)).convert("RGB")
        for part in package.iter_parts()
        if str(part.partname).startswith("/word/media/")
        and hashlib.sha256(part.blob).hexdigest() not in hashes
    ]


def pixels_near(picture: Image.Image, colour: str) -> int:
    wanted = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    found = 0
    for count, rgb in picture.getcolors(maxcolors=1 << 20) or []:
        assert isinstance(rgb, tuple)
        if max(abs(a - b) for a, b in zip(rgb, wanted, strict=True)) <= 12:
            found += count
    return found


async def test_the_class_chart_tells_late_from_on_time_and_missing(
    app: App, tmp_path: Path
) -> None:
    week = await two_school_days(app)  # on the first day 3-2 on time, 1-1 late, 22 missing
    paths = await export_records(app.sessions, app.school_id, DAY1, DAY1, tmp_path / "out")
    [chart] = image_pixels(next(p for p in paths if p.suffix == ".docx"), week.photo_hashes)

    on_time, late, missing = "#70ad47", "#ffc000", "#c00000"
    one_bar = pixels_near(chart, on_time)
    assert one_bar > 3000  # a whole bar, not only the legend's patch
    assert 0.8 < pixels_near(chart, late) / one_bar < 1.25  # 1-1's bar, as tall as 3-2's
    assert pixels_near(chart, missing) > 15 * one_bar  # the 22 classes that did nothing


async def test_over_more_than_a_week_the_book_charts_completion_per_day(
    app: App, tmp_path: Path
) -> None:
    week = await two_school_days(app)
    nine_days = await export_records(
        app.sessions, app.school_id, DAY1 - dt.timedelta(days=7), DAY2, tmp_path / "nine"
    )
    two_days = await export_records(app.sessions, app.school_id, DAY1, DAY2, tmp_path / "two")

    def book(paths: list[Path]) -> Path:
        return next(p for p in paths if p.suffix == ".docx")

    assert len(image_pixels(book(two_days), week.photo_hashes)) == 1  # per class only
    charts = image_pixels(book(nine_days), week.photo_hashes)
    assert len(charts) == 2  # per class, and per day
    headings = [p.text for p in Document(str(book(nine_days))).paragraphs]
    assert "逐日完成率" in headings and "逐日完成率" not in text_of(book(two_days))


def text_of(path: Path) -> str:
    """Every paragraph and table cell of a .docx."""
    document = Document(str(path))
    cells = [c.text for table in document.tables for row in table.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def workbook_strings(path: Path) -> list[str]:
    book = load_workbook(path)
    return [
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
    ]


SECTIONS = ["1530安全教育", "日报告·零报告", "24小时值班", "情况报告", "交接班记录", "巡查记录"]
SECTIONS += ["值班安排"]


async def test_an_empty_period_keeps_every_sheet_and_section(app: App, tmp_path: Path) -> None:
    sunday = dt.date(2026, 11, 29)
    paths = await export_records(app.sessions, app.school_id, sunday, sunday, tmp_path / "out")

    book = load_workbook(next(p for p in paths if p.suffix == ".xlsx"))
    sheets = ["家长通知", "各班回执", "隐患台账", "演练记录", "校车记录", "未确认送达", "操作日志"]
    assert book.sheetnames == [*SECTIONS, *sheets]
    for sheet in book.worksheets:
        assert sheet.max_row == 2 and sheet["A2"].value == "无记录", sheet.title
    document = Document(str(next(p for p in paths if p.suffix == ".docx")))
    headings = [p.text for p in document.paragraphs if p.style and p.style.name == "Heading 2"]
    sections = ["家长通知及确认情况", "应急疏散演练", "校车接送记录", "隐患排查整改"]
    assert headings == [*SECTIONS, *sections]
    assert [p.text for p in document.paragraphs].count("无记录。") == len(headings)


@dataclass
class DutyDay:
    handover_id: int
    patrol_photo: str  # sha256
    leader: Person


async def a_day_on_duty(app: App) -> DutyDay:
    """A zero report, the roster set by command, a handover ticked, submitted and confirmed,
    a guard's night patrol with a photo, and an invite: each kept under a code."""
    ctx = Context(app.school_id, app.settings.school.language, app.tz)
    admin = await conftest.add_person(app, "校长", "admin", None, 2001, chat=False)
    leader = await conftest.add_person(app, "赵主任", "duty_leader", None, 2002, chat=False)
    outgoing = await conftest.add_person(app, "张老师", "teacher", None, 2003, chat=False)
    incoming = await conftest.add_person(app, "刘老师", "teacher", None, 2004, chat=False)
    guard = await conftest.add_person(app, "保安甲", "guard", None, 2005, chat=False)
    head = await add_person(app, "王老师", "head_teacher", "3-2", 2006)
    async with app.sessions.begin() as session:
        admin_row = await session.get(Person, admin.id)
        assert admin_row is not None
        for post, who in (("leader", "赵主任"), ("teacher", "张老师"), ("night", "刘老师")):
            await duty_roster.set_post(
                session, app.school_id, app.settings, app.now(), admin_row, "今天", post, [who]
            )
        await duty_roster.set_post(
            session, app.school_id, app.settings, app.now(), admin_row, "今天", "guard", ["保安甲"]
        )
        audit.record(
            session,
            app.school_id,
            admin.id,
            "invite.create",
            app.now(),
            role="duty_leader",
            unit=None,
            invite_id=2,
            max_uses=1,
        )

    app.clock.set(local("2026-11-25 14:35"))  # type: ignore[attr-defined]
    await app.tick()
    async with app.sessions.begin() as session:
        report = await session.scalar(
            select(Task)
            .join(Unit, Unit.id == Task.unit_id)
            .where(Task.routine == "zero_report", Unit.slug == "3-2")
        )
        assert report is not None
        await reports.record_zero(session, ctx, report.id, head, app.now())

    app.clock.set(local("2026-11-25 17:31"))  # type: ignore[attr-defined]
    await app.tick()
    async with app.sessions.begin() as session:
        handover = await duty_store.handover_by_key(session, app.school_id, "2026-11-25:teacher")
        assert handover is not None
        for item in range(len(app.settings.duty.checklist)):
            await handovers.toggle(session, ctx, app.settings, handover.id, outgoing, item)
        await handovers.add_note(session, ctx, handover.id, outgoing, "东门锁已更换", app.now())
        submitted = await handovers.submit(
            session, ctx, app.settings, handover.id, outgoing, app.now()
        )
        assert submitted.outcome is handovers.Outcome.OK
    app.clock.set(local("2026-11-25 17:40"))  # type: ignore[attr-defined]
    async with app.sessions.begin() as session:
        confirmed = await handovers.confirm(
            session, ctx, app.settings, handover.id, incoming, app.now()
        )
        assert confirmed.outcome is handovers.Outcome.OK

    app.clock.set(local("2026-11-25 22:00"))  # type: ignore[attr-defined]
    photo = image("purple", "JPEG")
    async with app.sessions.begin() as session:
        await patrols.start_patrol(
            session,
            app.school_id,
            app.settings,
            guard,
            app.now(),
            "锅炉房、配电室巡查，正常",
            (app.media.save(photo), "f-patrol", "u-patrol", "image/jpeg"),
        )
    return DutyDay(handover.id, hashlib.sha256(photo).hexdigest(), leader)


async def test_patrols_with_their_photos_and_the_roster_are_in_both_files(
    app: App, tmp_path: Path
) -> None:
    day = await a_day_on_duty(app)
    paths = await export_records(
        app.sessions, app.school_id, DAY2, DAY2, tmp_path / "out", kind_name=kind_namer("zh")
    )
    workbook = next(p for p in paths if p.suffix == ".xlsx")
    [patrol] = sheet_rows(workbook, "巡查记录")
    assert (patrol["巡查人"], patrol["岗位"], patrol["内容"], patrol["照片数"]) == (
        "保安甲",
        "值班保安",
        "锅炉房、配电室巡查，正常",
        1,
    )
    assert patrol["时间"] == dt.datetime(2026, 11, 25, 22, 0)
    roster = [(r["岗位"], r["班次"], r["值班人员"]) for r in sheet_rows(workbook, "值班安排")]
    assert roster == [
        ("带班领导", "白班、夜班", "赵主任"),
        ("值班教师", "白班", "张老师"),
        ("夜间值班", "夜班", "刘老师"),
        ("值班保安", "白班、夜班", "保安甲"),
    ]

    record_book = next(p for p in paths if p.suffix == ".docx")
    assert day.patrol_photo in media_hashes(record_book)
    text = text_of(record_book)
    assert (
        "锅炉房、配电室巡查，正常" in text and "2026-11-25 巡查 值班保安 保安甲 22:00" in text
    )  # the photo's caption
    assert "带班领导\n白班、夜班\n赵主任" in text  # a row of the roster's table


async def test_every_code_in_the_book_is_named_in_its_language(app: App, tmp_path: Path) -> None:
    await a_day_on_duty(app)
    zh = await export_records(
        app.sessions, app.school_id, DAY2, DAY2, tmp_path / "zh", kind_name=kind_namer("zh")
    )
    en = await export_records(
        app.sessions,
        app.school_id,
        DAY2,
        DAY2,
        tmp_path / "en",
        lang="en",
        kind_name=kind_namer("en"),
    )

    zh_book, en_book = (next(p for p in paths if p.suffix == ".xlsx") for paths in (zh, en))
    [handover] = sheet_rows(zh_book, "交接班记录")
    assert (handover["岗位"], handover["接班岗位"]) == ("值班教师", "夜间值班")
    assert handover["检查项"] == "校门及围墙、消防设施、水电气、巡查完成、来访登记、突发情况"
    [task] = [r for r in sheet_rows(zh_book, "24小时值班") if r["状态"] == "按时完成"]
    assert (task["班级/部门"], task["类型"]) == ("值班教师 → 夜间值班", "交接班")
    assert "张老师: 提交交班" in str(task["提交记录"])
    assert "刘老师: 确认接班" in str(task["提交记录"])
    [report] = [r for r in sheet_rows(zh_book, "日报告·零报告") if r["确认人"] == "王老师"]
    assert "王老师: 零报告" in str(report["提交记录"])
    audit_rows = {(r["操作"], r["详情"]) for r in sheet_rows(zh_book, "操作日志")}
    assert ("创建邀请链接", "角色：值班领导；邀请编号：2；可用次数：1") in audit_rows
    assert ("设置值班", "日期：2026-11-25；岗位：带班领导；值班人员：赵主任") in audit_rows
    # Not a word of English left: no code, no JSON.
    english = [s for s in workbook_strings(zh_book) if re.search(r"[A-Za-z]{2,}|[{}]", s)]
    assert english == []
    zh_docx = next(p for p in zh if p.suffix == ".docx")
    assert re.findall(r"[A-Za-z]{2,}", text_of(zh_docx)) == []

    [handover] = sheet_rows(en_book, "Handovers")
    assert (handover["Post"], handover["Next post"]) == ("teacher on duty", "night duty")
    assert str(handover["Checks"]).startswith(
        "Gate and fences, Fire equipment, Water, power and gas"
    )
    audit_rows = {(r["Action"], r["Detail"]) for r in sheet_rows(en_book, "Audit log")}
    assert ("created an invite", "role: duty leader; invite: 2; uses: 1") in audit_rows
    en_docx = next(p for p in en if p.suffix == ".docx")
    assert "teacher on duty → night duty" in text_of(en_docx)
