"""Ingest benchmark: the daily report's replies delivered to the bot by webhook.

    python -m bench.ingest [people] [concurrency] [fast|stock|both]

A school of ``people`` reporting units (the 24 shipped classes and generated departments),
one responsible person each, asked at 14:30. Each person then sends ten replies, the way a
head teacher does on a bad day: 零报告, 有情况, what happened, where, the severity button, an
album of three photos, "photos done", "send" (five button presses, two texts, three photos).
A person sends the next reply once the bot has handled the previous one (an album's three
photos go together); ``concurrency`` people are doing so at any moment. They answer at once,
faster than anyone types, so Telegram's one-message-a-second pace per chat is off on both
sides (the emulator enforces no limits here; the bot is started with ``pace=False``).

Two processes, on the machine's two cores: this one runs the emulator (over real HTTP) and
the people; the bot runs in its own (``bench.ingest_bot``), started the way
``safety-bot run --webhook`` starts it: SQLite, the database-backed FSM storage, the outbox
sender and the scheduler, the webhook server of bot/runner.py (each update handled in its
request, a button's answer in the response), logging at INFO. The emulator delivers like
Telegram: up to 40 updates at once, a chat's next only after its previous was answered (so
an album's photos are handled one after another). An update's latency is from the moment the
person acted in the emulator to the end of its handlers in the bot (known here from a line
the bot process writes back) and of its delivery (the reply in the webhook's response, if
any, sent). Afterwards the bench checks that every reply was stored: the zero reports, the
incidents with text, place and severity, every photo as a row and as a file with the sha256
it was sent with.

The same replies to a bare aiogram bot that only answers (``bench.echo_bot``: a message →
one reply with a button, a press → answerCallbackQuery), in a process of its own that loads
aiogram and nothing of the safety bot, served by aiogram's own webhook handler on the same
emulator, give ``echo_updates_per_s``. Both bots run at once and take turns, in ``ROUNDS``
rounds of a fifth of the people each (``ratio_by_round``), so that both see the machine at
the same speed. ``bot_cpu_ms`` and ``emulator_cpu_ms`` are each process's CPU time per
update.

SQLite's fast path (storage/sqlite_driver.py, sqlite_session.py) and the stock one it falls
back to (``[storage] fast_sqlite = false``: aiosqlite's worker thread, SQLAlchemy's own
``AsyncSession``) are measured one after the other (``both``, the default), each against the
bare bot in its own run: ``stock`` in the JSON holds the stock path's figures, and
``stock_to_fast`` the ratio of their ratios to the bare bot (the machine's speed cancels out),
``cpu_stock_to_fast`` that of the bot's CPU per update (steadier when other work shares the
machine).

The last line printed is one JSON object, for CI to parse.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from bench.ingest_school import (
    PROMPT_AT,
    ask_everyone,
    bench_settings,
    staff_units,
    stored_replies,
)
from bench.ingest_wire import BOT_TOKEN, ECHO_TOKEN
from bot.app import close_app, open_app
from bot.core.clock import FakeClock
from bot.core.settings import Settings
from emulator.server import EmulatorServer

ROOT = Path(__file__).resolve().parents[1]
REPLIES_PER_PERSON = 10
BOT_MODULES = {"safety": "bench.ingest_bot", "echo": "bench.echo_bot"}
ROUNDS = 5
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PYTHONPATH = os.environ.get("PYTHONPATH", "")

# -- timing: when each update was made, when the bot's handlers and its delivery finished --------


@dataclass
class Pending:
    started: float
    future: asyncio.Future[None]
    signals: int = 2  # the bot's line and the emulator's delivery


@dataclass
class Tracker:
    """An update is done once the bot says its handlers have finished and the emulator has
    delivered it: its webhook answered, and the reply in the answer (if any) sent. A reply in
    the response reaches the person after the handlers end, and they go on only once they
    see it, as with a reply the handler sent itself."""

    waiting: dict[str, Pending] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)

    def expect(self, key: str) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting[key] = Pending(time.perf_counter(), future)
        return future

    def finished(self, key: str) -> None:
        pending = self.waiting.get(key)
        if pending is None:
            return
        pending.signals -= 1
        if pending.signals:
            return
        del self.waiting[key]
        self.latencies_ms.append((time.perf_counter() - pending.started) * 1000)
        if not pending.future.done():
            pending.future.set_result(None)

    def delivered(self, update: dict[str, Any]) -> None:
        if "message" in update:
            message = update["message"]
            self.finished(f"m:{message['chat']['id']}:{message['message_id']}")
        elif "callback_query" in update:
            self.finished(f"c:{update['callback_query']['id']}")

    async def listen(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            async for line in reader:
                self.finished(line.decode().strip())
        writer.close()


def tracking(emu: EmulatorServer, bot_id: int) -> Tracker:
    tracker = Tracker()

    def delivered(bot: Any, update: dict[str, Any]) -> None:
        if bot.id == bot_id:
            tracker.delivered(update)

    emu.webhooks.delivered.append(delivered)
    return tracker


@contextlib.asynccontextmanager
async def notify_server(tracker: Tracker) -> AsyncIterator[int]:
    server = await asyncio.start_server(tracker.listen, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


# -- what the people do -------------------------------------------------------------------------


@dataclass
class Crowd:
    """Simulated people acting on the emulator's world, each waiting for the bot."""

    emu: EmulatorServer
    bot_id: int
    tracker: Tracker
    photo_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def world(self) -> Any:
        return self.emu.world

    async def say(self, user_id: int, text: str) -> None:
        stored = self.world.user_send_text(user_id, text, bot_id=self.bot_id)
        await self.tracker.expect(f"m:{user_id}:{stored.message_id}")

    async def press(self, user_id: int, suffix: str) -> None:
        message_id, data = self.last_button(user_id, suffix)
        query = self.world.press_button(user_id, user_id, message_id, data, bot_id=self.bot_id)
        await self.tracker.expect(f"c:{query['id']}")

    async def album(self, user_id: int, count: int) -> None:
        group = f"album-{user_id}"
        waits = []
        for _ in range(count):
            n = next(self.photo_ids)
            data = b"\xff\xd8\xff\xe0" + f"incident-photo-{n}".encode() * 40
            stored = self.world.user_send_photo(
                user_id, data, media_group_id=group, bot_id=self.bot_id
            )
            waits.append(self.tracker.expect(f"m:{user_id}:{stored.message_id}"))
        await asyncio.gather(*waits)

    def last_button(self, user_id: int, suffix: str) -> tuple[int, str]:
        chat = self.world.chat(user_id, self.bot_id)
        for message in reversed(chat.messages_of_bot(self.bot_id)):
            for row in (message.reply_markup or {}).get("inline_keyboard", []):
                for button in row:
                    if button.get("callback_data", "").endswith(suffix):
                        return message.message_id, str(button["callback_data"])
        raise LookupError(f"user {user_id}: no button ending in {suffix!r}")


async def daily_report_replies(crowd: Crowd, user_id: int) -> None:
    """Ten replies: zero, 有情况, text, place, severity, three photos, done, send."""
    await crowd.press(user_id, ":zero")
    await crowd.press(user_id, ":inc")
    await crowd.say(user_id, "楼梯有积水，一名学生滑倒擦伤")
    await crowd.say(user_id, "教学楼二楼楼梯")
    await crowd.press(user_id, ":urgent")
    await crowd.album(user_id, 3)
    await crowd.press(user_id, ":done")
    await crowd.press(user_id, ":send")


async def echo_replies(crowd: Crowd, user_id: int) -> None:
    """The same shape of ten replies for the bare bot."""
    await crowd.press(user_id, ":e")
    await crowd.press(user_id, ":e")
    await crowd.say(user_id, "楼梯有积水，一名学生滑倒擦伤")
    await crowd.say(user_id, "教学楼二楼楼梯")
    await crowd.press(user_id, ":e")
    await crowd.album(user_id, 3)
    await crowd.press(user_id, ":e")
    await crowd.press(user_id, ":e")


@dataclass(frozen=True)
class Measured:
    seconds: float
    updates: int
    latencies_ms: list[float]
    bot_cpu_s: float
    emulator_cpu_s: float

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def cpu_ms(self, seconds: float) -> float:
        return round(seconds * 1000 / self.updates, 3)


async def drive(
    crowd: Crowd,
    user_ids: list[int],
    script: Callable[[Crowd, int], Awaitable[None]],
    concurrency: int,
    bot_pid: int,
) -> Measured:
    crowd.tracker.latencies_ms.clear()
    queue = list(reversed(user_ids))

    async def worker() -> None:
        while queue:
            await script(crowd, queue.pop())

    bot_cpu, own_cpu = cpu_seconds(bot_pid), time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    return Measured(
        seconds,
        len(crowd.tracker.latencies_ms),
        list(crowd.tracker.latencies_ms),
        cpu_seconds(bot_pid) - bot_cpu,
        time.process_time() - own_cpu,
    )


def cpu_seconds(pid: int) -> float:
    """User and system time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


# -- the bot process ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def open_log(directory: Path, kind: str) -> tuple[Path, BinaryIO]:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{kind}.log"
    return path, path.open("wb")


def log_tail(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-3000:]


@contextlib.asynccontextmanager
async def bot_process(
    emu: EmulatorServer,
    kind: str,
    token: str,
    directory: Path,
    persons: int,
    notify: int,
    stock: bool = False,
) -> AsyncIterator[int]:
    """Starts the bot's process (``BOT_MODULES``), waits for its webhook, yields its pid,
    stops it with SIGTERM (the way a deployment stops the bot) and waits for a clean exit.
    Its log (a line per update, as in production) goes to a file in ``directory``."""
    log_path, log = open_log(directory, kind)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        BOT_MODULES[kind],
        "--api",
        emu.url,
        "--port",
        str(free_port()),
        "--notify",
        str(notify),
        "--dir",
        str(directory),
        "--people",
        str(persons),
        *(["--stock"] if stock else []),
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), PYTHONPATH)))},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log,
    )
    try:
        account = emu.world.bot_by_token(token)
        assert account is not None
        while account.webhook is None:
            if process.returncode is not None:
                raise RuntimeError(f"the {kind} bot stopped before it set its webhook")
            await asyncio.sleep(0.05)
        yield process.pid
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await process.wait()
        log.close()
        if process.returncode != 0:
            raise RuntimeError(
                f"the {kind} bot exited with {process.returncode}: {log_tail(log_path)}"
            )


@dataclass
class Side:
    """One bot under test: its people, their crowd, its process, what it measured."""

    crowd: Crowd
    user_ids: list[int]
    script: Callable[[Crowd, int], Awaitable[None]]
    pid: int = 0
    rounds: list[Measured] = field(default_factory=list)

    def total(self) -> Measured:
        return Measured(
            sum(m.seconds for m in self.rounds),
            sum(m.updates for m in self.rounds),
            [ms for m in self.rounds for ms in m.latencies_ms],
            sum(m.bot_cpu_s for m in self.rounds),
            sum(m.emulator_cpu_s for m in self.rounds),
        )


async def echo_side(emu: EmulatorServer, persons: int) -> Side:
    world = emu.world
    account = world.create_bot(ECHO_TOKEN, first_name="Echo", username="echo_bench_bot")
    user_ids = [world.create_user(first_name=f"回声{n}").id for n in range(persons)]
    return Side(Crowd(emu, account.id, tracking(emu, account.id)), user_ids, echo_replies)


async def safety_side(emu: EmulatorServer, settings: Settings, clock: FakeClock) -> Side:
    app = await open_app(settings, clock=clock)
    try:
        user_ids = await staff_units(app, emu)
        await ask_everyone(app, emu.url)
    finally:
        await close_app(app)
    account = emu.world.bot_by_token(BOT_TOKEN)
    assert account is not None
    return Side(Crowd(emu, account.id, tracking(emu, account.id)), user_ids, daily_report_replies)


async def check_stored(settings: Settings, clock: FakeClock, persons: int) -> dict[str, Any]:
    app = await open_app(settings, clock=clock)
    try:
        stored = await stored_replies(app)
    finally:
        await close_app(app)
    expected = {
        "zero_reports": persons,
        "incidents": persons,
        "photos": 3 * persons,
        "photo_files": 3 * persons,
    }
    if stored != expected:
        raise RuntimeError(f"not every reply was stored: {stored}, expected {expected}")
    return stored


async def run(
    persons: int = 1000, concurrency: int = 20, rounds: int = ROUNDS, *, fast_sqlite: bool = True
) -> dict[str, Any]:
    """Both bots run at once, idle in turn: round by round a slice of the echo's people
    act, then the same number of the school's. This machine's speed changes by up to half
    from one minute to the next (a VM inside another), so two runs one after the other did
    not compare."""
    with tempfile.TemporaryDirectory(prefix="bench-ingest-", dir=_bench_root()) as folder:
        directory = Path(folder)
        async with EmulatorServer(token=BOT_TOKEN) as emu, contextlib.AsyncExitStack() as stack:
            settings = bench_settings(persons, directory, fast_sqlite=fast_sqlite)
            clock = FakeClock(PROMPT_AT.replace(tzinfo=settings.school.tz))
            echo = await echo_side(emu, persons)
            safety = await safety_side(emu, settings, clock)
            for kind, token, side, folder_of in (
                ("echo", ECHO_TOKEN, echo, directory / "echo"),
                ("safety", BOT_TOKEN, safety, directory),
            ):
                notify = await stack.enter_async_context(notify_server(side.crowd.tracker))
                stock = kind == "safety" and not fast_sqlite
                side.pid = await stack.enter_async_context(
                    bot_process(emu, kind, token, folder_of, persons, notify, stock)
                )
            # Each echo person's first message gives them its button (not measured).
            await asyncio.gather(*(echo.crowd.say(u, "/start") for u in echo.user_ids))
            size = -(-persons // rounds)
            for start in range(0, persons, size):
                for side in (echo, safety):
                    chunk = side.user_ids[start : start + size]
                    side.rounds.append(
                        await drive(side.crowd, chunk, side.script, concurrency, side.pid)
                    )
            await stack.aclose()  # the bots stop (SIGTERM) before the database is read
            stored = await check_stored(settings, clock, persons)
    measured, bare = safety.total(), echo.total()
    by_round = [
        s.per_second / e.per_second for s, e in zip(safety.rounds, echo.rounds, strict=True)
    ]
    return {
        "fast_sqlite": fast_sqlite,
        "updates": measured.updates,
        "people": persons,
        "concurrency": concurrency,
        "rounds": len(by_round),
        "seconds": round(measured.seconds, 2),
        "updates_per_s": round(measured.per_second, 1),
        "p50_ms": round(measured.percentile(0.50), 1),
        "p99_ms": round(measured.percentile(0.99), 1),
        "mean_ms": round(statistics.fmean(measured.latencies_ms), 1),
        "bot_cpu_ms": measured.cpu_ms(measured.bot_cpu_s),
        "emulator_cpu_ms": measured.cpu_ms(measured.emulator_cpu_s),
        "echo_updates_per_s": round(bare.per_second, 1),
        "echo_p99_ms": round(bare.percentile(0.99), 1),
        "echo_bot_cpu_ms": bare.cpu_ms(bare.bot_cpu_s),
        "ratio_to_echo": round(measured.per_second / bare.per_second, 2),
        "ratio_by_round": [round(r, 2) for r in by_round],
        **stored,
    }


def _bench_root() -> Path:
    # Under var/, where a deployment keeps its database and photos (config.toml): on some
    # machines /tmp is far slower to create files in (measured here: 1.1 ms against 53 µs).
    root = ROOT / "var"
    root.mkdir(exist_ok=True)
    return root


STOCK_FIGURES = (
    "updates_per_s",
    "p50_ms",
    "p99_ms",
    "bot_cpu_ms",
    "echo_updates_per_s",
    "ratio_to_echo",
    "ratio_by_round",
)


def main(argv: list[str]) -> None:
    persons = int(argv[1]) if len(argv) > 1 else 1000
    concurrency = int(argv[2]) if len(argv) > 2 else 20
    paths = argv[3] if len(argv) > 3 else "both"
    logging.basicConfig(level=logging.WARNING)
    result: dict[str, Any] = {}
    if paths in ("fast", "both"):
        result = asyncio.run(run(persons, concurrency))
        say(result, "fast SQLite path")
    if paths in ("stock", "both"):
        stock = asyncio.run(run(persons, concurrency, fast_sqlite=False))
        say(stock, "stock path ([storage] fast_sqlite = false)")
        if not result:
            result = stock
        else:
            result["stock"] = {key: stock[key] for key in STOCK_FIGURES}
            result["stock_to_fast"] = round(stock["ratio_to_echo"] / result["ratio_to_echo"], 2)
            # CPU per update: steadier than the rates on a machine other work shares.
            result["cpu_stock_to_fast"] = round(stock["bot_cpu_ms"] / result["bot_cpu_ms"], 2)
            print(
                f"stock path against the fast one, each as a share of the bare bot's rate: "
                f"{result['stock_to_fast']}; the bot's CPU per update, stock over fast: "
                f"{result['cpu_stock_to_fast']}"
            )
    print(json.dumps(result, ensure_ascii=False))


def say(result: dict[str, Any], path: str) -> None:
    print(
        f"{path}: {result['updates']} replies from {result['people']} people ({result['concurrency']} "
        f"at a time) by webhook in {result['seconds']} s: {result['updates_per_s']} updates/s, "
        f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
        f"{result['bot_cpu_ms']} ms of the bot's CPU each; a bare aiogram bot on the same "
        f"emulator: {result['echo_updates_per_s']} updates/s (ratio {result['ratio_to_echo']}; "
        f"by round {result['ratio_by_round']}); "
        f"stored: {result['zero_reports']} zero reports, {result['incidents']} incidents, "
        f"{result['photos']} photos ({result['photo_files']} files with their sha256)"
    )


if __name__ == "__main__":
    main(sys.argv)
