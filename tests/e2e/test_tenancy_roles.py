"""Several schools and several workers on one PostgreSQL database, as real processes.

Two schools, each with its own config.toml and its own bot in the emulator, each served by
its own `safety-bot run` process on ONE database: each school's notice reaches every parent
of that school once, through that school's bot; no parent is marked unreachable; a parent
with a child in each school gets each school's notice from each school's bot; and every
outbox row of a school was claimed by that school's process only. (Before, bot B claimed
school A's rows, got 403s from A's parents, and marked them unreachable for good.)

Two `--role worker` processes for one school: a notice to 300 parents; the second worker
starts mid-broadcast (it must not take back the rows the first holds), then the first is
killed -9: every parent gets the notice, none twice beyond the one send the dead process may
have had in flight; exactly one worker ticks at a time, and the standby takes over within
a minute of the kill.

The parents and the notices are seeded straight into the database (as in
test_notice_crash.py); the emulator runs in this process with Telegram's flood limits on.
PostgreSQL only: skipped without SAFETY_BOT_TEST_PG_URL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import signal
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.broadcast import queue_notice
from bot.app import App, close_app, open_app
from bot.core.settings import load_settings
from emulator.server import EmulatorServer
from emulator.world import World
from scheduler.sender import IN_FLIGHT
from storage import people
from storage.db import make_engine
from storage.models import Chat, Outbox, Person, Role
from tests.conftest import PG_URL, SPEC_PATH, _drop_pg_database, _pg_database
from tests.e2e.configs import start_bot, write_config

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not PG_URL, reason="SAFETY_BOT_TEST_PG_URL is not set: PostgreSQL only"),
]

TOKEN_A = "777011:TENANCY-school-a-token-abcdefghijklmn"
TOKEN_B = "777012:TENANCY-school-b-token-abcdefghijklmn"
NOTICE_A = "吕墅小学：寒假安全告家长书\n请督促孩子注意交通安全。"
NOTICE_B = "荷塘小学：寒假安全告家长书\n请督促孩子注意用电安全。"
CODE = re.compile(r"/start ([A-Za-z0-9_-]+)")


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    url, name = await _pg_database()
    try:
        yield url
    finally:
        await _drop_pg_database(name)


def school_config(
    folder: Path, database_url: str, slug: str = "", name: str = "", rate: float = 0.0
) -> Path:
    """The shipped config on this database; another school's slug and name; ``rate``: the
    sender's messages a second (a slower broadcast outlasts the processes' start-up)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = write_config(folder, database_url)
    text = path.read_text(encoding="utf-8")
    if slug:
        text = text.replace('slug = "lvshu"', f'slug = "{slug}"', 1)
        text = text.replace('name = "吕墅小学（演示）"', f'name = "{name}"', 1)
    if rate:
        text = text.replace("messages_per_second = 29.5", f"messages_per_second = {rate}", 1)
    path.write_text(text, encoding="utf-8")
    return path


def started_bot(world: World, user_id: int, bot_id: int) -> None:
    """The user has pressed Start in the bot (the update is dropped: nobody answers it)."""
    world.user_send_text(user_id, "/start", bot_id=bot_id)
    world.bot(bot_id).updates.clear()


async def seed(app: App, users: list[int], admin: int) -> int:
    """The admin and the users as parents of the school's classes, each with a private chat
    with the school's bot; returns the admin's person id."""
    now = app.now()
    async with app.sessions.begin() as session:
        classes = await people.units(session, app.school_id, "class")
        persons = [
            Person(
                school_id=app.school_id,
                display_name=f"家长{n}",
                tg_user_id=tg,
                unreachable=False,
                created_at=now,
                roles=[
                    Role(role="admin", unit_id=None, created_at=now)
                    if tg == admin
                    else Role(role="parent", unit_id=classes[n % len(classes)].id, created_at=now)
                ],
            )
            for n, tg in enumerate([admin, *users])
        ]
        session.add_all(persons)
        await session.flush()
        session.add_all(
            Chat(
                school_id=app.school_id,
                tg_chat_id=p.tg_user_id,
                kind="private",
                title="",
                person_id=p.id,
                unreachable=False,
                created_at=now,
            )
            for p in persons
        )
        return persons[0].id


def copies(world: World, bot_id: int, chat_id: int, marker: str) -> int:
    chat = world.private_chat(bot_id, chat_id)
    if chat is None:
        return 0
    return sum(marker in (m.data.get("text") or "") for m in chat.messages_of_bot(bot_id))


def any_from(world: World, bot_id: int, chat_id: int) -> int:
    chat = world.private_chat(bot_id, chat_id)
    return 0 if chat is None else len(chat.messages_of_bot(bot_id))


async def wait_until(check: Callable[[], bool], timeout_s: float, what: str) -> float:
    """Waits (the emulator serves the bot processes meanwhile); returns the seconds taken."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout_s:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - start


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


def log_of(config: Path, run: int) -> str:
    return (config.parent / f"bot-{run}.log").read_text(encoding="utf-8", errors="replace")


async def settled(database_url: str, timeout_s: float) -> None:
    """Waits until no notice row is waiting or claimed."""
    engine = make_engine(database_url)
    query = select(func.count()).where(
        Outbox.key.like("notice:%"), Outbox.status.in_(("pending", "sending"))
    )
    try:
        start = time.monotonic()
        while True:
            async with engine.connect() as connection:
                if not await connection.scalar(query):
                    return
            if time.monotonic() - start > timeout_s:
                raise AssertionError(f"notice rows still unsettled after {timeout_s:.0f} s")
            await asyncio.sleep(0.5)
    finally:
        await engine.dispose()


def claimer_pid(claimed_by: str | None) -> int:
    assert claimed_by, "a sent row names the process that held its lease"
    return int(claimed_by.rsplit(":", 2)[1])


async def test_two_schools_on_one_database_each_reach_only_their_own_parents(
    pg_url: str, tmp_path: Path
) -> None:
    per_school = 120
    config_a = school_config(tmp_path / "a", pg_url)
    config_b = school_config(tmp_path / "b", pg_url, "hetang", "荷塘小学")
    async with EmulatorServer(spec_path=SPEC_PATH, token=TOKEN_A, flood=True) as emu:
        world = emu.world
        bot_a, bot_b = world.bot().id, world.create_bot(TOKEN_B).id
        admin_a, admin_b = (world.create_user(first_name=n).id for n in ("校长甲", "校长乙"))
        only_a = [world.create_user(first_name=f"甲{n}").id for n in range(per_school - 1)]
        only_b = [world.create_user(first_name=f"乙{n}").id for n in range(per_school - 1)]
        both = world.create_user(first_name="两校家长").id  # a child in each school
        for user in [admin_a, *only_a, both]:
            started_bot(world, user, bot_a)
        for user in [admin_b, *only_b, both]:
            started_bot(world, user, bot_b)
        parents_a, parents_b = [*only_a, both], [*only_b, both]

        deadline = dt.timedelta(days=3)
        schools = {}
        for config, users, admin, text in (
            (config_a, parents_a, admin_a, NOTICE_A),
            (config_b, parents_b, admin_b, NOTICE_B),
        ):
            app = await open_app(load_settings(config))
            try:
                author = await seed(app, users, admin)
                _, queued = await queue_notice(app, author, app.now() + deadline, text=text)
                assert queued.reachable == per_school
                schools[config] = app.school_id
            finally:
                await close_app(app)
        assert schools[config_a] != schools[config_b]

        mark_a, mark_b = NOTICE_A.splitlines()[0], NOTICE_B.splitlines()[0]
        a = await start_bot(config_a, emu.url, 1, TOKEN_A)
        b = await start_bot(config_b, emu.url, 1, TOKEN_B)
        try:
            await wait_until(
                lambda: (
                    all(copies(world, bot_a, c, mark_a) for c in parents_a)
                    and all(copies(world, bot_b, c, mark_b) for c in parents_b)
                ),
                90,
                "both notices at every parent",
            )
        finally:
            await stop(a)
            await stop(b)
        rate_limited = world.stats.responses.get(429, 0)
        from_a = [copies(world, bot_a, c, mark_a) for c in parents_a]
        from_b = [copies(world, bot_b, c, mark_b) for c in parents_b]
        b_to_a_only = sum(any_from(world, bot_b, c) for c in only_a)
        a_to_b_only = sum(any_from(world, bot_a, c) for c in only_b)
        wrong_text = sum(
            copies(world, bot_a, c, mark_b) + copies(world, bot_b, c, mark_a)
            for c in [*only_a, *only_b, both]
        )

    assert from_a == [1] * per_school and from_b == [1] * per_school
    assert b_to_a_only == 0 and a_to_b_only == 0 and wrong_text == 0
    assert rate_limited == 0
    app = await open_app(load_settings(config_a))
    try:
        async with app.sessions() as session:
            unreachable = await session.scalar(
                select(func.count()).select_from(Person).where(Person.unreachable.is_(True))
            )
            blocked_chats = await session.scalar(
                select(func.count()).select_from(Chat).where(Chat.unreachable.is_(True))
            )
            rows = (
                await session.execute(
                    select(Outbox.school_id, Outbox.status, Outbox.claimed_by).where(
                        Outbox.key.like("notice:%")
                    )
                )
            ).all()
    finally:
        await close_app(app)
    assert unreachable == 0 and blocked_chats == 0
    pids = {schools[config_a]: a.pid, schools[config_b]: b.pid}
    assert len(rows) == 2 * per_school
    for school_id, status, claimed_by in rows:
        assert status == "sent"
        assert claimer_pid(claimed_by) == pids[school_id]  # no row touched by the other


async def test_two_workers_one_killed_one_started_mid_broadcast_send_each_notice_once(
    pg_url: str, tmp_path: Path
) -> None:
    parents = 400
    # 8 a second each: the broadcast lasts while the second worker starts (10-20 s on a
    # busy machine), and the two together stay under Telegram's 30 (no Redis budget here).
    config = school_config(tmp_path, pg_url, rate=8)
    token = "777013:TENANCY-workers-token-abcdefghijklmno"
    worker = ("--role", "worker", "--tick-seconds", "2")
    async with EmulatorServer(spec_path=SPEC_PATH, token=token, flood=True) as emu:
        world = emu.world
        bot_id = world.bot().id
        admin = world.create_user(first_name="校长").id
        chats = [world.create_user(first_name=f"家长{n}").id for n in range(parents)]
        for user in [admin, *chats]:
            started_bot(world, user, bot_id)
        app = await open_app(load_settings(config))
        try:
            author = await seed(app, chats, admin)
            _, queued = await queue_notice(app, author, app.now() + dt.timedelta(days=3))
        finally:
            await close_app(app)
        assert queued.reachable == parents
        marker = "致家长的一封信"

        def delivered() -> int:
            return sum(copies(world, bot_id, c, marker) > 0 for c in chats)

        first = await start_bot(config, emu.url, 1, token, *worker)
        second = None
        try:
            await wait_until(lambda: delivered() >= 20, 60, "the first worker's first sends")
            second = await start_bot(config, emu.url, 2, token, *worker)
            await wait_until(
                lambda: "standby: another process ticks" in log_of(config, 2),
                60,
                "the second worker standing by",
            )
            at_second = delivered()
            await wait_until(lambda: delivered() >= at_second + 20, 60, "both workers sending")
            first.send_signal(signal.SIGKILL)
            await first.wait()
            at_kill = delivered()
            took_over_s = await wait_until(
                lambda: "this process ticks" in log_of(config, 2), 60, "the standby to take over"
            )
            # What the dead worker had claimed comes back when its leases run out (60 s):
            # every row settled, the one it may have had in flight included.
            await settled(pg_url, 150)
        finally:
            first.kill() if first.returncode is None else None
            await first.wait()
            if second is not None:
                await stop(second)
        counts = [copies(world, bot_id, c, marker) for c in chats]
        rate_limited = world.stats.responses.get(429, 0)

    first_log, second_log = log_of(config, 1), log_of(config, 2)
    # Extra copies only: a parent without one is the held-uncertain case, checked below.
    duplicates = sum(max(n - 1, 0) for n in counts)
    print(
        f"\nworkers: delivered at the second's start {at_second}, at the kill {at_kill}, "
        f"duplicates {duplicates}, lost {counts.count(0)}, 429s {rate_limited}, "
        f"standby took over {took_over_s:.1f} s after the kill"
    )
    assert at_second >= 20 and at_kill < parents
    # None from the second worker's start, none from the kill: a row the killed worker had
    # in flight is held as uncertain (counted for the admins), never sent twice to a parent.
    assert duplicates == 0, f"{duplicates} duplicates"
    # Exactly one ticked: the first, until it died; then the standby.
    assert "this process ticks" in first_log and "standby" not in first_log
    assert second_log.index("standby") < second_log.index("this process ticks")
    assert took_over_s < 60
    app = await open_app(load_settings(config))
    try:
        async with app.sessions() as session:
            statuses = dict(
                (
                    await session.execute(
                        select(Outbox.status, func.count())
                        .where(Outbox.key.like("notice:%"))
                        .group_by(Outbox.status)
                    )
                ).all()
            )
    finally:
        await close_app(app)
    uncertain = statuses.pop("uncertain", 0)
    assert statuses == {"sent": parents - uncertain} and uncertain <= IN_FLIGHT
    assert counts.count(0) <= uncertain  # nobody lost without it being counted


async def test_a_web_process_answers_and_a_worker_sends_what_it_queued(
    pg_url: str, tmp_path: Path
) -> None:
    """`--role web` takes the principal's /start CODE and answers it; the privacy-mode
    warning it queues for the new admin goes out through the outbox from `--role worker`,
    the only process that ticks."""
    config = school_config(tmp_path, pg_url)
    token = "777014:TENANCY-web-worker-token-abcdefghijk"
    warning = "群隐私模式已开启"
    async with EmulatorServer(spec_path=SPEC_PATH, token=token, flood=True) as emu:
        world = emu.world
        bot_id = world.bot().id
        web = await start_bot(config, emu.url, 1, token, "--role", "web")
        worker = await start_bot(config, emu.url, 2, token, "--role", "worker")
        try:
            await wait_until(lambda: CODE.search(log_of(config, 1)) is not None, 90, "the code")
            await wait_until(lambda: "this process ticks" in log_of(config, 2), 90, "the tick")
            found = CODE.search(log_of(config, 1))
            assert found is not None
            principal = world.create_user(first_name="校长").id
            world.user_send_text(principal, f"/start {found.group(1)}", bot_id=bot_id)
            await wait_until(
                lambda: copies(world, bot_id, principal, warning) > 0, 60, "the queued warning"
            )
            answered = any_from(world, bot_id, principal)
        finally:
            await stop(web)
            await stop(worker)
    web_log, worker_log = log_of(config, 1), log_of(config, 2)
    assert answered >= 2  # the welcome (by the web process) and the warning (by the worker)
    assert "running as --role web" in web_log and "ticks" not in web_log
    assert "running as --role worker" in worker_log
    assert web.returncode == 0 and worker.returncode == 0
