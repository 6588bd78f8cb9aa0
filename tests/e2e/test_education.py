"""A day of 1530 safety education through the emulator, and restarts around the push time."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.core.settings import Settings
from storage.models import Attachment, Submission, Task, Unit
from tests.conftest import local
from tests.e2e.harness import running_school, texts

JPEG = b"\xff\xd8\xff\xe0" + b"class-photo" * 200


async def test_a_day_of_1530(small_school: Settings, clock: FakeClock) -> None:
    async with running_school(small_school, clock) as school:
        await school.admin()
        leader = await school.join("leader", None, "赵主任")
        teachers = {n: await school.join("teacher", f"3-{n}", f"班主任{n}") for n in range(1, 5)}
        groups = {n: await school.class_group(f"3-{n}", teachers[n]) for n in range(1, 4)}

        await school.at("2026-11-25 15:49")
        before = [texts(await school.received(g)) for g in groups.values()]
        assert not any("1530" in text for group_texts in before for text in group_texts)
        await school.at("2026-11-25 15:50")  # grade 3 dismisses at 16:00
        prompts = {n: (await school.received(groups[n]))[-1] for n in groups}
        private = (await school.received(teachers[4].chat_id))[-1]
        assert all(
            "1530安全教育" in m["text"] and "消防安全" in m["text"] for m in prompts.values()
        )
        assert "三(4)班" in private["text"]  # no group: the head teacher gets it privately

        await school.at("2026-11-25 15:55")
        await school.press(
            teachers[1], groups[1], prompts[1]["message_id"], school.last_button(prompts[1], "edu:")
        )
        await school.photo(teachers[1], JPEG, chat=groups[1])
        await school.at("2026-11-25 16:10")
        await school.press(
            teachers[2], groups[2], prompts[2]["message_id"], school.last_button(prompts[2], "edu:")
        )
        # Another class's teacher cannot confirm for 三(3)班.
        school.world.add_members(groups[3], [teachers[2].user_id])
        await school.press(
            teachers[2], groups[3], prompts[3]["message_id"], school.last_button(prompts[3], "edu:")
        )

        await school.at("2026-11-25 16:30")  # first deadline: reminders to the two missing
        reminded = {n for n, g in groups.items() if "⏰" in texts(await school.received(g))[-1]}
        assert reminded == {3}
        assert "⏰" in texts(await school.received(teachers[4].chat_id))[-1]

        await school.at("2026-11-25 16:40")
        await school.press(
            teachers[3], groups[3], prompts[3]["message_id"], school.last_button(prompts[3], "edu:")
        )
        await school.at("2026-11-25 17:00")  # second deadline: one alert to the duty leader
        await school.at("2026-11-25 17:30")
        alerts = [m for m in texts(await school.received(leader.chat_id)) if "尚未确认" in m]
        assert len(alerts) == 1 and "三(4)班" in alerts[0]
        assert "三(3)班" not in alerts[0] and "三(1)班" not in alerts[0]
        group_texts = [texts(await school.received(g)) for g in groups.values()]
        assert sum("⏰" in text for chat in group_texts for text in chat) == 1

        async with school.app.sessions() as session:
            status = dict(
                (
                    await session.execute(
                        select(Unit.slug, Task.status)
                        .join(Unit, Unit.id == Task.unit_id)
                        .where(Task.routine == "education")
                    )
                ).all()
            )
            photos = (await session.scalars(select(Attachment))).all()
            presses = (
                await session.scalars(select(Submission).where(Submission.kind == "button"))
            ).all()
    assert status == {"3-1": "done", "3-2": "done", "3-3": "late", "3-4": "escalated"}
    assert len(presses) == 3  # the other class's teacher's press was refused
    assert len(photos) == 1 and photos[0].sha256 == hashlib.sha256(JPEG).hexdigest()
    assert hashlib.sha256(Path(photos[0].path).read_bytes()).hexdigest() == photos[0].sha256


async def test_restart_across_the_push_time_sends_each_prompt_once(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock) as school:
        await school.admin()
        teacher = await school.join("teacher", "3-1", "班主任1")
        group = await school.class_group("3-1", teacher)
        await school.at("2026-11-25 15:00")
        await school.stop_bot()
        clock.set(local("2026-11-25 15:58"))  # down through the 15:50 push
        await school.start_bot()
        await school.app.tick()
        await school.settle()
        await school.restart()
        await school.restart()
        await school.at("2026-11-25 16:05")
        prompts = [t for t in texts(await school.received(group)) if "1530安全教育" in t]
    assert len(prompts) == 1


async def test_an_earlier_days_prompts_are_not_sent_after_downtime(
    small_school: Settings, clock: FakeClock
) -> None:
    clock.set(local("2026-11-24 08:00"))
    async with running_school(small_school, clock) as school:
        await school.admin()
        teacher = await school.join("teacher", "3-1", "班主任1")
        group = await school.class_group("3-1", teacher)
        await school.at("2026-11-24 09:00")  # planned yesterday, then down until today
        await school.stop_bot()
        clock.set(local("2026-11-25 09:00"))
        await school.start_bot()
        await school.app.tick()
        await school.settle()
        assert [t for t in texts(await school.received(group)) if "1530" in t] == []
        async with school.app.sessions() as session:
            yesterday = (
                await session.scalars(
                    select(Task.status).where(
                        Task.day == local("2026-11-24 00:00").date(), Task.routine == "education"
                    )
                )
            ).all()
    assert yesterday and set(yesterday) == {"missed"}
