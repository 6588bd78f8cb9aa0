"""Which language class groups and parents read: a group always reads the school's language
(``[school].language``); a person reads the language they chose with /lang, else the school's,
whatever language their phone is set to."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.core.clock import FakeClock
from bot.core.settings import Settings
from tests.conftest import settings_for
from tests.e2e.harness import SimPerson, SimulatedSchool, running_school

pytestmark = [pytest.mark.e2e]

# Commands (/bind) and the times, dates and ids around them are the same in both languages.
_COMMAND = re.compile(r"/[a-z_]+")


def english_words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z]{2,}", _COMMAND.sub("", text))


def chinese(text: str) -> list[str]:
    return re.findall(r"[\u4e00-\u9fff]+", text)


def buttons(message: dict) -> list[str]:  # type: ignore[type-arg]
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


def button(message: dict, suffix: str) -> str:  # type: ignore[type-arg]
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return next(
        b["callback_data"] for row in rows for b in row if b["callback_data"].endswith(suffix)
    )


@pytest.fixture
def english_school(small_school: Settings, database_url: str, tmp_path: Path) -> Settings:
    return settings_for(small_school, database_url, tmp_path, school__language="en")


async def send_notice(
    school: SimulatedSchool, teacher: SimPerson, text: str, deadline: str
) -> None:
    """The head teacher's notice to their own class, posted in the class group too."""
    await school.say(teacher, "/notice")
    await school.say(teacher, text)
    await school.say(teacher, "skip")
    await school.say(teacher, deadline)
    question = (await school.received(teacher.chat_id))[-1]
    await school.press(teacher, teacher.chat_id, question["message_id"], button(question, ":grp:1"))
    preview = (await school.received(teacher.chat_id))[-1]
    await school.press(teacher, teacher.chat_id, preview["message_id"], button(preview, ":send"))


def the(messages: list[dict], marker: str) -> list[dict]:  # type: ignore[type-arg]
    return [m for m in messages if marker in (m.get("text") or "")]


async def test_a_chinese_schools_class_group_and_parents_read_only_chinese(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock) as school:
        await school.admin()
        # The head teacher's phone is in English and they chose English for themselves.
        teacher = await school.join("teacher", "3-1", "班主任1", language="en-US")
        await school.say(teacher, "/lang en")
        group = await school.class_group("3-1", teacher)
        phone_in_english = await school.join("parent", "3-1", "家长1", by=teacher, language="en")
        chose_english = await school.join("parent", "3-1", "家长2", by=teacher)
        await school.say(chose_english, "/lang en")

        await send_notice(school, teacher, "周五下午开家长会，请准时参加。", "Friday 5pm")
        await school.at("2026-11-25 15:50")  # the 1530 prompt in the class group
        prompt = the(await school.received(group), "1530")[-1]
        await school.press(teacher, group, prompt["message_id"], school.last_button(prompt, "edu:"))

        group_messages = await school.received(group)
        to_parent = the(await school.received(phone_in_english.chat_id), "家长会")
        to_chooser = the(await school.received(chose_english.chat_id), "家长会")

    assert the(group_messages, "家长会") and buttons(prompt) == ["✅ 完成"]
    for message in group_messages:  # the bind, the notice, the prompt, the confirmation
        assert english_words(message.get("text") or "") == [], message["text"]
    (notice,) = to_parent
    assert english_words(notice["text"]) == [] and english_words(" ".join(buttons(notice))) == []
    (chosen,) = to_chooser
    assert "School notice" in chosen["text"] and buttons(chosen) == ["✅ I have read this"]


async def test_an_english_schools_class_group_and_parents_read_english(
    english_school: Settings, clock: FakeClock
) -> None:
    async with running_school(english_school, clock) as school:
        await school.admin()
        teacher = await school.join("teacher", "3-1", "Ms Li")
        await school.say(teacher, "/lang zh")  # the head teacher reads Chinese herself
        group = await school.class_group("3-1", teacher)
        parent = await school.join("parent", "3-1", "Parent", by=teacher)  # phone in Chinese

        await send_notice(school, teacher, "Parents' meeting on Friday afternoon.", "周五下午5点")
        await school.at("2026-11-25 15:50")
        prompt = the(await school.received(group), "1530")[-1]
        await school.press(teacher, group, prompt["message_id"], school.last_button(prompt, "edu:"))

        group_messages = await school.received(group)
        (notice,) = the(await school.received(parent.chat_id), "meeting")

    assert buttons(prompt) == ["✅ Done"]
    assert the(group_messages, "meeting")
    for message in group_messages:  # the bind, the notice, the prompt, the confirmation
        assert chinese(school_words(message["text"])) == [], message["text"]
    assert "School notice" in notice["text"] and buttons(notice) == ["✅ I have read this"]


def school_words(text: str) -> str:
    """The text without what the school itself wrote: class names and the safety themes."""
    lines = [line for line in text.splitlines() if not line.startswith(("•", "Theme:"))]
    return "\n".join(lines).replace("三(1)班", "")
