"""A whole school day of every routine (the demo's scenes), then /export in chat: the
workbook's rows match the database and the record book holds every photo of the day."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from PIL import Image
from rich.console import Console
from sqlalchemy import func, select

from bot.core.clock import FakeClock
from bot.core.settings import Settings
from bot.demo import populate
from bot.demo_scenes import SCENES
from bot.demo_scenes.bus_drills import with_buses_and_drill
from bot.simulation import Timeline
from storage.drills import DrillNote
from storage.duty import PATROL_KIND, RosterEntry
from storage.exports.labels import routine_name, word
from storage.models import Attachment, AuditLog, Submission, Task
from storage.notices import Notice
from storage.zero_report import Incident
from tests.conftest import settings_for
from tests.e2e.harness import running_school
from tests.e2e.test_export import documents

pytestmark = pytest.mark.slow


async def test_a_day_of_every_routine_then_export(
    shipped_settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    # SQLite only: a minute-long day; the storage layer has its own tests on both backends.
    settings = with_buses_and_drill(
        settings_for(shipped_settings, f"sqlite+aiosqlite:///{tmp_path / 'day.db'}", tmp_path)
    )
    day = settings.demo.date
    clock.set(dt.datetime.combine(day, dt.time(7, 0), settings.school.tz))
    async with running_school(settings, clock) as school:
        await populate(school, Console(file=io.StringIO()))
        school.timeline = Timeline(school)
        await school.timeline.run([scene(school, lambda _: None) for _, scene in SCENES])
        school.timeline = None
        async with school.app.sessions() as session:
            tasks = dict(
                (
                    await session.execute(
                        select(Task.routine, func.count(Task.id))
                        .where(Task.day == day)
                        .group_by(Task.routine)
                    )
                ).all()
            )
            incidents = await session.scalar(
                select(func.count(Incident.id)).where(
                    Incident.day == day, Incident.status != "draft"
                )
            )
            notices = await session.scalar(
                select(func.count(Notice.id)).where(Notice.status != "draft")
            )
            audits = await session.scalar(select(func.count(AuditLog.id)))
            class_photos = (
                await session.scalars(
                    select(Attachment.sha256)
                    .join(Submission)
                    .join(Task)
                    .where(Task.routine == "education")
                )
            ).all()
            patrol_photos = (
                await session.scalars(
                    select(Attachment.sha256).join(Submission).where(Submission.kind == PATROL_KIND)
                )
            ).all()
            rostered = await session.scalar(
                select(func.count(RosterEntry.id)).where(RosterEntry.day == day)
            )
            photos = (await session.execute(select(Attachment.sha256, Attachment.path))).all()
            drill_photos = (
                await session.scalars(select(DrillNote.sha256).where(DrillNote.kind == "photo"))
            ).all()
        admin = school.people["admin"]
        before = len(await school.received(admin.chat_id))
        await school.say(admin, f"/export {day.isoformat()}")
        files = documents(school, (await school.received(admin.chat_id))[before:])

    assert set(tasks) == {"education", "zero_report", "duty", "inspection"}
    assert len(class_photos) == 6
    for _, path in photos:  # the class photos, the incident's, the handover's, the patrol's
        with Image.open(path) as picture:
            assert picture.format == "JPEG" and picture.size == (320, 240)
    workbook = load_workbook(io.BytesIO(next(d for n, d in files.items() if n.endswith(".xlsx"))))
    data_rows = {sheet.title: sheet.max_row - 1 for sheet in workbook.worksheets}
    for routine, count in tasks.items():
        assert data_rows[routine_name("zh", routine)] == count, routine
    assert data_rows[word("zh", "sheet.incidents")] == incidents == 1
    # The principal's letter to every parent and 三(1)班's consent per child (pupils scene).
    assert data_rows[word("zh", "sheet.notices")] == notices == 2
    # Each class's receipts: the letter's 24 classes and the consent's one.
    assert data_rows[word("zh", "sheet.notice_classes")] == 25
    assert data_rows[word("zh", "sheet.audit")] == audits
    # The guard's, and the 10:10 one that found a hazard.
    assert data_rows[word("zh", "sheet.patrols")] == len(patrol_photos) == 2
    assert data_rows[word("zh", "sheet.roster")] == rostered
    # The demo's drill and its two buses' morning and afternoon runs.
    assert data_rows[word("zh", "sheet.drills")] == 1
    assert data_rows[word("zh", "sheet.bus")] == 4
    # Every code named in Chinese: what is left in Latin letters is a file's name.
    latin = {
        found
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
        for found in re.findall(r"[\w.]*[A-Za-z]{2,}[\w.]*", value)
    }
    assert latin == {"值班表.xlsx"}
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref

    book = tmp_path / "book.docx"
    book.write_bytes(next(d for n, d in files.items() if n.endswith(".docx")))
    embedded = {
        hashlib.sha256(part.blob).hexdigest()
        for part in Document(str(book)).part.package.iter_parts()
        if str(part.partname).startswith("/word/media/")
    }
    assert set(class_photos) | set(patrol_photos) <= embedded
    # Every photo of the day, not only the class photos, is a picture in the record book
    # (a photo Word cannot show becomes a "照片格式无法嵌入" line instead).
    # The hazard's: the patrol's photo as its "before", both fixes' (one rejected).
    assert len(photos) == 13 and {sha for sha, _ in photos} <= embedded
    assert len(drill_photos) == 1 and set(drill_photos) <= embedded  # the marshal's
