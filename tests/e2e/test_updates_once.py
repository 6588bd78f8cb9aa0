"""Telegram delivers an update again when the bot's answer to it was late or lost (a webhook
retried, a slow handler past the webhook's timeout): each update is handled once, by its
``update_id``, and a second delivery changes nothing a school would see."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.clock import FakeClock
from bot.core.settings import Settings
from storage.models import Attachment, AuditLog, Inbound, Invite, Submission
from storage.notices import NoticeRecipient
from storage.zero_report import Incident
from tests.e2e.harness import SimPerson, SimulatedSchool, running_school, texts

JPEG = b"\xff\xd8\xff\xe0" + b"class-photo" * 200


class Deliveries:
    """The updates the emulator delivered to the bot's webhook, to deliver one again."""

    def __init__(self, school: SimulatedSchool) -> None:
        self.school = school
        self.seen: list[dict[str, Any]] = []
        school.emu.webhooks.delivered.append(lambda _bot, update: self.seen.append(update))

    async def again(self, kind: str = "message") -> None:
        """The last delivered update of that kind, delivered again with its own update_id."""
        update = next(u for u in reversed(self.seen) if kind in u)
        self.school.world.bot().updates.again(update)
        await self.school.settle()


async def count(school: SimulatedSchool, statement: Any) -> int:
    async with school.app.sessions() as session:
        return int(await session.scalar(statement) or 0)


async def last_text(school: SimulatedSchool, person: SimPerson) -> str:
    return texts(await school.received(person.chat_id))[-1]


def button(message: dict[str, Any], suffix: str) -> str:
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for key in row:
            if key.get("callback_data", "").endswith(suffix):
                return str(key["callback_data"])
    raise LookupError(f"no button ending in {suffix!r} in {message.get('text')!r}")


async def prompt_of(school: SimulatedSchool, person: SimPerson) -> dict[str, Any]:
    for message in reversed(await school.received(person.chat_id)):
        if "今日安全情况报告" in (message.get("text") or "") and message.get("reply_markup"):
            return message
    raise LookupError(f"{person.name} has no daily-report prompt")


async def started_incident(school: SimulatedSchool) -> tuple[SimPerson, Deliveries]:
    """A head teacher who pressed 有情况 on the 14:30 prompt, by webhook."""
    await school.admin("校长")
    teacher = await school.join("teacher", "3-1", "王老师")
    deliveries = Deliveries(school)
    await school.at("2026-11-25 14:30")
    prompt = await prompt_of(school, teacher)
    await school.press(teacher, teacher.chat_id, prompt["message_id"], button(prompt, ":inc"))
    return teacher, deliveries


async def test_an_incident_button_delivered_twice_opens_one_draft(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock, webhook=True) as school:
        teacher, deliveries = await started_incident(school)
        await deliveries.again("callback_query")
        drafts = await count(school, select(func.count(Incident.id)))
        steps = [t for t in texts(await school.received(teacher.chat_id)) if "第1步" in t]
    assert drafts == 1
    assert len(steps) == 1  # asked once what happened


async def test_an_answer_delivered_twice_is_not_taken_as_the_next_answer(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock, webhook=True) as school:
        teacher, deliveries = await started_incident(school)
        await school.say(teacher, "走廊灯坏了，比较暗")
        await deliveries.again("message")
        asked = await last_text(school, teacher)
        await school.say(teacher, "三楼东侧走廊")
        async with school.app.sessions() as session:
            incident = await session.scalar(select(Incident))
    assert "第2步" in asked  # still asking where, not already for the severity
    assert incident is not None
    assert (incident.text, incident.place) == ("走廊灯坏了，比较暗", "三楼东侧走廊")


async def test_help_delivered_twice_is_answered_once(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock, webhook=True) as school:
        admin = await school.admin("校长")
        deliveries = Deliveries(school)
        before = len(await school.received(admin.chat_id))
        await school.say(admin, "/help")
        await deliveries.again("message")
        after = len(await school.received(admin.chat_id))
    assert after - before == 1


async def notice_to_a_parent(school: SimulatedSchool) -> tuple[SimPerson, dict[str, Any]]:
    """A head teacher's notice to their class's one parent, delivered; the parent's copy."""
    await school.admin()
    teacher = await school.join("teacher", "3-1", "班主任1")
    parent = await school.join("parent", "3-1", "家长1", by=teacher)
    await school.say(teacher, "/notice")
    await school.say(teacher, "本周五下午开家长会，请准时参加。")
    await school.say(teacher, "跳过")
    await school.say(teacher, "周五下午5点")
    question = (await school.received(teacher.chat_id))[-1]
    await school.press(teacher, teacher.chat_id, question["message_id"], button(question, ":grp:0"))
    preview = (await school.received(teacher.chat_id))[-1]
    await school.press(teacher, teacher.chat_id, preview["message_id"], button(preview, ":send"))
    await school.at("2026-11-25 08:05")
    notice = next(
        m for m in await school.received(parent.chat_id) if "家长会" in (m.get("text") or "")
    )
    return parent, notice


async def failed_updates(school: SimulatedSchool) -> int:
    """Updates whose handler failed (the error kept), or that never finished."""
    return await count(
        school,
        select(func.count(Inbound.id)).where(
            (Inbound.handled.is_(False)) | (Inbound.error.is_not(None))
        ),
    )


async def test_a_parents_read_press_delivered_twice_is_recorded_once_without_an_error(
    small_school: Settings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_school(small_school, clock, webhook=True) as school:
        parent, notice = await notice_to_a_parent(school)
        deliveries = Deliveries(school)
        data = button(notice, ":ok")
        with caplog.at_level(logging.ERROR, logger="bot"):
            await school.press(parent, parent.chat_id, notice["message_id"], data)
            await deliveries.again("callback_query")
        confirmed = await count(
            school,
            select(func.count(NoticeRecipient.id)).where(NoticeRecipient.confirmed_at.is_not(None)),
        )
        failed = await failed_updates(school)
    assert confirmed == 1
    assert failed == 0
    # No error of the bot's (the emulator logs every request at DEBUG when another test has
    # turned the root logger up: those are not the bot's complaints).
    assert not [
        r for r in caplog.records if r.name.startswith("bot") and r.levelno >= logging.WARNING
    ]


async def test_a_read_press_handled_after_its_query_expired_still_marks_the_notice_read(
    small_school: Settings, clock: FakeClock
) -> None:
    """A press handled late (a restart handling what a killed run stored): Telegram answers
    "query is too old" to its answer, which must not fail the press."""
    async with running_school(small_school, clock, webhook=True) as school:
        parent, notice = await notice_to_a_parent(school)
        query = school.world.press_button(
            parent.user_id, parent.chat_id, notice["message_id"], button(notice, ":ok")
        )
        school.world.callbacks[query["id"]].answered = True  # too old by the time it arrives
        await school.settle()
        shown = next(
            m
            for m in await school.received(parent.chat_id)
            if m["message_id"] == notice["message_id"]
        )
        failed = await failed_updates(school)
    label = shown["reply_markup"]["inline_keyboard"][0][0]["text"]
    assert label != notice["reply_markup"]["inline_keyboard"][0][0]["text"]  # shows it was read
    assert failed == 0


async def test_what_people_send_is_stored_once_when_the_webhook_delivers_it_twice(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock, webhook=True) as school:
        admin = await school.admin("校长")
        teacher = await school.join("teacher", "3-1", "王老师")
        group = await school.class_group("3-1", teacher)
        deliveries = Deliveries(school)

        await school.say(teacher, "三楼的窗户关不上")  # free text, kept for the admins
        await deliveries.again()
        invites = select(func.count(Invite.id))
        invites_before = await count(school, invites)
        await school.say(admin, "/invite teacher 3-2")
        await deliveries.again()
        await school.say(teacher, "/patrol 教学楼巡查，门窗已锁")
        await deliveries.again()
        await school.say(admin, "/calendar off 2026-11-27 运动会")
        await deliveries.again()
        await school.at("2026-11-25 15:50")
        await school.photo(teacher, JPEG, chat=group)
        await deliveries.again()

        stored = {
            "free text": await count(
                school, select(func.count(Submission.id)).where(Submission.kind == "text")
            ),
            "/invite": await count(school, invites) - invites_before,
            "/patrol": await count(
                school, select(func.count(Submission.id)).where(Submission.kind == "patrol")
            ),
            "/calendar off": await count(
                school,
                select(func.count(AuditLog.id)).where(AuditLog.action == "calendar.off"),
            ),
            "group photo": await count(school, select(func.count(Attachment.id))),
        }
        replies = {
            "teacher": texts(await school.received(teacher.chat_id)),
            "admin": texts(await school.received(admin.chat_id)),
        }
    assert stored == {
        "free text": 1,
        "/invite": 1,
        "/patrol": 1,
        "/calendar off": 1,
        "group photo": 1,
    }
    assert sum("巡查已记录" in t for t in replies["teacher"]) == 1
    assert sum("停课" in t for t in replies["admin"]) == 1
