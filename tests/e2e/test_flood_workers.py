"""Several processes serving one bot share its flood budget and its conversations in Redis.

Telegram counts 30 messages a second, one a second per chat and 20 a minute per group per
bot token, whichever process sends. Two sender workers (real processes,
tests/e2e/flood_sender.py, on one PostgreSQL database) deliver a notice to 300 parents through
the emulator with Telegram's limits on: sharing Redis, not one 429 and every parent once;
each counting alone, the emulator refuses dozens (the problem is real).

Two web workers behind a round-robin balancer (as nginx in front of a district's workers)
carry one /notice conversation: each step reaches the other worker, and each continues it.

Redis is SAFETY_BOT_TEST_REDIS_URL (``make test`` sets it); each test keeps its keys under
a prefix of its own and deletes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bench.broadcast import TEXT, queue_notice, seed_parents
from bot.app import App, close_app, make_bot, open_app
from bot.core.clock import FakeClock
from bot.core.settings import Settings
from bot.dispatching import make_dispatcher
from bot.runner import start_webhook
from bot.simulation import TOKEN as SCHOOL_TOKEN
from bot.simulation import WEBHOOK_SECRET
from emulator.server import EmulatorServer
from tests.conftest import ROOT, SPEC_PATH, settings_for
from tests.e2e.configs import write_config
from tests.e2e.harness import running_school, texts

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REDIS_URL = os.environ.get("SAFETY_BOT_TEST_REDIS_URL", "")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="SAFETY_BOT_TEST_REDIS_URL not set")

TOKEN = "777003:FLOOD-workers-token-abcdefghijklmnopq"
PARENTS = 300
MARKER = TEXT.splitlines()[0]


def notices_per_chat(emu: EmulatorServer, chats: list[int]) -> list[int]:
    bot_id = emu.world.bot().id
    return [
        sum(MARKER in (m.data.get("text") or "") for m in emu.world.chat(c).messages_of_bot(bot_id))
        for c in chats
    ]


async def start_sender_worker(
    config: Path, api_base: str, run: int, redis_url: str
) -> asyncio.subprocess.Process:
    logs = config.parent / f"sender-{run}.log"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "FSM_REDIS_URL")}
    env["BOT_TOKEN"] = TOKEN
    if redis_url:
        env["REDIS_URL"] = redis_url
    with logs.open("wb") as sink:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.e2e.flood_sender",
            str(config),
            api_base,
            "--max-seconds",
            "150",
            stdout=sink,
            stderr=sink,
            env=env,
            cwd=ROOT,
        )


async def broadcast_with_two_sender_workers(
    shipped_settings: Settings, database_url: str, tmp_path: Path, redis_url: str, prefix: str
) -> tuple[list[int], int, list[int]]:
    """(notices per parent, 429s, messages each worker sent)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("sender workers in several processes share PostgreSQL, not an SQLite file")
    settings = settings_for(shipped_settings, database_url, tmp_path)
    config = write_config(tmp_path, database_url)
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            'prefix = "safety-bot"', f'prefix = "{prefix}"', 1
        ),
        encoding="utf-8",
    )
    async with EmulatorServer(spec_path=SPEC_PATH, token=TOKEN, flood=True) as emu:
        app = await open_app(settings)
        try:
            seeded = await seed_parents(app, emu.world, PARENTS)
            _, queued = await queue_notice(
                app, seeded.admin_person_id, app.now() + dt.timedelta(days=3)
            )
        finally:
            await close_app(app)
        assert queued.reachable == PARENTS
        workers = [await start_sender_worker(config, emu.url, n, redis_url) for n in (1, 2)]
        try:
            await asyncio.wait_for(asyncio.gather(*(w.wait() for w in workers)), 180)
        finally:
            for worker in workers:
                if worker.returncode is None:
                    worker.kill()
                    await worker.wait()
        logs = [(tmp_path / f"sender-{n}.log").read_text(encoding="utf-8") for n in (1, 2)]
        assert [w.returncode for w in workers] == [0, 0], logs
        sent = [int(re.findall(r"^sent (\d+)$", log, re.M)[-1]) for log in logs]
        times = sorted(emu.world.stats.send_times)
        rate_limited = emu.world.stats.responses.get(429, 0)
        print(  # a figure for the report, not an assertion
            f"two sender workers, {'shared Redis budget' if redis_url else 'each alone'}: "
            f"{len(times)} sent in {times[-1] - times[0]:.1f} s, {rate_limited} × 429"
        )
        return (
            notices_per_chat(emu, seeded.parent_chat_ids),
            emu.world.stats.responses.get(429, 0),
            sent,
        )


@needs_redis
async def test_two_sender_workers_sharing_redis_reach_300_parents_once_without_a_429(
    shipped_settings: Settings, database_url: str, tmp_path: Path, redis_prefix: str
) -> None:
    counts, rate_limited, sent = await broadcast_with_two_sender_workers(
        shipped_settings, database_url, tmp_path, REDIS_URL, redis_prefix
    )
    assert rate_limited == 0
    assert counts == [1] * PARENTS  # every parent once
    assert all(n > 0 for n in sent) and sum(sent) == PARENTS  # both workers sent


async def test_two_sender_workers_counting_alone_meet_telegrams_429s(
    shipped_settings: Settings, database_url: str, tmp_path: Path
) -> None:
    counts, rate_limited, sent = await broadcast_with_two_sender_workers(
        shipped_settings, database_url, tmp_path, "", "unused"
    )
    assert rate_limited > 0  # each process kept to 29 a second; together they broke 30
    assert all(n >= 1 for n in counts)  # refused, then sent again: nobody is left out


# -- two web workers, one conversation ---------------------------------------------------------


class RoundRobin:
    """What nginx does in front of a district's web workers: each request to the next one."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.turn = 0
        self.served: list[str] = []
        self._client: aiohttp.ClientSession | None = None

    async def handle(self, request: web.Request) -> web.Response:
        backend = self.backends[self.turn % len(self.backends)]
        self.turn += 1
        self.served.append(backend)
        assert self._client is not None
        headers = {
            k: v for k, v in request.headers.items() if k.lower().startswith("x-telegram")
        } | {"Content-Type": request.headers.get("Content-Type", "application/json")}
        async with self._client.post(
            backend + request.path, data=await request.read(), headers=headers
        ) as answer:
            body = await answer.read()
            return web.Response(status=answer.status, body=body, content_type=answer.content_type)

    @contextlib.asynccontextmanager
    async def serving(self, port: int) -> AsyncIterator[None]:
        self._client = aiohttp.ClientSession()
        server = web.Application()
        server.router.add_post("/{tail:.*}", self.handle)
        runner = web.AppRunner(server, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield
        finally:
            await runner.cleanup()
            await self._client.close()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def web_worker(settings: Settings, clock: FakeClock, api_base: str) -> AsyncIterator[Any]:
    """A second web worker of the school's bot: its own App, bot and dispatcher, on the same
    database and Redis, serving webhooks on a port of its own."""
    app: App = await open_app(settings, clock=clock)
    bot = make_bot(SCHOOL_TOKEN, api_base, pace=False, flood=app.flood)
    port = _free_port()
    telegram = settings.telegram.model_copy(
        update={"webhook_url": f"http://127.0.0.1:{port}", "webhook_port": port}
    )
    runner = await start_webhook(telegram, bot, make_dispatcher(app), WEBHOOK_SECRET)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
        await bot.session.close()
        await close_app(app)


@needs_redis
async def test_a_notice_drafted_across_two_web_workers_continues_on_whichever_gets_each_step(
    shipped_settings: Settings,
    database_url: str,
    tmp_path: Path,
    clock: FakeClock,
    redis_prefix: str,
) -> None:
    settings = settings_for(
        shipped_settings,
        database_url,
        tmp_path,
        redis={"url": REDIS_URL, "prefix": redis_prefix},
    )
    async with running_school(settings, clock, webhook=True) as school:
        admin = await school.admin()
        first = school.settings.telegram  # the school's own worker took the webhook
        assert school.bot is not None
        info = await school.bot.get_webhook_info()
        worker_one = info.url.removesuffix(first.webhook_path)
        async with web_worker(settings, clock, school.emu.url) as worker_two:
            balancer = RoundRobin([worker_one, worker_two])
            port = _free_port()
            async with balancer.serving(port):
                await school.bot.set_webhook(
                    f"http://127.0.0.1:{port}{first.webhook_path}", secret_token=WEBHOOK_SECRET
                )
                await school.say(admin, "/notice")
                await school.say(admin, "致家长：周五放学后请准时接孩子。")
                await school.say(admin, "跳过")
                await school.say(admin, "全校")
                await school.say(admin, "周五下午5点")
                replies = texts(await school.received(admin.chat_id))
        # Each step went to the other worker, and each worker knew where the draft stood:
        # the text, the attachment, the audience, the deadline, the class groups.
        assert balancer.served == [worker_one, worker_two] * 2 + [worker_one]
    steps = replies[-5:]
    assert "请发送通知正文" in steps[0]
    assert "附件" in steps[1]
    assert "发给谁" in steps[2]
    assert "全校家长" in steps[3] and "请在什么时候之前确认" in steps[3]
    assert "班级群" in steps[4]
