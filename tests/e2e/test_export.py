"""/export through the emulator: an admin gets the workbook and the record book with the
class photos in them; everyone else gets a refusal and no file."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

from docx import Document
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.core.settings import Settings
from storage.models import AuditLog
from tests.conftest import settings_for
from tests.e2e.harness import SimulatedSchool, running_school, texts


def jpeg(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def documents(school: SimulatedSchool, messages: list[dict[str, Any]]) -> dict[str, bytes]:
    """file name → bytes of every document the bot sent, as the emulator stored it."""
    found = {}
    for message in messages:
        if "document" in message:
            stored = school.world.files.get(message["document"]["file_id"])
            assert stored is not None
            found[message["document"]["file_name"]] = stored.data
    return found


async def test_admin_exports_the_month_with_its_photos(
    small_school: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    photos = [jpeg("red"), jpeg("navy")]
    async with running_school(small_school, clock) as school:
        admin = await school.admin()
        teacher = await school.join("teacher", "3-1", "班主任1")
        group = await school.class_group("3-1", teacher)
        await school.at("2026-11-25 15:50")
        prompt = (await school.received(group))[-1]
        await school.press(teacher, group, prompt["message_id"], school.last_button(prompt, "edu:"))
        for data in photos:
            await school.photo(teacher, data, chat=group)

        before = len(await school.received(admin.chat_id))
        await school.say(admin, "/export 本月")
        replies = (await school.received(admin.chat_id))[before:]
        files = documents(school, replies)
        async with school.app.sessions() as session:
            actions = await session.scalars(select(AuditLog).where(AuditLog.action == "export"))
            audited = actions.all()

    assert sorted(files) == [
        f"record-book_{small_school.school.slug}_2026-11-01_2026-11-30.docx",
        f"records_{small_school.school.slug}_2026-11-01_2026-11-30.xlsx",
    ]
    assert "✅" in texts(replies)[0]  # the progress message, edited in place to its end
    record_book = next(data for name, data in files.items() if name.endswith(".docx"))
    (tmp_path / "book.docx").write_bytes(record_book)
    package = Document(str(tmp_path / "book.docx")).part.package
    embedded = {
        hashlib.sha256(part.blob).hexdigest()
        for part in package.iter_parts()
        if str(part.partname).startswith("/word/media/")
    }
    assert {hashlib.sha256(p).hexdigest() for p in photos} <= embedded

    workbook = next(data for name, data in files.items() if name.endswith(".xlsx"))
    sheet = load_workbook(io.BytesIO(workbook))["1530安全教育"]
    rows = [dict(zip(sheet[1], row, strict=True)) for row in sheet.iter_rows(min_row=2)]
    confirmed = [r for r in rows if any(c.value == "按时完成" for c in r.values())]
    assert len(confirmed) == 1 and len(rows) == 4  # four classes, one confirmed

    assert len(audited) == 1 and audited[0].detail["start"] == "2026-11-01"


async def test_export_is_refused_to_others_and_bad_ranges_get_examples(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock) as school:
        admin = await school.admin()
        teacher = await school.join("teacher", "3-1", "班主任1")
        await school.say(teacher, "/export 本月")
        refusal = await school.received(teacher.chat_id)
        await school.say(admin, "/export 哪天都行")
        await school.say(admin, "/export")
        answers = texts(await school.received(admin.chat_id))[-2:]
        async with school.app.sessions() as session:
            exported = (
                await session.scalars(select(AuditLog).where(AuditLog.action == "export"))
            ).all()

    assert "没有使用这个命令的权限" in texts(refusal)[-1]
    assert not any("document" in m for m in refusal)
    assert "没看懂" in answers[0] and "本周" in answers[0]  # the reason, then examples
    assert "/export 本月" in answers[1]  # the usage
    assert exported == []


async def test_the_record_book_names_the_posts_as_the_schools_config_does(
    shipped_settings: Settings, database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    posts = [post.model_dump(mode="json") for post in shipped_settings.duty.posts]
    leader = next(post for post in posts if post["slug"] == "leader")
    leader["name"] = "行政值班"  # this school's word for the leader on duty
    settings = settings_for(shipped_settings, database_url, tmp_path, duty__posts=posts)
    async with running_school(settings, clock) as school:
        admin = await school.admin()
        await school.say(admin, "/duty 2026-11-26 行政值班 校长")
        before = len(await school.received(admin.chat_id))
        await school.say(admin, "/export 本月")
        files = documents(school, (await school.received(admin.chat_id))[before:])

    workbook = load_workbook(io.BytesIO(next(d for n, d in files.items() if n.endswith(".xlsx"))))
    roster = [row for row in workbook["值班安排"].iter_rows(min_row=2, values_only=True)]
    assert [row[1:] for row in roster] == [("行政值班", "白班、夜班", "校长")]
    details = [row[3] for row in workbook["操作日志"].iter_rows(min_row=2, values_only=True)]
    assert "日期：2026-11-26；岗位：行政值班；值班人员：校长" in details
