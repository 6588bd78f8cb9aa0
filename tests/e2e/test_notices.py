"""A notice to 200 parents in 8 classes through the emulator, with Telegram's flood limits on.

Parents join through their class's invite link; four block the bot before the notice and three
after reading it. 150 press 已阅知晓; the reminder reaches exactly the other reachable ones; at the
deadline every head teacher gets their class's rate and the names still missing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.core.settings import Settings
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
        # One parent's first delivery meets a 502 (refused: sent again), another's a
        # connection dropped after the request left (it may have arrived: held as uncertain,
        # never resent blindly).
        unlucky = [parents["3-3"][5], parents["4-4"][19]]
        school.emu.faults.add(
            "status", "sendMessage", chat_id=unlucky[0].chat_id, status=502, times=1
        )
        school.emu.faults.add("drop", "sendMessage", chat_id=unlucky[1].chat_id, times=1)
        await school.press(admin, admin.chat_id, preview["message_id"], button(preview, ":send"))
        await school.settle(timeout_s=120)
        for parent in unlucky:
            assert not the_notice(await school.received(parent.chat_id))
        await school.at("2026-11-25 08:01")  # the 502's backoff is over: sent again
        await school.at("2026-11-25 09:00")  # a tick: the progress line shows the end

        reached = [p for p in everyone if p not in blocked_before]
        for parent in everyone:
            got = the_notice(await school.received(parent.chat_id))
            held = parent in blocked_before or parent is unlucky[1]
            assert len(got) == (0 if held else 1), parent.name
        assert school.world.stats.responses.get(429, 0) == before_broadcast
        progress = next(
            m
            for m in await school.received(admin.chat_id)
            if m["message_id"] == preview["message_id"]
        )
        assert "195 / 200" in progress["text"] and "5" in progress["text"]
        assert not progress.get("reply_markup")

        # 150 confirm: the first 19 parents of each class, but only 17 in the last one.
        confirmers = [p for slug in CLASSES for p in parents[slug][:19]][:150]
        for parent in confirmers:
            notice = the_notice(await school.received(parent.chat_id))[0]
            school.world.press_button(
                parent.user_id, parent.chat_id, notice["message_id"], "nread:1:ok"
            )
        await school.settle()
        pressed = the_notice(await school.received(confirmers[0].chat_id))[0]
        assert "已确认" in pressed["reply_markup"]["inline_keyboard"][0][0]["text"]
        # A second press changes nothing and says so.
        await school.press(
            confirmers[0], confirmers[0].chat_id, pressed["message_id"], "nread:1:ok"
        )

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
        # Not the one whose notice is uncertain: a reminder would be a blind resend.
        not_reminded = blocked_before + blocked_after + unlucky[1:]
        expected = {p.name for p in not_confirmed if p not in not_reminded}
        assert set(reminded) == expected and len(reminded) == 42
        assert set(reminded.values()) == {1}
        await school.at("2026-11-26 20:00")
        assert sum((await reminders(school, everyone)).values()) == 42

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
                if p not in confirmers and p not in blocked_before + blocked_after + unlucky[1:]
            }
            uncertain = {p.name for p in parents[slug] if p is unlucky[1]}
            unreachable = {p.name for p in parents[slug] if p in blocked_before + blocked_after}
            assert names_after("未确认", report) == missing, slug
            assert names_after(r"无法送达（未使用机器人或已屏蔽）", report) == unreachable, slug
            assert (
                names_after(r"送达不确定（已发出，Telegram 未回应，未重发）", report) == uncertain
            )
        whole = "\n".join(t for t in texts(await school.received(admin.chat_id)) if "确认情况" in t)
        assert "150 / 200" in whole and all(class_name(slug) in whole for slug in CLASSES)
        assert "送达不确定：1 人" in whole


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n" + b"0" * 2000


async def all_texts(school: SimulatedSchool, persons: list[SimPerson]) -> list[str]:
    found = []
    for person in persons:
        found += texts(await school.received(person.chat_id))
    return found


def the(messages: list[dict], marker: str) -> list[dict]:  # type: ignore[type-arg]
    return [m for m in messages if marker in (m.get("text") or "")]


def last_answer(school: SimulatedSchool) -> str:
    answer = list(school.world.callbacks.values())[-1].answer or {}
    return str(answer.get("text") or "")


async def test_a_head_teacher_writes_to_own_class_cancels_then_sends(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock) as school:
        admin = await school.admin()
        teacher = await school.join("teacher", "3-1", "班主任1")
        other = await school.join("teacher", "3-2", "班主任2")
        group = await school.class_group("3-1", teacher)
        own = [await school.join("parent", "3-1", f"家长1-{n}", by=teacher) for n in (1, 2, 3)]
        elsewhere = await school.join("parent", "3-2", "家长2-1", by=other)

        async def reply(person: SimPerson, text: str) -> str:
            await school.say(person, text)
            return texts(await school.received(person.chat_id))[-1]

        assert "没有" in await reply(own[0], "/notice")  # parents do not write notices
        assert "正文" in await reply(teacher, "/notice")
        await school.sticker(teacher)
        assert "先发送通知正文" in texts(await school.received(teacher.chat_id))[-1]
        assert "附件" in await reply(
            teacher, "明天上午学校组织防溺水演练，请家长提醒孩子穿运动鞋。"
        )
        await school.send_document(teacher, b"plain text", "note.txt")
        assert "PDF/DOCX" in texts(await school.received(teacher.chat_id))[-1]
        await school.send_document(teacher, PDF, "演练安排.pdf")
        asked = texts(await school.received(teacher.chat_id))[-1]
        assert "附件已保存" in asked and "三(1)班家长：共 3 人" in asked  # own class, no choice
        assert "不是一个存在的日期" in await reply(teacher, "2月30日")
        assert "已经过去" in await reply(teacher, "昨天下午3点")
        await school.say(teacher, "周五下午5点")
        question = (await school.received(teacher.chat_id))[-1]
        await school.press(
            teacher, teacher.chat_id, question["message_id"], button(question, ":grp:1")
        )
        attachment, summary = (await school.received(teacher.chat_id))[-2:]
        assert attachment["document"]["file_name"] == "演练安排.pdf"
        assert "人数：3 人，其中 3 人可以收到" in summary["text"]
        assert "同时发送" in summary["text"]

        await school.say(teacher, "/cancel")
        await school.press(
            teacher, teacher.chat_id, summary["message_id"], button(summary, ":send")
        )
        assert "已取消或过期" in last_answer(school)
        assert not any("防溺水演练" in t for t in await all_texts(school, own))

        await school.say(teacher, "/notice")
        await school.say(teacher, "本周五下午开家长会，请准时参加。")
        await school.say(teacher, "跳过")
        await school.say(teacher, "周五下午5点")
        question = (await school.received(teacher.chat_id))[-1]
        await school.press(
            teacher, teacher.chat_id, question["message_id"], button(question, ":grp:1")
        )
        preview = (await school.received(teacher.chat_id))[-1]
        assert "本周五下午开家长会" in preview["text"] and "3 人" in preview["text"]
        await school.press(
            teacher, teacher.chat_id, preview["message_id"], button(preview, ":send")
        )
        await school.at("2026-11-25 08:05")

        got = [the(await school.received(p.chat_id), "家长会") for p in own]
        assert [len(g) for g in got] == [1, 1, 1]
        assert not the(await school.received(elsewhere.chat_id), "家长会")
        posted = the(await school.received(group), "家长会")
        assert len(posted) == 1 and not posted[0].get("reply_markup")
        line = next(
            m
            for m in await school.received(teacher.chat_id)
            if m["message_id"] == preview["message_id"]
        )
        assert "3 / 3" in line["text"]
        notice_id = int(re.search(r"#(\d+)", line["text"]).group(1))  # type: ignore[union-attr]

        data = got[0][0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        await school.press(own[0], own[0].chat_id, got[0][0]["message_id"], data)
        assert "已记录" in last_answer(school)
        await school.press(own[0], own[0].chat_id, got[0][0]["message_id"], data)
        assert "已于" in last_answer(school)

        status = await reply(teacher, f"/notice {notice_id}")
        assert (
            "1 / 3" in status and "家长1-2" in status and "家长1-1" not in status.split("未确认")[1]
        )
        assert "没有" in await reply(other, f"/notice {notice_id}")  # not their class
        assert "1 / 3" in await reply(admin, f"/notice {notice_id}")
        assert "没有编号为 99" in await reply(admin, "/notice 99")
        assert "用法" in await reply(admin, "/notice abc")


def test_the_broadcast_bench_prints_its_figures_last(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import broadcast

    assert broadcast.main(["60"]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    # One message per child: every 20th of the 60 parents has a second child, 63 in all.
    assert last["delivered"] == last["total"] == 63 and last["http_429"] == 0
    assert last["msgs_per_s"] > 0 and last["plain_loop"]["delivered"] == 60
