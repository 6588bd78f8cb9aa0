"""The record book exports on SQLite and PostgreSQL: the .xlsx rows match the database and the
.docx carries the photos teachers sent, byte for byte (by sha256)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from bot.app import App
from handlers.export import kind_namer
from scheduler import tasks
from scheduler.rules.education import plan_education
from scheduler.rules.zero_report import plan_zero_report
from scheduler.tasks import close_past_days
from storage import audit, submissions
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
    clock.set(local("2026-11-24 21:00"))  # type: ignore[attr-defined]  after the deadline
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


async def test_an_incident_is_exported_with_its_photo_shown_once(app: App, tmp_path: Path) -> None:
    teacher = await add_person(app, "王老师", "head_teacher", "3-2", 1001)
    picture = image("yellow", "JPEG")
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
