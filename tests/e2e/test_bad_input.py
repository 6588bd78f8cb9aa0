"""Bad input through the emulator gets a clear answer and changes nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot.core.clock import FakeClock
from bot.core.settings import Settings
from storage.models import Attachment, Chat, Person, Submission
from tests.conftest import settings_for
from tests.e2e.harness import running_school


async def test_a_photo_over_the_limit_is_refused_and_not_stored(
    small_school: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    tiny = settings_for(
        small_school, small_school.storage.database_url, tmp_path, storage__max_photo_mb=0.01
    )
    async with running_school(tiny, clock) as school:
        await school.admin()
        teacher = await school.join("teacher", "3-1", "班主任1")
        group = await school.class_group("3-1", teacher)
        await school.at("2026-11-25 15:50")
        await school.photo(teacher, b"\xff\xd8" + b"x" * 20_000, chat=group)
        assert "照片太大" in school.sent_texts(group)[-1]
        await school.photo(teacher, b"\xff\xd8" + b"y" * 2_000, chat=group)
        assert "照片已保存" in school.sent_texts(group)[-1]
        async with school.app.sessions() as session:
            photos = (await session.scalars(select(Attachment.size))).all()
    assert photos == [2_002]


async def test_strangers_stickers_long_texts_and_unknown_groups(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock) as school:
        admin = await school.admin()
        stranger = school.user("陌生人")
        await school.sticker(stranger)
        await school.photo(stranger, b"\xff\xd8photo")
        assert all("邀请链接" in t for t in school.sent_texts(stranger.chat_id))
        await school.sticker(admin)
        assert "没看懂" in school.sent_texts(admin.chat_id)[-1]
        await school.say(admin, "很长" * 2_040)
        assert "太长" in school.sent_texts(admin.chat_id)[-1]
        # A group nobody bound, with a stranger talking in it: the bot stays quiet.
        group = school.world.create_group(
            "无关的群", member_ids=[stranger.user_id], creator_id=stranger.user_id
        )
        school.world.add_bot_to_group(group.id, by_user_id=stranger.user_id)
        await school.settle()
        before = len(school.sent_texts(group.id))
        await school.say(stranger, "/today", chat=group.id)
        await school.say(stranger, "大家好", chat=group.id)
        assert len(school.sent_texts(group.id)) == before
        async with school.app.sessions() as session:
            persons = await session.scalar(select(func.count(Person.id)))
            kept = (await session.scalars(select(Submission.text))).all()
            chats = (await session.scalars(select(Chat.tg_chat_id))).all()
    # Only the registered admin's words are kept (the long text too: nothing is lost).
    assert persons == 1 and kept == ["很长" * 2_040] and group.id not in chats


async def test_a_photo_that_matches_no_task_is_kept_and_said_so(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock) as school:
        admin = await school.admin()
        await school.photo(admin, b"\xff\xd8" + b"z" * 500, caption="门口的坑")
        assert "没有找到对应的任务" in school.sent_texts(admin.chat_id)[-1]
        async with school.app.sessions() as session:
            kept = (await session.scalars(select(Submission))).all()
    assert len(kept) == 1 and kept[0].task_id is None and kept[0].text == "门口的坑"
    assert len(kept[0].attachments) == 1


async def test_admins_are_told_when_group_privacy_mode_hides_photos(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock, privacy_mode=True) as school:
        # The first run: nobody to tell at start-up, so the principal hears it on joining.
        admin = await school.admin()
        joined = [t for t in school.sent_texts(admin.chat_id) if "隐私模式" in t]
        await school.restart()
        await school.restart()  # once a day is enough
        warnings = [t for t in school.sent_texts(admin.chat_id) if "隐私模式" in t]
        second = await school.join("admin", None, "副校长")
    assert len(joined) == 1 and "/setprivacy" in joined[0]
    assert warnings == joined
    assert not any("隐私模式" in t for t in school.sent_texts(second.chat_id))


async def test_no_privacy_warning_when_the_bot_sees_group_messages(
    small_school: Settings, clock: FakeClock
) -> None:
    async with running_school(small_school, clock, privacy_mode=False) as school:
        admin = await school.admin()
        await school.restart()
    assert not any("隐私模式" in t for t in school.sent_texts(admin.chat_id))
