"""``make district-demo``: three schools of a district on this machine, on the real clock.

PostgreSQL and Redis as they run here (a database of its own, ``district_demo``, made
afresh; DISTRICT_DEMO_DB names another), the Bot API emulator as a process, one bot per
school. With the roles (``--role web|worker``): 2 web workers behind a small round-robin
proxy (nginx's part in deploy/) taking every bot's webhooks, and 2 workers (one ticks, both
send); each a `safety-bot run --district` process. Each school is onboarded the way a school
starts (the principal's code, invite links, the class group bound, today a school day); the
routines' times are a minute ahead. Then the day runs: the daily report's prompt and the
1530 prompt reach each school's own people through its own bot; the first school answers
both, the second only the report, the third nothing; the district admin sends a district
notice, which the parents of the first two schools confirm; /district today shows the worst
school first. The last lines are each school's day: prompts sent, answers, notices confirmed.

    python -m bot.district_demo [--lead 50]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from emulator.client import EmulatorClient, EmulatorError

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "district-demo-out"
DEFAULT_DB = "postgresql+asyncpg://postgres@127.0.0.1/district_demo"
REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET = "district-demo-webhook-secret"
SCHOOLS = (
    ("east", "东城实验小学", "910000001:AAdistrictDemoEast-0123456789abcdefg"),
    ("west", "西城第二小学", "910000002:AAdistrictDemoWest-0123456789abcdefg"),
    ("north", "北城中心小学", "910000003:AAdistrictDemoNorth-123456789abcdefg"),
)
LINK = re.compile(r"start=([A-Za-z0-9_-]+)")
PROMPT = "【今日安全情况报告】"
NOTICE = "区教育局通知：本周五开展防溺水专题教育，请家长督促孩子不到河边、塘边玩耍。"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def roles_exist() -> bool:
    return (ROOT / "bot" / "roles.py").exists()


@dataclass
class School:
    slug: str
    name: str
    token: str
    bot_id: int = 0
    principal: int = 0
    teacher: int = 0
    parents: list[int] = field(default_factory=list)
    group: int = 0


class Process:
    def __init__(self, name: str, args: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.out = OUT / f"{name}.log"
        with self.out.open("ab") as sink:
            self.popen = subprocess.Popen(
                args, cwd=OUT, env=env, stdout=sink, stderr=sink, stdin=subprocess.DEVNULL
            )

    def log(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace")

    async def wait_for(self, pattern: str, seconds: float = 120) -> re.Match[str]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = re.search(pattern, self.log())
            if found:
                return found
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log()[-3000:]}")
            await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.name}: no {pattern!r} in {seconds} s:\n{self.log()[-3000:]}")

    async def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 40
        while self.popen.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        if self.popen.poll() is None:
            self.popen.kill()


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot.cli", *args]


# --- the schools' files ----------------------------------------------------------------------


@dataclass
class Times:
    zero_prompt: dt.datetime
    edu_prompt: dt.datetime
    today: dt.date


def zone_for(now: dt.datetime, minutes: int) -> ZoneInfo:
    for name in ("Asia/Shanghai", "Europe/Berlin", "America/New_York"):
        local = now.astimezone(ZoneInfo(name))
        if (local + dt.timedelta(minutes=minutes)).date() == local.date():
            return ZoneInfo(name)
    raise AssertionError("unreachable")


def write_configs(database_url: str, lead_s: int, webhook_port: int) -> tuple[Path, Times]:
    now = dt.datetime.now(dt.UTC)
    zone = zone_for(now, 15)
    local = now.astimezone(zone).replace(microsecond=0)
    zero = local + dt.timedelta(seconds=lead_s)
    dismissal = zero + dt.timedelta(seconds=90)
    hms = "%H:%M:%S"
    base = (ROOT / "config.toml").read_text(encoding="utf-8")
    lines = [
        "[district]",
        'name = "示范区教育局"',
        f'database_url = "{database_url}"',
        f'webhook_url = "http://127.0.0.1:{webhook_port}"',
        "",
    ]
    for slug, name, _ in SCHOOLS:
        folder = OUT / "schools" / slug
        folder.mkdir(parents=True)
        text = base
        for old, new in {
            'slug = "lvshu"': f'slug = "{slug}"',
            'name = "吕墅小学（演示）"': f'name = "{name}"',
            'timezone = "Asia/Shanghai"': f'timezone = "{zone.key}"',
            'media_dir = "var/media"': 'media_dir = "media"',
            "prompt = 14:30:00": f"prompt = {zero.strftime(hms)}",
            "remind = 15:30:00": f"remind = {(zero + dt.timedelta(minutes=5)).strftime(hms)}",
            "escalate = 16:30:00": f"escalate = {(zero + dt.timedelta(minutes=6)).strftime(hms)}",
            "rollup = 17:30:00": f"rollup = {(zero + dt.timedelta(minutes=30)).strftime(hms)}",
            "minutes_before_dismissal = 10": "minutes_before_dismissal = 1",
        }.items():
            assert old in text, f"the shipped config.toml no longer has {old!r}"
            text = text.replace(old, new)
        text = re.sub(r"dismissal = \d\d:\d\d:\d\d", f"dismissal = {dismissal.strftime(hms)}", text)
        (folder / "config.toml").write_text(text, encoding="utf-8")
        env = f"BOT_TOKEN_{slug.upper()}"
        lines += ["[[schools]]", f'config = "schools/{slug}/config.toml"', f'token_env = "{env}"']
        lines.append("")
    times = Times(zero, dismissal - dt.timedelta(minutes=1), local.date())
    (OUT / "district.toml").write_text("\n".join(lines), encoding="utf-8")
    return OUT / "district.toml", times


def add_admin(district: Path, admin_id: int) -> None:
    text = district.read_text(encoding="utf-8")
    admin = f'[[admins]]\ntg_user_id = {admin_id}\nname = "区教育局 张科长"\n\n'
    district.write_text(text.replace("[[schools]]", admin + "[[schools]]", 1), encoding="utf-8")


async def fresh_database(url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    target = make_url(url)
    admin = create_async_engine(
        target.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    try:
        async with admin.connect() as connection:
            await connection.execute(
                text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
            )
            await connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        await admin.dispose()


# --- nginx's part: spreading webhooks over the web workers -----------------------------------


async def round_robin(port: int, backends: list[int]) -> web.AppRunner:
    turn = itertools.cycle(backends)
    client = aiohttp.ClientSession()

    async def forward(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host",)}
        for _ in backends:
            backend = next(turn)
            url = f"http://127.0.0.1:{backend}{request.path_qs}"
            try:
                async with client.request(request.method, url, data=body, headers=headers) as got:
                    return web.Response(
                        status=got.status,
                        body=await got.read(),
                        content_type=got.content_type,
                    )
            except aiohttp.ClientError:
                continue  # that worker is down: the next one
        return web.Response(status=502)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    app.on_cleanup.append(lambda _: client.close())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


# --- people ----------------------------------------------------------------------------------


async def until(condition: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.3)
    raise RuntimeError(f"{what}: not within {seconds:.0f} s")


async def sent_to(people: EmulatorClient, chat: int, school: School) -> list[dict[str, Any]]:
    try:
        return await people.bot_messages(chat, bot_id=school.bot_id)
    except EmulatorError as exc:
        if exc.status == 404:
            return []
        raise


async def say(
    people: EmulatorClient, school: School, user: int, text: str, expect: str, chat: int = 0
) -> str:
    target = chat or user
    before = len(await sent_to(people, target, school))
    await people.send_text(user, text, chat_id=chat or None, bot_id=school.bot_id)
    found: list[str] = []

    async def answered() -> bool:
        new = [str(m.get("text") or "") for m in (await sent_to(people, target, school))[before:]]
        found[:] = [a for a in new if re.search(expect, a)]
        return bool(found)

    await until(answered, 45, f"{school.slug}: an answer to {text!r}")
    return found[0]


async def press(people: EmulatorClient, school: School, user: int, chat: int, label: str) -> bool:
    for message in reversed(await sent_to(people, chat, school)):
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        for button in (b for row in rows for b in row):
            if label in button["text"]:
                await people.press_button(
                    user, chat, message["message_id"], button["callback_data"], bot_id=school.bot_id
                )
                return True
    return False


async def onboard(people: EmulatorClient, web1: Process, school: School, today: dt.date) -> None:
    code = (
        await web1.wait_for(rf"No admin yet at {school.slug}\..*/start ([A-Za-z0-9_-]+)")
    ).group(1)
    school.principal = (await people.create_user(f"{school.name}校长"))["id"]
    await say(people, school, school.principal, f"/start {code}", "欢迎")
    teacher = LINK.search(
        await say(people, school, school.principal, "/invite teacher 一(1)班", "start=")
    )
    parent = LINK.search(
        await say(people, school, school.principal, "/invite parent 一(1)班", "start=")
    )
    assert teacher and parent
    school.teacher = (await people.create_user(f"{school.slug}-王老师"))["id"]
    await say(people, school, school.teacher, f"/start {teacher.group(1)}", "欢迎")
    for n in range(2):
        user = (await people.create_user(f"{school.slug}-家长{n + 1}"))["id"]
        await say(people, school, user, f"/start {parent.group(1)}", "欢迎|孩子|姓名")
        school.parents.append(user)
    group = await people.create_group(
        f"{school.name}一(1)班家长群", member_ids=[school.teacher], creator_id=school.teacher
    )
    school.group = group["id"]
    await people.add_bot(school.group, by_user_id=school.teacher, bot_id=school.bot_id)
    await say(people, school, school.teacher, "/bind 一(1)班", "一\\(1\\)班", chat=school.group)
    await say(people, school, school.principal, f"/calendar on {today} 补课", today.isoformat())
    print(f"  {school.name}: principal, head teacher, 2 parents, class group bound", flush=True)


# --- the summary -----------------------------------------------------------------------------


async def summary(database_url: str, schools: list[School], today: dt.date) -> list[str]:
    from sqlalchemy import func, select

    from storage import db
    from storage.models import Outbox, Task
    from storage.models import School as SchoolRow
    from storage.notices import Notice, NoticeRecipient

    engine = db.make_engine(database_url)
    lines = []
    try:
        async with db.make_session_factory(engine)() as session:
            for school in schools:
                school_id = await session.scalar(
                    select(SchoolRow.id).where(SchoolRow.slug == school.slug)
                )
                # What its bot sent (prompts, reminders, alerts), not counting notices.
                prompts = await session.scalar(
                    select(func.count()).where(
                        Outbox.school_id == school_id,
                        Outbox.status == "sent",
                        Outbox.key.not_like("notice:%"),
                    )
                )
                answers = await session.scalar(
                    select(func.count()).where(
                        Task.school_id == school_id,
                        Task.day == today,
                        Task.status.in_(("done", "late")),
                    )
                )
                notices = select(Notice.id).where(Notice.school_id == school_id)
                confirmed, total = (
                    await session.execute(
                        select(func.count(NoticeRecipient.confirmed_at), func.count()).where(
                            NoticeRecipient.notice_id.in_(notices)
                        )
                    )
                ).one()
                lines.append(
                    f"{school.name} ({school.slug}): prompts sent {prompts}, answers {answers}, "
                    f"notices confirmed {confirmed}/{total}"
                )
    finally:
        await engine.dispose()
    return lines


# --- the day ---------------------------------------------------------------------------------


async def run(lead_s: int) -> int:
    database_url = os.environ.get("DISTRICT_DEMO_DB", DEFAULT_DB)
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir()
    await fresh_database(database_url)
    with_roles = roles_exist()
    proxy_port = free_port()
    district, times = write_configs(database_url, lead_s, proxy_port)
    schools = [School(slug, name, token) for slug, name, token in SCHOOLS]
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_URL")}
    env |= {f"BOT_TOKEN_{s.slug.upper()}": s.token for s in schools}
    env["WEBHOOK_SECRET"] = SECRET
    if with_roles:
        env["REDIS_URL"] = os.environ.get("DISTRICT_DEMO_REDIS", REDIS_URL)
    emulator = Process("emulator", cli("emulator", "--port", str(free_port())), env)
    processes: list[Process] = []
    proxy: web.AppRunner | None = None
    try:
        url = (await emulator.wait_for(r"--api-base (\S+)", 30)).group(1)
        async with EmulatorClient(url) as people:
            for school in schools:
                # Privacy mode off, as a school sets it with @BotFather (/setprivacy).
                bot = await people.create_bot(
                    school.token,
                    username=f"{school.slug}_safety_bot",
                    can_read_all_group_messages=True,
                )
                school.bot_id = bot["id"]
            admin = (await people.create_user("张科长"))["id"]
            add_admin(district, admin)
            # The schema once, before the processes start (deploy/: the "migrate" service).
            subprocess.run(  # noqa: ASYNC221 - nothing else runs meanwhile
                cli("db", "upgrade", "--config", str(OUT / "schools" / "east" / "config.toml")),
                env={**env, "DATABASE_URL": database_url},
                cwd=OUT,
                check=True,
                capture_output=True,
            )
            run_args = ["run", "--district", str(district), "--api-base", url]
            if with_roles:
                webs = [free_port(), free_port()]
                proxy = await round_robin(proxy_port, webs)
                for n, port in enumerate(webs, 1):
                    processes.append(
                        Process(
                            f"web-{n}",
                            cli(
                                *run_args, "--webhook", "--role", "web", "--webhook-port", str(port)
                            ),
                            env,
                        )
                    )
                for n in (1, 2):
                    processes.append(
                        Process(f"worker-{n}", cli(*run_args, "--role", "worker"), env)
                    )
                print(
                    "district: 3 schools; 2 web workers (webhooks, round-robin) and 2 workers "
                    "(one ticks, both send); PostgreSQL and Redis",
                    flush=True,
                )
            else:
                processes.append(Process("district", cli(*run_args), env))
                print(
                    "district: 3 schools in one process (this checkout has no --role yet: "
                    "no separate web and worker processes)",
                    flush=True,
                )
            for process in processes:
                await process.wait_for(r"schools in one process", 120)
            for school in schools:
                await onboard(people, processes[0], school, times.today)
            wait = (times.zero_prompt - dt.datetime.now(times.zero_prompt.tzinfo)).total_seconds()
            print(f"waiting {max(wait, 0):.0f} s for the daily report's prompt …", flush=True)

            for school in schools:

                async def prompted(school: School = school) -> bool:
                    sent = await sent_to(people, school.teacher, school)
                    return any(PROMPT in str(m.get("text")) for m in sent)

                await until(prompted, max(wait, 0) + 75, f"{school.slug}'s daily report prompt")
            for school in schools[:2]:  # the third school does not answer
                await press(people, school, school.teacher, school.teacher, "零报告")
            print("daily report: prompted at each school; two answered", flush=True)
            for school in schools:

                async def taught(school: School = school) -> bool:
                    sent = await sent_to(people, school.group, school)
                    return any("1530安全教育" in str(m.get("text")) for m in sent)

                left = (times.edu_prompt - dt.datetime.now(times.edu_prompt.tzinfo)).total_seconds()
                await until(taught, max(left, 0) + 75, f"{school.slug}'s 1530 prompt")
            # The first school confirms its 1530 lesson.
            await press(people, schools[0], schools[0].teacher, schools[0].group, "")
            print("1530: prompted in each class group", flush=True)
            await say(people, schools[0], admin, f"/district notice {NOTICE}", "区级通知已交给")
            for school in schools:
                for parent in school.parents:

                    async def noticed(parent: int = parent, school: School = school) -> bool:
                        sent = await sent_to(people, parent, school)
                        return any("防溺水" in str(m.get("text")) for m in sent)

                    await until(noticed, 60, f"{school.slug}'s parent gets the district notice")
            for school in schools[:2]:
                for parent in school.parents:
                    await press(people, school, parent, parent, "已阅知晓")
            await asyncio.sleep(3)
            overview = await say(people, schools[1], admin, "/district today", "各校完成情况")
            print("\n/district today (the district admin, in any school's bot):")
            print(overview)
    finally:
        for process in processes:
            await process.stop()
        if proxy is not None:
            await proxy.cleanup()
        await emulator.stop()
    print("\nEach school's day:")
    for line in await summary(database_url, schools, times.today):
        print("  " + line)
    print(f"(logs in {OUT})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.district_demo")
    parser.add_argument("--lead", type=int, default=180, help="seconds to the first prompt")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(run(args.lead))
    return 130


if __name__ == "__main__":
    sys.exit(main())
