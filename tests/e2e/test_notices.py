"""A notice to 200 parents in 8 classes through the emulator, with Telegram's flood limits on.

Parents join through their class's invite link; four block the bot before the notice and three
after reading it. 150 press 已阅知晓; the reminder reaches exactly the other reachable ones; at the
deadline every head teacher gets their class's rate and the names still missing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.settings import Settings
from scheduler.clock import FakeClock
from storage.models import Person
from tests.conftest import settings_for
from tests.e2e.harness import SimPerson, SimulatedSchool, running_school, texts

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CLASSES = [f"{grade}-{n}" for grade in (3, 4) for n in range(1, 5)]
NAMES = {"3": "三", "4": "四"}
PER_CLASS = 25
NOTICE = "致家长的一封信：冬季防溺水、防冰面落水\n请家长叮嘱孩子不在冰面上行走玩耍。"


@pytest.fixture
def eight_classes(shipped_settings: Settings, database_url: str, tmp_path: Path) -> Settings:
    classes = [
        {"slug": slug, "name": f"{NAMES[slug[0]]}({slug[2]})班", "grade": int(slug[0])}
        for slug in CLASSES
    ]
    return settings_for(shipped_settings, database_url, tmp_path, classes=classes)


def class_name(slug: str) -> str:
    return f"{NAMES[slug[0]]}({slug[2]})班"


async def parents_join(school: SimulatedSchool, teacher: SimPerson, slug: str) -> list[SimPerson]:
    """The head teacher's parent link, opened by 25 parents at about the same time."""
    token = await school.invite(teacher, "parent", slug)
    joined = [school.user(f"家长{slug}-{n:02d}") for n in range(1, PER_CLASS + 1)]
    for parent in joined:
        school.world.user_send_text(parent.user_id, f"/start {token}")
    return joined


def the_notice(messages: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    return [m for m in messages if "冬季防溺水" in (m.get("text") or "")]


def button(message: dict, suffix: str) -> str:  # type: ignore[type-arg]
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return next(
        b["callback_data"] for row in rows for b in row if b["callback_data"].endswith(suffix)
    )


async def reminders(school: SimulatedSchool, parents: list[SimPerson]) -> dict[str, int]:
    """Parent name → how many reminders their chat received."""
    found = {}
    for parent in parents:
        count = sum("⏰" in text for text in texts(await school.received(parent.chat_id)))
        if count:
            found[parent.name] = count
    return found


def names_after(label: str, report: str) -> set[str]:
    found = re.search(rf"{label}：(.*)", report)
    return set(found.group(1).split("、")) if found else set()


async def test_notice_to_200_parents_with_confirmations_reminder_and_reports(
    eight_classes: Settings, clock: FakeClock
) -> None:
    async with running_school(eight_classes, clock, flood=True) as school:
        admin = await school.admin()
        teachers = {slug: await school.join("teacher", slug, f"班主任{slug}") for slug in CLASSES}
        parents = {slug: await parents_join(school, teachers[slug], slug) for slug in CLASSES}
        await school.settle(timeout_s=120)
        everyone = [p for slug in CLASSES for p in parents[slug]]
        async with school.app.sessions() as session:
            joined = await session.scalars(
                select(Person.tg_user_id).where(
                    Person.tg_user_id.in_([p.user_id for p in everyone])
                )
            )
            assert len(joined.all()) == 200

        # Four parents blocked the bot before the notice; they cannot get it.
        blocked_before = [
            parents["3-1"][24],
            parents["3-2"][24],
            parents["4-3"][23],
            parents["4-3"][24],
        ]
        for parent in blocked_before:
            school.world.block_bot(parent.user_id)

        await school.say(admin, "/notice")
        await school.say(admin, NOTICE)
        await school.say(admin, "跳过")
        await school.say(admin, "全校")
        asked = texts(await school.received(admin.chat_id))[-1]
        assert "200" in asked
        for parent in everyone[:3]:  # nothing reaches a parent before the confirmation
            assert not the_notice(await school.received(parent.chat_id))
        await school.say(admin, "周五下午5点")
        question = (await school.received(admin.chat_id))[-1]
        await school.press(admin, admin.chat_id, question["message_id"], button(question, ":grp:0"))
        preview = (await school.received(admin.chat_id))[-1]
        assert "200" in preview["text"] and "11-27 17:00" in preview["text"]
        # Direct replies to people typing faster than one message a second may meet a 429
        # (bot.retry waits it out); the broadcast itself, paced by the outbox, must not.
        before_broadcast = school.world.stats.responses.get(429, 0)
        await school.press(admin, admin.chat_id, preview["message_id"], button(preview, ":send"))
        await school.settle(timeout_s=120)

        reached = [p for p in everyone if p not in blocked_before]
        for parent in everyone:
            got = the_notice(await school.received(parent.chat_id))
            assert len(got) == (0 if parent in blocked_before else 1), parent.name
        assert school.world.stats.responses.get(429, 0) == before_broadcast

        await school.at("2026-11-25 09:00")  # a tick: the progress line shows the end
        progress = next(
            m
            for m in await school.received(admin.chat_id)
            if m["message_id"] == preview["message_id"]
        )
        assert "196 / 200" in progress["text"] and "4" in progress["text"]
        assert not progress.get("reply_markup")

        # 150 confirm: the first 19 parents of each class, but only 17 in the last one.
        confirmers = [p for slug in CLASSES for p in parents[slug][:19]][:150]
        for parent in confirmers:
            notice = the_notice(await school.received(parent.chat_id))[0]
            school.world.press_button(
                parent.user_id, parent.chat_id, notice["message_id"], "n:1:ok"
            )
        await school.settle()
        pressed = the_notice(await school.received(confirmers[0].chat_id))[0]
        assert "已确认" in pressed["reply_markup"]["inline_keyboard"][0][0]["text"]
        # A second press changes nothing and says so.
        await school.press(confirmers[0], confirmers[0].chat_id, pressed["message_id"], "n:1:ok")

        not_confirmed = [p for p in everyone if p not in confirmers]
        assert len(not_confirmed) == 50
        blocked_after = [parents["4-1"][20], parents["4-2"][21], parents["4-4"][22]]
        for parent in blocked_after:
            assert parent in not_confirmed and parent in reached
            school.world.block_bot(parent.user_id)

        await school.at("2026-11-26 16:59")
        assert await reminders(school, everyone) == {}
        await school.at("2026-11-26 17:00")  # 24 h before the deadline
        reminded = await reminders(school, everyone)
        expected = {p.name for p in not_confirmed if p not in blocked_before + blocked_after}
        assert set(reminded) == expected and len(reminded) == 43
        assert set(reminded.values()) == {1}
        await school.at("2026-11-26 20:00")
        assert sum((await reminders(school, everyone)).values()) == 43

        await school.at("2026-11-27 17:00")  # the deadline: per-class lists
        for slug in CLASSES:
            report = "\n".join(
                t for t in texts(await school.received(teachers[slug].chat_id)) if "确认情况" in t
            )
            assert report.count("确认情况") == 1
            assert class_name(slug) in report
            assert all(class_name(other) not in report for other in CLASSES if other != slug)
            confirmed = sum(p in confirmers for p in parents[slug])
            assert f"{confirmed} / {PER_CLASS}" in report
            missing = {
                p.name
                for p in parents[slug]
                if p not in confirmers and p not in blocked_before + blocked_after
            }
            unreachable = {p.name for p in parents[slug] if p in blocked_before + blocked_after}
            assert names_after("未确认", report) == missing, slug
            assert names_after(r"无法送达（未使用机器人或已屏蔽）", report) == unreachable, slug
        whole = "\n".join(t for t in texts(await school.received(admin.chat_id)) if "确认情况" in t)
        assert "150 / 200" in whole and all(class_name(slug) in whole for slug in CLASSES)
