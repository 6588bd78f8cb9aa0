"""A district (区教育局) of schools served by ONE real `safety-bot run --district` process.

Two schools, each with its own config.toml and its own bot (its token from the environment
variable district.toml names), on one database, against the real `safety-bot emulator`. Each
school's principal bootstraps with the code the process prints for that school; each binds a
class group and makes today a school day; then the test only waits on the real clock: each
school's bot sends its own daily-report prompt to its own head teacher and its own 1530 prompt
to its own class group, and nothing through the other school's bot. The district admin's
/district today (sent to either bot) lists both schools, and /district notice reaches each
school's parent through that school's bot.
"""

from __future__ import annotations

import io
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook

from emulator.client import EmulatorClient, EmulatorError
from tests.conftest import PG_URL, _drop_pg_database, _pg_database
from tests.e2e.test_real_clock import (
    LINK,
    PROMPT,
    Process,
    Times,
    _cli,
    _free_port,
    emulator,
    wait_until,
    write_school_config,
)

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

SCHOOLS = (
    ("east", "东城实验小学", "900000001:AAdistrictEastSchoolToken-safety_b01", "BOT_TOKEN_EAST"),
    ("west", "西城第二小学", "900000002:AAdistrictWestSchoolToken-safety_b02", "BOT_TOKEN_WEST"),
)


@dataclass
class School:
    slug: str
    name: str
    token: str
    bot_id: int
    principal: int = 0
    teacher: int = 0
    parent: int = 0
    group: int = 0


def write_district(
    tmp_path: Path, database_url: str, admin_id: int, lead_s: int
) -> tuple[Path, Times, str]:
    """district.toml and one config.toml per school (the shipped one, times a minute ahead)."""
    lines = [
        "[district]",
        'name = "示范区教育局"',
        f'database_url = "{database_url}"',
        "",
        "[[admins]]",
        f"tg_user_id = {admin_id}",
        'name = "区教育局 张科长"',
    ]
    times: Times | None = None
    today = ""
    for slug, name, _, env in SCHOOLS:
        folder = tmp_path / slug
        folder.mkdir()
        config, times, day = write_school_config(folder, _free_port(), lead_s=lead_s)
        text = config.read_text(encoding="utf-8")
        text = text.replace('slug = "lvshu"', f'slug = "{slug}"')
        text = text.replace('name = "吕墅小学（演示）"', f'name = "{name}"')
        config.write_text(text, encoding="utf-8")
        today = day.isoformat()
        lines += ["", "[[schools]]", f'config = "{slug}/config.toml"', f'token_env = "{env}"']
    path = tmp_path / "district.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert times is not None
    return path, times, today


async def say(
    people: EmulatorClient, school: School, user_id: int, text: str, expect: str, chat: int = 0
) -> str:
    """As a person, to one school's bot; the answer from that bot matching ``expect``."""
    target = chat or user_id
    before = await people.bot_message_count(target, bot_id=school.bot_id)
    await people.send_text(user_id, text, chat_id=chat or None, bot_id=school.bot_id)
    answers: list[str] = []

    async def answered() -> bool:
        sent = await people.bot_messages(target, bot_id=school.bot_id)
        answers[:] = [str(m.get("text") or "") for m in sent[before:]]
        return any(re.search(expect, a) for a in answers)

    await wait_until(answered, 30, f"{school.slug}: an answer to {text!r} ({expect!r}): {answers}")
    return next(a for a in answers if re.search(expect, a))


async def texts(people: EmulatorClient, chat: int, bot_id: int) -> list[str]:
    """What ``bot_id`` sent to ``chat``; nothing when that bot has no chat with them at all."""
    try:
        sent = await people.bot_messages(chat, bot_id=bot_id)
    except EmulatorError as exc:
        if exc.status == 404:
            return []
        raise
    return [str(m.get("text") or "") for m in sent]


async def onboard(people: EmulatorClient, process: Process, school: School, today: str) -> None:
    code_line = re.compile(rf"No admin yet at {school.slug}\..*/start ([A-Za-z0-9_-]+)")
    code = (await process.wait_for_output(code_line, 120)).group(1)
    school.principal = (await people.create_user(f"{school.name}校长"))["id"]
    await say(people, school, school.principal, f"/start {code}", "欢迎")
    teacher_link = LINK.search(
        await say(people, school, school.principal, "/invite teacher 一(1)班", LINK.pattern)
    )
    parent_link = LINK.search(
        await say(people, school, school.principal, "/invite parent 一(1)班", LINK.pattern)
    )
    assert teacher_link and parent_link
    school.teacher = (await people.create_user(f"{school.slug}王老师"))["id"]
    school.parent = (await people.create_user(f"{school.slug}家长"))["id"]
    await say(people, school, school.teacher, f"/start {teacher_link.group(1)}", "欢迎")
    await say(people, school, school.parent, f"/start {parent_link.group(1)}", "欢迎|孩子|姓名")
    group = await people.create_group(
        f"{school.name}一(1)班家长群", member_ids=[school.teacher], creator_id=school.teacher
    )
    school.group = group["id"]
    await people.add_bot(school.group, by_user_id=school.teacher, bot_id=school.bot_id)
    await say(people, school, school.teacher, "/bind 一(1)班", "一\\(1\\)班", chat=school.group)
    await say(people, school, school.principal, f"/calendar on {today} 补课", today)


async def run_a_district_day(tmp_path: Path, database_url: str) -> None:
    async with emulator(tmp_path) as (_, _token, url), EmulatorClient(url) as people:
        schools = []
        for slug, name, token, _ in SCHOOLS:
            bot = await people.create_bot(token, username=f"{slug}_safety_bot", first_name=name)
            schools.append(School(slug, name, token, bot["id"]))
        admin = (await people.create_user("张科长"))["id"]
        district, times, today = write_district(tmp_path, database_url, admin, lead_s=100)
        env = {**os.environ, **{env: token for _, _, token, env in SCHOOLS}}
        env.pop("DATABASE_URL", None)
        process = Process(
            "district",
            [*_cli(), "run", "--district", str(district), "--api-base", url],
            tmp_path,
            env,
        )
        try:
            for school in schools:
                await onboard(people, process, school, today)
            assert time.time() < times.zero_prompt, "onboarding took longer than planned"

            # Only waiting from here on: each bot prompts its own school.
            for school in schools:

                async def prompted(school: School = school) -> bool:
                    return any(
                        PROMPT in m for m in await texts(people, school.teacher, school.bot_id)
                    )

                await wait_until(
                    prompted, times.zero_prompt + 70 - time.time(), f"{school.slug}'s prompt"
                )
            for school in schools:

                async def taught(school: School = school) -> bool:
                    sent = await texts(people, school.group, school.bot_id)
                    return any("1530安全教育" in m for m in sent)

                await wait_until(
                    taught, times.edu_prompt + 70 - time.time(), f"{school.slug}'s 1530 prompt"
                )
            for school, other in (schools, schools[::-1]):
                # Nothing of this school came through the other school's bot.
                for chat in (school.teacher, school.group, school.parent):
                    assert await texts(people, chat, other.bot_id) == []
                assert [
                    m for m in await texts(people, school.teacher, school.bot_id) if PROMPT in m
                ]

            overview = await say(people, schools[0], admin, "/district today", "各校完成情况")
            for school in schools:
                assert school.name in overview
            assert "零报告" in overview and "1530" in overview

            text = "区教育局通知：本周五开展防溺水专题教育，请家长配合。"
            answer = await say(
                people, schools[1], admin, f"/district notice {text}", "区级通知已交给 2 所"
            )
            for school in schools:
                assert school.name in answer

                async def noticed(school: School = school) -> bool:
                    return any(
                        "防溺水专题教育" in m
                        for m in await texts(people, school.parent, school.bot_id)
                    )

                await wait_until(noticed, 30, f"{school.slug}'s parent gets the district notice")
            # Each parent once, and only through their own school's bot.
            for school, other in (schools, schools[::-1]):
                got = [
                    m for m in await texts(people, school.parent, school.bot_id) if "防溺水" in m
                ]
                assert len(got) == 1
                assert await texts(people, school.parent, other.bot_id) == []

            # The district's record book: one workbook, a school column on every sheet.
            before = len(await people.bot_messages(admin, bot_id=schools[0].bot_id))
            await people.send_text(admin, "/district export 今天", bot_id=schools[0].bot_id)

            async def exported() -> bool:
                sent = (await people.bot_messages(admin, bot_id=schools[0].bot_id))[before:]
                return any(m.get("document") for m in sent)

            await wait_until(exported, 60, "the district's record book")
            sent = (await people.bot_messages(admin, bot_id=schools[0].bot_id))[before:]
            document = next(m["document"] for m in sent if m.get("document"))
            assert document["file_name"].endswith(".xlsx")
            book = load_workbook(io.BytesIO(await people.file_content(document["file_id"])))
            zero = next(sheet for sheet in book.worksheets if "零报告" in sheet.title)
            header, *rows = list(zero.iter_rows(values_only=True))
            assert header[0] == "学校"
            assert {row[0] for row in rows} == {school.name for school in schools}

            # A head teacher is no district admin.
            refused = await say(
                people, schools[0], schools[0].teacher, "/district today", "权限|not allowed|无权"
            )
            assert "各校完成情况" not in refused
            returncode = await process.stop()
        finally:
            if process.popen.poll() is None:
                process.kill()
    logs = process.logs()
    assert returncode == 0 and "stopped cleanly" in logs, logs[-3000:]
    assert "2 schools in one process" in logs
    for _, _, token, _ in SCHOOLS:
        assert token.split(":")[1] not in logs


async def test_two_schools_run_their_day_in_one_district_process_on_one_sqlite_file(
    tmp_path: Path,
) -> None:
    await run_a_district_day(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'district.db'}")


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="SAFETY_BOT_TEST_PG_URL is not set (make test PG=0)")
async def test_two_schools_run_their_day_in_one_district_process_on_postgresql(
    tmp_path: Path,
) -> None:
    url, name = await _pg_database()
    try:
        await run_a_district_day(tmp_path, url)
    finally:
        await _drop_pg_database(name)


def test_a_district_file_names_what_is_wrong(tmp_path: Path) -> None:
    from bot.core.settings import ConfigError
    from bot.district import load_district

    (tmp_path / "district.toml").write_text('[district]\nname = "区"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="schools"):
        load_district(tmp_path / "district.toml")
    district, _, _ = write_district(tmp_path, "sqlite+aiosqlite:///d.db", 1, lead_s=600)
    loaded = load_district(district)
    assert [s.school.slug for s, _ in loaded.schools] == ["east", "west"]
    assert loaded.database_url() == f"sqlite+aiosqlite:///{tmp_path.resolve() / 'd.db'}"
    with pytest.raises(ConfigError, match="BOT_TOKEN_WEST"):
        loaded.tokens({"BOT_TOKEN_EAST": "1:x"})
