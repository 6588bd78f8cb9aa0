"""Ingest benchmark: the daily report's replies delivered to the bot by webhook.

    python -m bench.ingest [people] [concurrency]

A school of ``people`` reporting units (the 24 shipped classes and generated departments),
one responsible person each, asked at 14:30. Each person then sends ten replies, the way a
head teacher does on a bad day: 零报告, 有情况, what happened, where, the severity button, an
album of three photos, "photos done", "send" (five button presses, two texts, three photos).
A person sends the next reply once the bot has handled the previous one (an album's three
photos go together); ``concurrency`` people are doing so at any moment.

The bot runs as in production with ``--webhook``: aiogram's aiohttp webhook handler on a
local port, SQLite, the database-backed FSM storage. The emulator (in this process, over
real HTTP, flood limits off) POSTs each update to it. An update's latency is from the
moment the person acted in the emulator to the end of its handler (webhook delivery,
aiogram, the handler and its Bot API calls). Afterwards the bench checks that every reply
was stored: the zero reports, the incidents with their text, place and severity, every photo.

The same run against a bare aiogram bot that only answers (a message → one reply with a
button, a press → answerCallbackQuery), on the same emulator, gives ``echo_updates_per_s``.

The last line printed is one JSON object, for CI to parse.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import json
import logging
import statistics
import sys
import tempfile
import time
import tomllib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher, F, Router
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
    Update,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from sqlalchemy import func, select

from bot.app import App, close_app, make_bot, make_dispatcher, open_app
from bot.emulator.server import EmulatorServer
from bot.settings import Settings, settings_from_dict
from bot.telegram_transport import TelegramTransport
from scheduler.clock import FakeClock
from scheduler.sender import Limits, OutboxSender
from storage import people
from storage import zero_report as incidents
from storage.models import Attachment, Person, Submission, Unit

CONFIG = Path(__file__).resolve().parents[1] / "config.toml"
BOT_TOKEN = "777001:BENCH-ingest-safety-bot-token-0123456"
ECHO_TOKEN = "777002:BENCH-ingest-echo-bot-token-01234567"
SECRET = "bench-webhook-secret"
REPLIES_PER_PERSON = 10
PROMPT_AT = dt.datetime(2026, 11, 25, 14, 30)

log = logging.getLogger("bench.ingest")


# -- timing: when each update was made, when its handler finished -----------------------------


Key = tuple[Any, ...]


@dataclass
class Tracker:
    """Futures keyed by what identifies an update on both sides: (chat, message) or the
    callback query id."""

    waiting: dict[Key, tuple[float, asyncio.Future[None]]] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)

    def expect(self, key: Key) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting[key] = (time.perf_counter(), future)
        return future

    def finished(self, key: Key | None) -> None:
        entry = self.waiting.pop(key, None) if key is not None else None
        if entry is None:
            return
        started, future = entry
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        if not future.done():
            future.set_result(None)


def update_key(update: Update) -> Key | None:
    if update.message is not None:
        return ("m", update.message.chat.id, update.message.message_id)
    if update.callback_query is not None:
        return ("c", update.callback_query.id)
    return None


class Finished(BaseMiddleware):
    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        finally:
            if isinstance(event, Update):
                self.tracker.finished(update_key(event))


def track(dispatcher: Dispatcher, tracker: Tracker) -> None:
    # First of the outer middlewares, so the time covers the actor lookup and the FSM too.
    dispatcher.update.outer_middleware._middlewares.insert(0, Finished(tracker))


@contextlib.asynccontextmanager
async def webhook_server(
    emu: EmulatorServer, dispatcher: Dispatcher, bot: Bot, path: str
) -> AsyncIterator[None]:
    """The bot's side, as ``safety-bot run --webhook`` serves it."""
    web_app = web.Application()
    SimpleRequestHandler(dispatcher, bot, secret_token=SECRET).register(web_app, path=path)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    await bot.set_webhook(f"http://127.0.0.1:{port}{path}", secret_token=SECRET)
    try:
        yield
    finally:
        await bot.delete_webhook()
        await runner.cleanup()


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
        await self.tracker.expect(("m", user_id, stored.message_id))

    async def press(self, user_id: int, suffix: str) -> None:
        message_id, data = self.last_button(user_id, suffix)
        query = self.world.press_button(user_id, user_id, message_id, data, bot_id=self.bot_id)
        await self.tracker.expect(("c", query["id"]))

    async def album(self, user_id: int, count: int) -> None:
        group = f"album-{user_id}"
        waits = []
        for _ in range(count):
            n = next(self.photo_ids)
            data = b"\xff\xd8\xff\xe0" + f"incident-photo-{n}".encode() * 40
            stored = self.world.user_send_photo(
                user_id, data, media_group_id=group, bot_id=self.bot_id
            )
            waits.append(self.tracker.expect(("m", user_id, stored.message_id)))
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

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def drive(
    crowd: Crowd,
    user_ids: list[int],
    script: Callable[[Crowd, int], Awaitable[None]],
    concurrency: int,
) -> Measured:
    crowd.tracker.latencies_ms.clear()
    queue = list(reversed(user_ids))

    async def worker() -> None:
        while queue:
            await script(crowd, queue.pop())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    return Measured(seconds, len(crowd.tracker.latencies_ms), list(crowd.tracker.latencies_ms))


# -- the school and the two bots ----------------------------------------------------------------


def bench_settings(units: int, directory: Path) -> Settings:
    raw = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    classes = raw["classes"][: min(units, len(raw["classes"]))]
    raw["classes"] = classes
    raw["departments"] = [
        {"slug": f"d{n:04d}", "name": f"部门{n}"} for n in range(1, units - len(classes) + 1)
    ]
    raw["education"]["enabled"] = False
    raw["storage"] = {
        **raw["storage"],
        "database_url": f"sqlite+aiosqlite:///{directory / 'bench.db'}",
        "media_dir": str(directory / "media"),
        "export_dir": str(directory / "exports"),
    }
    return settings_from_dict(raw, base_dir=directory)


async def staff_units(app: App, emu: EmulatorServer) -> list[int]:
    """One responsible person per unit (head teacher or staff), known to the bot and to the
    emulator; returns their Telegram user ids."""
    world = emu.world
    user_ids = []
    async with app.sessions.begin() as session:
        for unit in await people.units(session, app.school_id):
            user = world.create_user(first_name=f"{unit.name}负责人")
            person = Person(
                school_id=app.school_id,
                display_name=f"{unit.name}负责人",
                tg_user_id=user.id,
                unreachable=False,
                created_at=app.now(),
                roles=[],
            )
            session.add(person)
            await session.flush()
            role = "head_teacher" if unit.kind == "class" else "staff"
            await people.grant_role(session, person, role, unit.id, app.now())
            await people.remember_private_chat(session, app.school_id, person, user.id, app.now())
            user_ids.append(user.id)
    return user_ids


async def ask_everyone(app: App, bot: Bot) -> None:
    """14:30: the prompts, sent without Telegram's pacing (the emulator has no flood limits)."""
    sender = OutboxSender(
        app.sessions, TelegramTransport(bot), app.clock, Limits(1e6, 0.0, 20), None
    )
    app.sender = sender
    await app.tick()
    while await sender.drain(timeout_s=60):
        pass


async def check_stored(app: App, persons: int) -> dict[str, int]:
    async with app.sessions() as session:
        zero = await session.scalar(
            select(func.count(Submission.id)).where(
                Submission.kind == "button", Submission.text == "zero"
            )
        )
        reported = await session.scalar(
            select(func.count(incidents.Incident.id)).where(
                incidents.Incident.status == "open",
                incidents.Incident.text != "",
                incidents.Incident.place != "",
                incidents.Incident.severity == "urgent",
            )
        )
        photos = await session.scalar(select(func.count(Attachment.id)))
        units = await session.scalar(select(func.count(Unit.id)))
    stored = {"zero_reports": zero or 0, "incidents": reported or 0, "photos": photos or 0}
    expected = {"zero_reports": persons, "incidents": persons, "photos": 3 * persons}
    if stored != expected:
        raise RuntimeError(
            f"not every reply was stored: {stored}, expected {expected} ({units} units)"
        )
    return stored


async def run_safety_bot(
    emu: EmulatorServer, settings: Settings, concurrency: int
) -> tuple[Measured, dict[str, int]]:
    clock = FakeClock(PROMPT_AT.replace(tzinfo=settings.school.tz))
    app = await open_app(settings, clock=clock)
    bot = make_bot(BOT_TOKEN, emu.url)
    try:
        user_ids = await staff_units(app, emu)
        account = emu.world.bot_by_token(BOT_TOKEN)
        assert account is not None
        for user_id in user_ids:  # each person has opened the chat with the bot
            emu.world._open_private_chat(account, emu.world.user(user_id))  # noqa: SLF001
        await ask_everyone(app, bot)
        tracker = Tracker()
        dispatcher = make_dispatcher(app)
        track(dispatcher, tracker)
        bot_id = account.id
        async with webhook_server(emu, dispatcher, bot, "/telegram/webhook"):
            crowd = Crowd(emu, bot_id, tracker)
            measured = await drive(crowd, user_ids, daily_report_replies, concurrency)
            await asyncio.sleep(0.2)  # nothing is expected after the last handler, but let it go
        stored = await check_stored(app, len(user_ids))
        return measured, stored
    finally:
        if app.sender is not None:
            app.sender.stop()
        await close_app(app)
        await bot.session.close()


def echo_router() -> Router:
    router = Router(name="echo")
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="ok", callback_data="echo:e")]]
    )

    @router.callback_query(F.data)
    async def pressed(query: CallbackQuery) -> None:
        await query.answer()

    @router.message()
    async def said(message: Message) -> None:
        await message.answer("ok", reply_markup=keyboard)

    return router


async def run_echo_bot(emu: EmulatorServer, persons: int, concurrency: int) -> Measured:
    world = emu.world
    account = world.create_bot(ECHO_TOKEN, first_name="Echo", username="echo_bench_bot")
    bot = make_bot(ECHO_TOKEN, emu.url)
    tracker = Tracker()
    dispatcher = Dispatcher()
    dispatcher.include_router(echo_router())
    track(dispatcher, tracker)
    user_ids = [world.create_user(first_name=f"回声{n}").id for n in range(persons)]
    try:
        async with webhook_server(emu, dispatcher, bot, "/echo/webhook"):
            crowd = Crowd(emu, account.id, tracker)
            # Each person's first message gives them the echo's button (not measured).
            await asyncio.gather(*(crowd.say(u, "/start") for u in user_ids))
            return await drive(crowd, user_ids, echo_replies, concurrency)
    finally:
        await bot.session.close()


async def run(persons: int = 1000, concurrency: int = 20) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as directory:
        settings = bench_settings(persons, Path(directory))
        async with EmulatorServer(token=BOT_TOKEN) as emu:
            echo = await run_echo_bot(emu, persons, concurrency)
            measured, stored = await run_safety_bot(emu, settings, concurrency)
    return {
        "updates": measured.updates,
        "people": persons,
        "concurrency": concurrency,
        "seconds": round(measured.seconds, 2),
        "updates_per_s": round(measured.per_second, 1),
        "p50_ms": round(measured.percentile(0.50), 1),
        "p99_ms": round(measured.percentile(0.99), 1),
        "mean_ms": round(statistics.fmean(measured.latencies_ms), 1),
        "echo_updates_per_s": round(echo.per_second, 1),
        "echo_p99_ms": round(echo.percentile(0.99), 1),
        "ratio_to_echo": round(measured.per_second / echo.per_second, 2),
        **stored,
    }


def main(argv: list[str]) -> None:
    persons = int(argv[1]) if len(argv) > 1 else 1000
    concurrency = int(argv[2]) if len(argv) > 2 else 20
    logging.basicConfig(level=logging.WARNING)
    result = asyncio.run(run(persons, concurrency))
    print(
        f"{result['updates']} replies from {result['people']} people ({result['concurrency']} "
        f"at a time) by webhook in {result['seconds']} s: {result['updates_per_s']} updates/s, "
        f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms; a bare aiogram bot on the "
        f"same emulator: {result['echo_updates_per_s']} updates/s (ratio "
        f"{result['ratio_to_echo']}); stored: {result['zero_reports']} zero reports, "
        f"{result['incidents']} incidents, {result['photos']} photos"
    )
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv)
