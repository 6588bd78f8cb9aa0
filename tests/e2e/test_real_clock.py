"""A school day on the real clock: `safety-bot emulator` and `safety-bot run` as real processes.

Nothing here moves a clock or calls a tick by hand. The config puts today's routine times a
minute or two ahead (in the school's zone); the principal bootstraps with the code the bot
prints, invites a head teacher and a duty leader, the head teacher binds the class group, the
principal makes today a school day with /calendar — then the test only waits, as a school
does, and reads what arrived in the emulator and when. In the middle the bot is killed
(SIGKILL, a real crash) across a push time and started again by webhook: every prompt
still arrives exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from emulator.client import EmulatorClient
from tests.conftest import PG_URL, ROOT, _drop_pg_database, _pg_database

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

SECRET = "real-clock-webhook-secret_1"
RUN_LINE = re.compile(r"BOT_TOKEN='([^']+)' safety-bot run --api-base (\S+)")
CODE = re.compile(r"/start ([A-Za-z0-9_-]+)")
LINK = re.compile(r"start=([A-Za-z0-9_-]+)")
PROMPT = "【今日安全情况报告】"
ON_TIME_S = 60  # each message within a minute of its configured time (the tick is 30 s)


def _cli() -> list[str]:
    """The console script a school runs; `python -m bot.cli` where it is not installed."""
    script = Path(sys.executable).with_name("safety-bot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _school_zone(now: dt.datetime) -> str:
    """Asia/Shanghai, unless today's routines would run past its midnight: then a zone where
    the next ten minutes are all one day (the test is about the wiring, not the zone)."""
    for name in ("Asia/Shanghai", "Europe/Berlin", "America/New_York"):
        local = now.astimezone(ZoneInfo(name))
        if (local + dt.timedelta(minutes=10)).date() == local.date():
            return name
    raise AssertionError("unreachable: the zones are six hours apart")


@dataclass
class Times:
    """Today's routine times, as epoch seconds (what the emulator stamps on messages)."""

    zero_prompt: float
    zero_remind: float
    zero_escalate: float
    edu_prompt: float
    edu_remind: float


def _hms(moment: dt.datetime) -> str:
    return moment.strftime("%H:%M:%S")


def write_school_config(
    tmp_path: Path,
    webhook_port: int,
    database_url: str = "",
    lead_s: int = 40,
) -> tuple[Path, Times, dt.date]:
    """The shipped config.toml with today's times moved a minute or two ahead; the daily
    report's prompt comes first, ``lead_s`` from now (time enough to start and to onboard)."""
    now = dt.datetime.now(dt.UTC)
    zone = ZoneInfo(_school_zone(now))
    local = now.astimezone(zone).replace(microsecond=0)
    zero = local + dt.timedelta(seconds=lead_s)
    database_url = database_url or f"sqlite+aiosqlite:///{tmp_path / 'school.db'}"
    dismissal = zero + dt.timedelta(seconds=120)
    times = Times(
        zero_prompt=zero.timestamp(),
        zero_remind=zero.timestamp() + 30,
        zero_escalate=zero.timestamp() + 90,
        edu_prompt=dismissal.timestamp() - 60,  # one minute before dismissal
        edu_remind=dismissal.timestamp(),  # the first deadline is dismissal itself
    )
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    replacements = {
        'timezone = "Asia/Shanghai"': f'timezone = "{zone.key}"',
        'database_url = "sqlite+aiosqlite:///var/safety-bot.db"': (
            f'database_url = "{database_url}"'
        ),
        'media_dir = "var/media"': f'media_dir = "{tmp_path / "media"}"',
        'webhook_url = ""': f'webhook_url = "http://127.0.0.1:{webhook_port}"',
        "webhook_port = 8080": f"webhook_port = {webhook_port}",
        "prompt = 14:30:00": f"prompt = {_hms(zero)}",
        "remind = 15:30:00": f"remind = {_hms(zero + dt.timedelta(seconds=30))}",
        "escalate = 16:30:00": f"escalate = {_hms(zero + dt.timedelta(seconds=90))}",
        "rollup = 17:30:00": f"rollup = {_hms(zero + dt.timedelta(seconds=600))}",
        "minutes_before_dismissal = 10": "minutes_before_dismissal = 1",
        "deadline_minutes_after_dismissal = 30": "deadline_minutes_after_dismissal = 0",
        "second_deadline_minutes_after_dismissal = 60": (
            "second_deadline_minutes_after_dismissal = 1"
        ),
    }
    for old, new in replacements.items():
        assert old in text, f"the shipped config.toml no longer has {old!r}"
        text = text.replace(old, new)
    text = re.sub(r"dismissal = \d\d:\d\d:\d\d", f"dismissal = {_hms(dismissal)}", text)
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path, times, local.date()


class Process:
    """A CLI process whose output goes to files, read while it runs (a pipe could fill up)."""

    def __init__(self, name: str, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.out = cwd / f"{name}.out"
        self.err = cwd / f"{name}.err"
        with self.out.open("ab") as out, self.err.open("ab") as err:
            self.popen = subprocess.Popen(
                args, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL
            )

    def output(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace")

    def logs(self) -> str:
        return self.err.read_text(encoding="utf-8", errors="replace")

    async def wait_for_output(self, pattern: re.Pattern[str], seconds: float) -> re.Match[str]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = pattern.search(self.output())
            if found:
                return found
            if self.popen.poll() is not None:
                raise AssertionError(f"exited early:\n{self.output()}\n{self.logs()[-3000:]}")
            await asyncio.sleep(0.1)
        raise AssertionError(f"no {pattern.pattern!r} within {seconds} s:\n{self.logs()[-3000:]}")

    def kill(self) -> None:
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(10)

    async def stop(self, seconds: float = 30) -> int:
        self.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + seconds
        while self.popen.poll() is None:
            if time.monotonic() > deadline:
                self.popen.kill()
                raise AssertionError("did not stop within 30 s of SIGTERM")
            await asyncio.sleep(0.1)
        return self.popen.returncode


@contextlib.asynccontextmanager
async def emulator(tmp_path: Path) -> AsyncIterator[tuple[Process, str, str]]:
    """`safety-bot emulator` on a free port; its printed line tells the token and the URL."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "SAFETY_BOT_EMULATOR_TOKEN")
    }
    process = Process("emulator", [*_cli(), "emulator", "--port", str(_free_port())], tmp_path, env)
    try:
        found = await process.wait_for_output(RUN_LINE, 30)
        yield process, found.group(1), found.group(2)
    finally:
        if process.popen.poll() is None:
            await process.stop()


def start_bot(tmp_path: Path, config: Path, token: str, url: str, *extra: str) -> Process:
    env = {**os.environ, "BOT_TOKEN": token, "WEBHOOK_SECRET": SECRET}
    env.pop("DATABASE_URL", None)
    return Process(
        "bot", [*_cli(), "run", "--config", str(config), "--api-base", url, *extra], tmp_path, env
    )


async def wait_until(condition: Callable[[], object], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await condition():  # type: ignore[misc]
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what}: not within {seconds:.0f} s")


async def messages_with(people: EmulatorClient, chat_id: int, needle: str) -> list[dict]:  # type: ignore[type-arg]
    return [m for m in await people.bot_messages(chat_id) if needle in (m.get("text") or "")]


async def say(
    people: EmulatorClient, user_id: int, text: str, expect: str, chat_id: int | None = None
) -> str:
    """Send as a person; wait for the bot's answer in that chat that matches ``expect``."""
    target = chat_id or user_id
    before = await people.bot_message_count(target)
    await people.send_text(user_id, text, chat_id=chat_id)
    answers: list[str] = []

    async def answered() -> bool:
        answers[:] = [
            str(m.get("text") or "") for m in (await people.bot_messages(target))[before:]
        ]
        return any(re.search(expect, a) for a in answers)

    await wait_until(answered, 30, f"an answer to {text!r} matching {expect!r}, got {answers}")
    return next(a for a in answers if re.search(expect, a))


async def wait_for_one(
    people: EmulatorClient, chat_id: int, needle: str, at: float, what: str
) -> dict:  # type: ignore[type-arg]
    """The message arrives within ON_TIME_S of its configured time, not before it."""

    async def arrived() -> bool:
        return bool(await messages_with(people, chat_id, needle))

    await wait_until(arrived, max(at + ON_TIME_S + 5 - time.time(), 1), what)
    first = (await messages_with(people, chat_id, needle))[0]
    assert at - 1 <= first["date"] <= at + ON_TIME_S, (
        f"{what} arrived {first['date'] - at:+.0f} s from its time"
    )
    return first


@dataclass
class School:
    principal: int
    teacher: int  # head teacher of 一(1)班
    leader: int  # a duty leader (值班领导)
    group: int  # 一(1)班's class group, bound


async def onboard(people: EmulatorClient, bot: Process, today: dt.date) -> School:
    """As a school starts: the principal with the printed code, a head teacher and a duty
    leader by invite links, the class group bound, today made a school day with /calendar."""
    code = (await bot.wait_for_output(CODE, 60)).group(1)
    principal = (await people.create_user("校长"))["id"]
    await say(people, principal, f"/start {code}", "欢迎")
    teacher_link = LINK.search(
        await say(people, principal, "/invite teacher 一(1)班", LINK.pattern)
    )
    leader_link = LINK.search(await say(people, principal, "/invite leader", LINK.pattern))
    assert teacher_link and leader_link
    teacher = (await people.create_user("王老师"))["id"]
    leader = (await people.create_user("李主任"))["id"]
    await say(people, teacher, f"/start {teacher_link.group(1)}", "欢迎")
    await say(people, leader, f"/start {leader_link.group(1)}", "欢迎")
    group = (await people.create_group("一(1)班家长群", member_ids=[teacher], creator_id=teacher))[
        "id"
    ]
    await people.add_bot(group, by_user_id=teacher)
    await say(people, teacher, "/bind 一(1)班", "一\\(1\\)班", chat_id=group)
    await say(people, principal, f"/calendar on {today.isoformat()} 补课", today.isoformat())
    return School(principal, teacher, leader, group)


async def test_a_school_day_runs_on_the_real_clock_across_a_crash(tmp_path: Path) -> None:
    config, times, today = write_school_config(tmp_path, _free_port())
    async with emulator(tmp_path) as (_, token, url), EmulatorClient(url) as people:
        # The bot as a school runs it: polling, the default 30-second tick.
        bot = start_bot(tmp_path, config, token, url)
        try:
            school = await onboard(people, bot, today)
            teacher, leader, group = school.teacher, school.leader, school.group
            assert time.time() < times.zero_prompt, "onboarding took longer than planned"

            # Only waiting from here on.
            await wait_for_one(people, teacher, PROMPT, times.zero_prompt, "zero prompt")
            await asyncio.sleep(1)  # the sender marks it sent
            bot.kill()  # a real crash, before the 1530 prompt's time

            await asyncio.sleep(max(times.edu_prompt + 3 - time.time(), 0))
            restarted_at = time.time()
            bot = start_bot(tmp_path, config, token, url, "--webhook")  # restarted by webhook
            prompt = await wait_for_one(
                people, group, "1530安全教育", times.edu_prompt, "1530 prompt"
            )
            # Sent by the start-up catch-up, not 30 s later by the first scheduled tick.
            assert prompt["date"] <= restarted_at + 15
            await wait_for_one(
                people, teacher, "今日安全情况报告还未提交", times.zero_remind, "zero reminder"
            )
            await wait_for_one(people, leader, "日报告", times.zero_escalate, "duty leader's alert")
            await wait_for_one(people, group, "⏰ 提醒", times.edu_remind, "1530 reminder")
            await asyncio.sleep(2)  # anything sent twice would be sent by now

            # Exactly once each: a prompt sent twice has the same text twice. (On the first
            # school day of a week the class gets the weekly theme meeting too: two prompts.)
            for chat, needle in (
                (teacher, PROMPT),
                (teacher, "还未提交"),
                (leader, "日报告"),
                (group, "1530安全教育"),
                (group, "⏰ 提醒"),
            ):
                sent = [m["text"] for m in await messages_with(people, chat, needle)]
                assert sent and len(sent) == len(set(sent)), f"{needle!r} sent twice: {sent}"
            assert len(await messages_with(people, teacher, PROMPT)) == 1
            # The emulator's bot keeps group privacy on: the principal was told when joining.
            assert await messages_with(people, school.principal, "/setprivacy")
            alert = (await messages_with(people, leader, "日报告"))[0]["text"]
            assert "一(1)班" in alert and "王老师" in alert  # the silent unit, named to the leader
            returncode = await bot.stop()
        finally:
            if bot.popen.poll() is None:
                bot.kill()
    logs = bot.logs()
    assert returncode == 0 and "stopped cleanly" in logs
    assert "queued education" in logs and "queued zero_report" in logs  # alive on schedule
    assert token not in logs and token.split(":")[1] not in logs


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="SAFETY_BOT_TEST_PG_URL is not set (make test PG=0)")
async def test_on_postgresql_the_daily_report_prompt_arrives_on_the_real_clock(
    tmp_path: Path,
) -> None:
    """A district's database: the same process, ticking on PostgreSQL (asyncpg)."""
    url, name = await _pg_database()
    try:
        config, times, today = write_school_config(tmp_path, _free_port(), url, lead_s=25)
        async with emulator(tmp_path) as (_, token, api), EmulatorClient(api) as people:
            bot = start_bot(tmp_path, config, token, api)
            try:
                school = await onboard(people, bot, today)
                assert time.time() < times.zero_prompt, "onboarding took longer than planned"
                await wait_for_one(people, school.teacher, PROMPT, times.zero_prompt, "prompt")
                returncode = await bot.stop()
            finally:
                if bot.popen.poll() is None:
                    bot.kill()
        assert returncode == 0 and "stopped cleanly" in bot.logs()
    finally:
        await _drop_pg_database(name)
