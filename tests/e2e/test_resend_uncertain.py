"""A send Telegram may have received without answering is held as uncertain: /today says what
the staff ones were, an admin's 🔁 重发未确认的 N 条 sends each once more, marked (a second
press sends nothing), and the record book lists them under 未确认送达."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select

from bench.broadcast import TEXT, queue_notice, seed_parents
from bot.core.clock import FakeClock
from bot.core.settings import Settings
from storage.exports.labels import KindNamer
from storage.exports.records import collect
from storage.exports.workbook import write_workbook
from storage.models import AuditLog, Outbox
from tests.e2e.harness import SimPerson, SimulatedSchool, running_school, texts

PROMPT = "今日安全情况报告"
MARK = TEXT.splitlines()[0]


def any_kind(routine: str, kind: str) -> str:
    return kind


async def answer_to(
    school: SimulatedSchool, person: SimPerson, message: dict[str, Any], data: str
) -> str:
    """Press ``data`` on the message (a button it shows, or one an older message showed)."""
    query = school.world.press_button(
        person.user_id, person.chat_id, message["message_id"], data, check_button=False
    )
    await school.settle()
    return str((school.world.callbacks[query["id"]].answer or {}).get("text") or "")


async def test_a_prompt_telegram_never_answered_twice_is_shown_in_today_and_resent_once_by_the_admin(
    small_school: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    async with running_school(small_school, clock) as school:
        admin = await school.admin("校长")
        teacher = await school.join("teacher", "3-1", "王老师")
        # Carried out, then the connection dropped: the prompt, and its marked resend.
        school.emu.add_fault("process_drop", "sendMessage", chat_id=teacher.chat_id, times=2)
        await school.at("2026-11-25 14:30")
        prompts = [x for x in texts(await school.received(teacher.chat_id)) if PROMPT in x]
        assert len(prompts) == 2 and prompts[1].startswith("🔁 ")

        await school.say(admin, "/today")
        today = await school.received(admin.chat_id)
        overview = today[-1]
        assert "今日送达不确定 1 条" in overview["text"]
        assert "王老师" in overview["text"] and PROMPT in overview["text"]
        resend = school.last_button(overview, "resend:d:")
        assert "重发未确认的 1 条" in str(overview["reply_markup"])

        assert (
            await answer_to(school, admin, overview, resend)
            == "已重发 1 条未确认的消息（标记 🔁，收件人可能会收到第二份）。"
        )
        # A button sent before the callback codec (ru:d:YYYYMMDD) is the same press.
        legacy = resend.replace("resend:", "ru:", 1)
        assert legacy.startswith("ru:d:")
        assert (
            await answer_to(school, admin, overview, legacy)
            == "没有需要重发的未确认消息（可能已经重发过）。"
        )
        forged = await answer_to(school, admin, overview, "resend:d:20261399")  # no such day
        assert forged == "这个按钮已失效。"
        prompts = [x for x in texts(await school.received(teacher.chat_id)) if PROMPT in x]
        assert len(prompts) == 3 and prompts[2].startswith("🔁 ")  # once, for two presses

        async with school.app.sessions() as session:
            audited = await session.scalar(
                select(func.count(AuditLog.id)).where(AuditLog.action == "delivery.resend")
            )
            statuses = dict(
                (await session.execute(select(Outbox.key, Outbox.status))).all()  # type: ignore[arg-type]
            )
            records = await collect(
                session, school.app.school_id, dt.date(2026, 11, 25), dt.date(2026, 11, 25)
            )
        assert audited == 1
        async with school.app.sessions() as session:
            scope = await session.scalar(
                select(AuditLog.detail).where(AuditLog.action == "delivery.resend")
            )
        assert scope == {"scope": "ru:d:20261125", "count": 1}  # as the audit log always said
        assert sum(k.startswith("resend:") and s == "sent" for k, s in statuses.items()) == 1

        await school.say(admin, "/today")
        again = (await school.received(admin.chat_id))[-1]
        assert "重发" not in str(again.get("reply_markup") or "")  # nothing left to resend
        assert "已由管理员重发 1 条" in again["text"]

    namer: KindNamer = any_kind
    book = load_workbook(write_workbook(records, tmp_path / "book.xlsx", "zh", namer))
    sheet = book["未确认送达"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert len(rows) == 1
    _at, recipient, kind, text, _why, resent = rows[0]
    assert recipient == "王老师" and kind == "prompt:zero" and PROMPT in text and resent == "是"


async def test_a_parent_notice_held_as_uncertain_is_resent_from_its_report_by_the_admin_once(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock) as school:
        seeded = await seed_parents(school.app, school.world, 3)
        unanswered = seeded.parent_chat_ids[0]
        school.emu.add_fault("process_drop", "sendMessage", chat_id=unanswered, times=1)
        notice_id, _ = await queue_notice(
            school.app, seeded.admin_person_id, school.app.now() + dt.timedelta(days=2)
        )
        school.app.wake_sender()
        await school.settle()
        assert [MARK in x for x in school.sent_texts(unanswered)].count(True) == 1  # held

        admin = SimPerson("校长", seeded.admin_chat_id, seeded.admin_person_id)
        await school.say(admin, f"/notice {notice_id}")
        report = (await school.received(admin.chat_id))[-1]
        assert "送达不确定" in report["text"]
        resend = school.last_button(report, "resend:n:")
        await school.press(admin, admin.chat_id, report["message_id"], resend)
        await school.press(admin, admin.chat_id, report["message_id"], resend)

        copies = [x for x in school.sent_texts(unanswered) if MARK in x]
        assert len(copies) == 2 and copies[1].startswith("🔁 ")  # once, for two presses
        for other in seeded.parent_chat_ids[1:]:
            assert [MARK in x for x in school.sent_texts(other)].count(True) == 1
