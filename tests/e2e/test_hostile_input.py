"""Hostile input through the emulator: control characters in names and texts, forged
callbacks, odd digits, a button of one routine pressed on another routine's task. Each gets
a clear answer and changes nothing it should not."""

from __future__ import annotations

import io
import logging

import aiohttp
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.core.clock import FakeClock
from bot.core.i18n import t
from bot.core.settings import Settings
from bot.simulation import WEBHOOK_SECRET
from storage.models import Person, Submission, Task, Unit
from storage.notices import Notice
from tests.e2e.harness import running_school, texts
from tests.e2e.test_export import documents
from tests.e2e.test_notices import button
from tests.e2e.test_zero_report import forged_press
from tests.test_duty import xlsx


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


FAMILIES = [
    "z:{n}:zero",
    "z:{n}:inc",
    "zu:{n}:inc",
    "zs:{n}:urgent",
    "zp:{n}:done",
    "zc:{n}:send",
    "t:{n}:done",
    "sw:{n}:y",
    "pt:{n}:done",
    "dh:{n}:ok",
    "dh:{n}:c1",
    "dh:1:c{n}",
    "nd:{n}:skip",
    "nd:{n}:aud:school",
    "nd:{n}:grp:1",
    "nd:{n}:send",
    "nd:{n}:cancel",
    "n:{n}:ok",
]


async def test_forged_buttons_with_ids_too_large_for_the_database_get_a_polite_answer(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock) as school:
        admin = await school.admin()
        welcome = (await school.received(admin.chat_id))[-1]
        answers = {}
        # 58 digits overflow any integer column; 10 digits overflow PostgreSQL's 32-bit one.
        for digits in ("9" * 58, "4294967296"):
            for family in FAMILIES:
                data = family.format(n=digits)[:64]  # Telegram's limit for a button's data
                answers[data] = await forged_press(school, admin, welcome, data)
        async with school.app.sessions() as session:
            kept = await session.scalar(select(func.count(Submission.id)))

    stale = t("zh", "common.stale_button")
    assert {data: stale for data in answers} == answers
    assert kept == 0


# The newer routines: bus and drills answer in their own words for a button that no longer
# works; a hazard's press that does not unpack (bot/core/callbacks.py) gets the common one.
NEWER_FAMILIES = {
    "hz:fix:{n}:1": "common.stale_button",
    "hz:sign:{n}:1": "common.stale_button",
    "hz:fp:{n}:": "common.stale_button",
    "bs:all:{n}:b": "bus.not_found",
    "bs:t:1:b.{n}": "bus.not_found",
    "dr:go:{n}": "drill.stale_button",
    "dr:end:{n}": "drill.stale_button",
}


async def test_forged_hazard_bus_and_drill_buttons_get_a_polite_answer_and_change_nothing(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock) as school:
        admin = await school.admin()
        welcome = (await school.received(admin.chat_id))[-1]
        answers, expected = {}, {}
        for digits in ("9" * 58, "4294967296", "²", "１２"):
            for family, key in NEWER_FAMILIES.items():
                data = family.format(n=digits)[:64]
                answers[data] = await forged_press(school, admin, welcome, data)
                expected[data] = t("zh", key)
        async with school.app.sessions() as session:
            kept = await session.scalar(select(func.count(Submission.id)))
    assert answers == expected
    assert kept == 0


async def test_superscript_digits_and_huge_numbers_after_a_command_get_its_usage(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock) as school:
        admin = await school.admin()
        leader = await school.join("leader", None, "赵主任")
        stranger = school.user("陌生人")
        replies = {}
        for person, text in (
            (stranger, "/notice ²"),
            (admin, "/notice ²"),
            (admin, "/notice 99999999999"),
            (leader, "/incident ²"),
            (leader, "/incident 99999999999"),
            (leader, "/incident ² done 已处理"),
        ):
            await school.say(person, text)
            replies[(person.name, text)] = texts(await school.received(person.chat_id))[-1]

    assert replies[("陌生人", "/notice ²")] == t("zh", "notice.usage")
    assert replies[("校长", "/notice ²")] == t("zh", "notice.usage")
    assert replies[("校长", "/notice 99999999999")] == t("zh", "notice.usage")
    for text in ("/incident ²", "/incident 99999999999", "/incident ² done 已处理"):
        assert replies[("赵主任", text)] == t("zh", "zero.incident_usage")


async def test_the_1530_button_with_a_daily_report_task_id_completes_nothing(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock) as school:
        await school.admin()
        teacher = await school.join("teacher", "3-1", "班主任1")
        welcome = (await school.received(teacher.chat_id))[-1]
        await school.at("2026-11-25 14:35")
        async with school.app.sessions() as session:
            report = await session.scalar(
                select(Task)
                .join(Unit, Unit.id == Task.unit_id)
                .where(Task.routine == "zero_report", Unit.slug == "3-1")
            )
        assert report is not None and report.done_by is None
        answer = await forged_press(school, teacher, welcome, f"t:{report.id}:done")
        async with school.app.sessions() as session:
            after = await session.get(Task, report.id)
            kept = await session.scalar(select(func.count(Submission.id)))

    assert answer == t("zh", "common.stale_button")
    assert after is not None and after.status == report.status and after.done_by is None
    assert kept == 0


async def test_a_webhook_call_with_the_right_secret_and_a_bad_body_gets_400_and_one_line(
    small_school: Settings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    bodies = [b"{not json", b"[1, 2]", b'{"message": {"text": "hi"}}', b"\xff\xfe\x00"]
    async with running_school(small_school, clock, webhook=True) as school:
        admin = await school.admin()
        webhook = school.world.bot().webhook
        assert webhook is not None
        statuses = []
        caplog.clear()
        async with aiohttp.ClientSession() as http:
            for body in bodies:
                async with http.post(
                    webhook.url,
                    data=body,
                    headers={
                        "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
                        "Content-Type": "application/json",
                    },
                ) as response:
                    statuses.append(response.status)
        logged = [r for r in caplog.records if r.levelno >= logging.WARNING]
        await school.say(admin, "/help")  # the bot goes on answering
        helped = texts(await school.received(admin.chat_id))[-1]

    assert statuses == [400] * len(bodies)
    assert len(logged) == len(bodies), [r.getMessage() for r in logged]
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in logged)
    assert helped.startswith("可用的命令")


async def test_a_roster_bomb_is_refused_in_the_senders_language_and_a_utf16_csv_is_imported(
    small_school: Settings, clock: FakeClock
) -> None:
    from storage.duty import RosterEntry
    from tests.test_roster_files import HEADER, with_sheet_xml

    padding = b" " * (64 * 1024 * 1024)
    bomb = with_sheet_xml(
        xlsx([HEADER, ["2026-11-26", "带班领导", "校长"]]),
        lambda xml: xml.replace(b"<sheetData>", b"<sheetData>" + padding),
    )
    unicode_text = "日期,岗位,姓名\r\n2026-11-26,带班领导,校长\r\n".encode("utf-16-le")
    async with running_school(small_school, clock) as school:
        admin = await school.admin()
        english = await school.join("admin", None, "Vice Principal", language="en")
        await school.say(english, "/lang en")
        await school.send_document(admin, bomb, "值班表.xlsx")
        refused_zh = texts(await school.received(admin.chat_id))[-1]
        await school.send_document(english, bomb, "roster.xlsx")
        refused_en = texts(await school.received(english.chat_id))[-1]
        async with school.app.sessions() as session:
            after_bomb = await session.scalar(select(func.count(RosterEntry.id)))
        await school.send_document(admin, unicode_text, "值班表.csv")
        imported = texts(await school.received(admin.chat_id))[-1]
        async with school.app.sessions() as session:
            after_csv = await session.scalar(select(func.count(RosterEntry.id)))

    assert "解压后太大" in refused_zh and "too large once unpacked" in refused_en
    assert after_bomb == 0 and after_csv == 1 and "校长" in imported
