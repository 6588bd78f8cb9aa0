"""The composition root: settings, database, clock, bot, dispatcher, sender and scheduler."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.clock import Clock, SystemClock
from bot.core.settings import Secrets, Settings
from bot.request_limits import PaceChats, RetryAfter429
from bot.telegram_session import BotSession
from scheduler.app import App as HandlerApp
from scheduler.engine import Engine
from scheduler.flood import Budget, RedisFlood
from scheduler.sender import Limits, OutboxSender
from storage import db, people, sqlite_lock
from storage.leader import Leadership
from storage.media import MediaStore
from storage.models import Outbox

log = logging.getLogger(__name__)


@dataclass
class App:
    """Everything a handler or a job needs, built once and passed down as ``app``."""

    settings: Settings
    engine: AsyncEngine
    sessions: db.SessionFactory
    clock: Clock
    media: MediaStore
    school_id: int = 0
    bot_username: str = "safety_bot"
    sender: OutboxSender | None = None
    ticker: Engine | None = None
    scheduler: AsyncIOScheduler | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    # Who ticks (storage/leader.py): set by the runner; None ticks always (tests, the demo).
    leader: Leadership | None = None
    # [redis].url / REDIS_URL set: several processes serve the bot and share, through Redis,
    # conversations, events isolation and one flood budget per bot (scheduler/flood.py).
    redis: Any = None  # redis.asyncio.Redis
    flood: RedisFlood | None = None

    @property
    def tz(self) -> dt.tzinfo:
        return self.settings.school.tz

    def now(self) -> dt.datetime:
        return self.clock.now()

    def today(self) -> dt.date:
        return self.clock.now().astimezone(self.tz).date()

    def wake_sender(self) -> None:
        if self.sender is not None:
            self.sender.wake()

    async def tick(self) -> None:
        if self.ticker is None:
            return
        if self.leader is not None and not await self.leader.leads():
            return  # another process ticks this school (a hot standby waits its turn)
        try:
            await self.ticker.tick()
        except Exception as exc:
            if not sqlite_lock.is_locked(exc):
                raise
            # Another process holds SQLite's lock: the next tick does this one's work
            # (each is idempotent); storage/sqlite_lock.py logs the lock, once.
            sqlite_lock.watch_of(self.sessions).met()


def redis_url(settings: Settings, secrets: Secrets | None) -> str:
    if secrets is not None and secrets.redis_url is not None:
        return secrets.redis_url.get_secret_value()
    return settings.redis.url


def flood_budget(settings: Settings) -> Budget:
    telegram = settings.telegram
    return Budget(
        max(int(telegram.messages_per_second), 1),
        telegram.per_chat_interval_s,
        telegram.group_messages_per_minute,
    )


def connect_redis(app: App, url: str) -> None:
    """Redis for what several processes of one bot share; nothing when ``url`` is empty.
    The client connects on first use."""
    if not url:
        return
    from redis.asyncio import Redis

    app.redis = Redis.from_url(url)
    app.flood = RedisFlood(
        app.redis, flood_budget(app.settings), prefix=f"{app.settings.redis.prefix}:flood:"
    )


def database_url(settings: Settings, secrets: Secrets | None) -> str:
    if secrets is not None and secrets.database_url is not None:
        return secrets.database_url.get_secret_value()
    return settings.database_url


async def open_app(
    settings: Settings, secrets: Secrets | None = None, clock: Clock | None = None
) -> App:
    """Connect to the database, apply migrations, sync the school and its units from config."""
    engine = db.make_engine(
        database_url(settings, secrets), fast_sqlite=settings.storage.fast_sqlite
    )
    await db.upgrade(engine)
    app = await open_school(settings, engine, db.make_session_factory(engine), clock)
    connect_redis(app, redis_url(settings, secrets))
    return app


async def open_school(
    settings: Settings,
    engine: AsyncEngine,
    sessions: db.SessionFactory,
    clock: Clock | None = None,
) -> App:
    """One school's App on a database already upgraded: a district's schools share the
    engine and the session factory (bot/district.py), each with its own settings and id."""
    media = MediaStore(
        settings.resolve(settings.storage.media_dir),
        int(settings.storage.max_photo_mb * 1024 * 1024),
    )
    app = App(settings, engine, sessions, clock or SystemClock(), media)
    # Processes started together on a new database (a web and a worker, a district's
    # workers) may make the same school or unit at once: the loser reads the winner's.
    for attempt in range(3):
        try:
            async with sessions.begin() as session:
                school = await people.sync_school(
                    session,
                    settings.school.slug,
                    settings.school.name,
                    settings.school.timezone,
                    unit_specs(settings),
                    app.now(),
                )
                app.school_id = school.id
            break
        except IntegrityError:
            if attempt == 2:
                raise
            await asyncio.sleep(0.2 * (attempt + 1))
    app.ticker = Engine(settings, sessions, app.clock, app.school_id, on_enqueued=app.wake_sender)
    return app


def unit_specs(settings: Settings) -> list[people.UnitSpec]:
    return [people.UnitSpec("class", c.slug, c.name, c.grade) for c in settings.classes] + [
        people.UnitSpec("department", d.slug, d.name) for d in settings.departments
    ]


def make_bot(
    token: str, api_base: str = "", *, pace: bool = True, flood: RedisFlood | None = None
) -> Bot:
    """``pace=False`` only for a Bot API server without flood limits (the tests' emulator);
    ``flood`` (``app.flood``): the budget this bot's processes share in Redis."""
    session = (
        BotSession(api=TelegramAPIServer.from_base(api_base.rstrip("/")))
        if api_base
        else BotSession()
    )
    # Handlers' direct replies share Telegram's limits with the outbox: each send waits for
    # its chat's slot, and a 429 that comes anyway is waited out rather than losing the reply.
    session.middleware(RetryAfter429())
    bot = Bot(token, session=session, default=DefaultBotProperties())
    if pace:
        session.middleware(PaceChats(shared=flood.for_bot(bot.id) if flood else None))
    return bot


def attach_sender(app: App, bot: Bot) -> OutboxSender:
    from bot.telegram_transport import TelegramTransport

    telegram = app.settings.telegram
    limits = Limits(
        telegram.messages_per_second,
        telegram.per_chat_interval_s,
        telegram.group_messages_per_minute,
    )

    async def on_blocked(row: Outbox) -> None:
        await _note_unreachable(app, row)

    shared = app.flood.for_bot(bot.id) if app.flood is not None else None
    app.sender = OutboxSender(
        app.sessions,
        TelegramTransport(bot),
        app.clock,
        limits,
        on_blocked,
        shared=shared,
        school_id=app.school_id,
    )
    return app.sender


async def _note_unreachable(app: App, row: Outbox) -> None:
    async with app.sessions.begin() as session:
        await people.mark_unreachable(session, row.school_id, row.tg_chat_id)


def start_scheduler(app: App, every_s: float = 30.0) -> AsyncIOScheduler:
    """One scheduler per deployment; the database's unique keys make a second one harmless.

    The first run is one interval after start: start-up has just ticked to catch up. (An
    explicit ``next_run_time=None`` would add the job *paused* in APScheduler 3: nothing
    would ever run again after start-up.)"""
    scheduler = AsyncIOScheduler(timezone=app.settings.school.timezone)
    scheduler.add_job(
        app.tick,
        "interval",
        seconds=every_s,
        id="tick",
        max_instances=1,
        coalesce=True,
        # A tick that finds the loop busy for a while still runs, late, rather than being
        # dropped as "missed" (APScheduler's default grace is one second).
        misfire_grace_time=None,
    )
    scheduler.start()
    app.scheduler = scheduler
    return scheduler


async def close_app(app: App) -> None:
    if app.scheduler is not None:
        app.scheduler.shutdown(wait=False)
    if app.sender is not None:
        app.sender.stop()
    if app.leader is not None:
        await app.leader.resign()
    if app.redis is not None:
        await app.redis.aclose()
    await app.engine.dispose()


if TYPE_CHECKING:  # mypy checks App is what handlers are promised (scheduler/app.py)
    _handlers_see: type[HandlerApp] = App
