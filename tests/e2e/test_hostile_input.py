"""Hostile input through the emulator: control characters in names and texts, forged
callbacks, odd digits, a button of one routine pressed on another routine's task. Each gets
a clear answer and changes nothing it should not."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from bot.settings import Settings
from scheduler.clock import FakeClock
from storage.models import Person, Submission
from storage.notices import Notice
from tests.e2e.harness import running_school, texts
from tests.e2e.test_export import documents
from tests.e2e.test_notices import button


async def test_control_characters_in_a_name_and_texts_are_dropped_as_they_come_in(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock) as school:
        admin = await school.admin()
        teacher = await school.join("teacher", "3-1", "班主任\x07一\x1b")
        await school.class_group("3-1", teacher)
        await school.join("parent", "3-1", "家长\x01甲", by=teacher)
        await school.say(teacher, "门口\x07有积水\x7f")  # kept though no routine asked for it
        await school.say(teacher, "/notice")
        await school.say(teacher, "明天\x1b放假\x01，请家长注意。")
        await school.say(teacher, "跳过")
        await school.say(teacher, "周五下午5点")
        question = (await school.received(teacher.chat_id))[-1]
        await school.press(
            teacher, teacher.chat_id, question["message_id"], button(question, ":grp:1")
        )
        preview = (await school.received(teacher.chat_id))[-1]
        await school.press(
            teacher, teacher.chat_id, preview["message_id"], button(preview, ":send")
        )
        await school.at("2026-11-25 08:05")
        before = len(await school.received(admin.chat_id))
        await school.say(admin, "/export 本月")
        sent = (await school.received(admin.chat_id))[before:]
        async with school.app.sessions() as session:
            names = set((await session.scalars(select(Person.display_name))).all())
            kept = set((await session.scalars(select(Submission.text))).all())
            notices = (await session.scalars(select(Notice.text))).all()

    assert {"班主任一", "家长甲"} <= names
    assert "门口有积水" in kept and notices == ["明天放假，请家长注意。"]
    book = next(data for name, data in documents(school, sent).items() if name.endswith(".xlsx"))
    strings = {
        value
        for sheet in load_workbook(io.BytesIO(book)).worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
    }
    assert "明天放假，请家长注意。" in strings, texts(sent)
