"""A district (区教育局): many schools served by one process.

``district.toml`` lists the schools, each with its own config.toml and the name of the
environment variable holding its bot's token; they share one database (``database_url`` of
the district, or DATABASE_URL). The process builds one ``App`` per school on one engine and
session factory, one ``Bot`` per school, and ONE dispatcher for all the bots: each update is
handled with the App of the bot it came to (bot/middlewares.py ``SchoolOfBot``). One APScheduler job ticks every
school in turn; each school's outbox is drained by its own sender through its own bot. By
webhook each bot has its own path, ``{webhook_path}/{school slug}``, on one listening port;
polling polls every bot.

District admins (``[[admins]]``: Telegram user ids) get, in every school, a person with the
role ``district_admin`` (and nothing else there): ``/district today`` and ``/district notice``
in any school's bot (handlers/district.py, scheduler/district.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import tomllib
from dataclasses import dataclass
from pathlib import Path

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import setup_application
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.exc import IntegrityError

from bot.app import App, make_bot, open_school
from bot.core.clock import Clock, SystemClock
from bot.core.settings import ConfigError, Secrets, Settings, format_validation_error, load_settings
from scheduler.district import DISTRICT, DISTRICT_ADMIN
from scheduler.district import District as SchoolsOfDistrict
from storage import db, people
from storage.models import Person

log = logging.getLogger(__name__)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SchoolEntry(_Strict):
    config: Path
    token_env: str = Field(pattern=r"^[A-Z_][A-Z0-9_]*$")


class AdminEntry(_Strict):
    tg_user_id: int
    name: str = Field(default="区教育局", min_length=1, max_length=100)


class DistrictConfig(_Strict):
    name: str = Field(default="区教育局", min_length=1, max_length=100)
    # Every school's database: one for the district (DATABASE_URL overrides it).
    database_url: str = ""
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    webhook_path: str = "/telegram/webhook"
    admins: list[AdminEntry] = []
    schools: list[SchoolEntry] = Field(min_length=1)

    @field_validator("database_url")
    @classmethod
    def _driver(cls, value: str) -> str:
        if value and not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "expected 'sqlite+aiosqlite:///path.db' or 'postgresql+asyncpg://user@host/db'"
            )
        return value


@dataclass
class LoadedDistrict:
    config: DistrictConfig
    path: Path
    schools: list[tuple[Settings, SchoolEntry]]

    def database_url(self, secrets: Secrets | None = None) -> str:
        if secrets is not None and secrets.database_url is not None:
            return secrets.database_url.get_secret_value()
        if self.config.database_url:
            url = self.config.database_url
            prefix = "sqlite+aiosqlite:///"
            if url.startswith(prefix) and not url.startswith(prefix + "/"):
                # Relative to district.toml, as a school's is to its config.toml.
                url = prefix + str(self.path.resolve().parent / url.removeprefix(prefix))
            return url
        return self.schools[0][0].database_url

    def tokens(self, env: dict[str, str] | None = None) -> dict[str, str]:
        """Each school's token by slug; a missing one raises ConfigError naming it."""
        env = dict(os.environ) if env is None else env
        missing = [e.token_env for _, e in self.schools if not env.get(e.token_env)]
        if missing:
            raise ConfigError(
                f"{self.path}: no bot token in the environment for "
                + ", ".join(missing)
                + " (each school's [[schools]].token_env; a token from @BotFather)"
            )
        return {s.school.slug: env[e.token_env] for s, e in self.schools}


def load_district(path: Path | str) -> LoadedDistrict:
    """district.toml and every school's config.toml, or ConfigError naming each problem."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"district file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    flat = {**raw.pop("district", {}), **raw}
    try:
        config = DistrictConfig.model_validate(flat)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, str(path))) from None
    base = path.resolve().parent
    schools = []
    for entry in config.schools:
        school_path = entry.config if entry.config.is_absolute() else base / entry.config
        schools.append((load_settings(school_path), entry))
    slugs = [s.school.slug for s, _ in schools]
    doubles = sorted({slug for slug in slugs if slugs.count(slug) > 1})
    if doubles:
        raise ConfigError(f"{path}: two schools share the slug {', '.join(doubles)}")
    envs = [e.token_env for _, e in schools]
    if len(set(envs)) != len(envs):
        raise ConfigError(f"{path}: two schools read the same token_env")
    return LoadedDistrict(config, path, schools)


# The process's schools (scheduler/district.py), each an App of the composition root.
District = SchoolsOfDistrict[App]


async def open_district(
    district: LoadedDistrict, secrets: Secrets | None = None, clock: Clock | None = None
) -> District:
    """One engine, migrated once; one App per school on it; the district admins as persons."""
    engine = db.make_engine(district.database_url(secrets))
    await db.upgrade(engine)
    sessions = db.make_session_factory(engine)
    clock = clock or SystemClock()
    apps = [
        await open_school(settings, engine, sessions, clock) for settings, _ in district.schools
    ]
    found = District(district.config.name, apps)
    for app in apps:
        app.extras[DISTRICT] = found
        for attempt in range(3):
            try:
                await sync_district_admins(app, district.config.admins)
                break
            except IntegrityError:
                if attempt == 2:
                    raise
                await asyncio.sleep(0.2 * (attempt + 1))
    return found


async def sync_district_admins(app: App, admins: list[AdminEntry]) -> None:
    """Each district admin is a person of the school with the role ``district_admin``."""
    now = app.now()
    async with app.sessions.begin() as session:
        for admin in admins:
            person = await people.person_by_tg(session, app.school_id, admin.tg_user_id)
            if person is None:
                person = Person(
                    school_id=app.school_id,
                    display_name=admin.name,
                    tg_user_id=admin.tg_user_id,
                    created_at=now,
                )
                session.add(person)
                await session.flush()
                await session.refresh(person, ["roles"])
            await people.grant_role(session, person, DISTRICT_ADMIN, None, now)


async def tick_all(apps: list[App]) -> None:
    """Every school's tick in turn; one school's failure does not stop the others'."""
    for app in apps:
        try:
            await app.tick()
        except Exception:
            log.exception("the tick of %s failed", app.settings.school.slug)
        await asyncio.sleep(0)


def start_district_scheduler(district: District, every_s: float) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        tick_all,
        "interval",
        args=[district.apps],
        seconds=every_s,
        id="tick",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    scheduler.start()
    return scheduler


ROLES = ("web", "worker", "all")


def share_redis(apps: list[App], url: str) -> None:
    """One Redis client for every school of the process (each bot keeps its own flood
    budget in it, by bot id): several web workers share conversations and events isolation,
    several senders one budget per bot token (scheduler/flood.py)."""
    if not url:
        return
    from redis.asyncio import Redis

    from bot.app import flood_budget
    from scheduler.flood import RedisFlood

    client = Redis.from_url(url)
    for app in apps:
        app.redis = client
        app.flood = RedisFlood(
            client, flood_budget(app.settings), prefix=f"{app.settings.redis.prefix}:flood:"
        )


def district_leadership(district: District) -> None:
    """Exactly one worker ticks the whole district: one PostgreSQL advisory lock (on one
    connection) for all its schools, not one per school (100 schools, 100 connections held);
    the other workers stand by and take over within a tick interval. SQLite: always."""
    try:
        from storage.leader import AdvisoryLock, AlwaysLeads
    except ImportError:  # a checkout without the roles yet: its one process ticks
        return
    engine = district.apps[0].engine
    leader = (
        AdvisoryLock(engine, -district.apps[0].school_id, f"district {district.name}")
        if engine.dialect.name == "postgresql"
        else AlwaysLeads()
    )
    for app in district.apps:
        app.leader = leader


async def run_district(
    district: LoadedDistrict,
    secrets: Secrets,
    tokens: dict[str, str],
    api_base: str,
    webhook: bool,
    tick_seconds: float,
    role: str = "all",
) -> int:
    """``safety-bot run --district district.toml``: every school in this one process; with
    ``--role web`` only the updates of every school's bot, with ``--role worker`` only the
    tick (when this worker leads) and every school's sender (bot/roles.py)."""
    from bot.app import redis_url
    from bot.dispatching import make_dispatcher  # here: only a running district needs the routers
    from bot.runner import (
        StartupError,
        check_bot,
        freeze_startup_heap,
        register_commands,
        setup_code_if_needed,
        start_sender,
    )

    found = await open_district(district, secrets)
    apps = found.apps
    takes_updates, works = role != "worker", role != "web"
    bots: list[Bot] = []
    scheduler: AsyncIOScheduler | None = None
    senders: list[asyncio.Task[None]] = []
    try:
        if role != "all" and apps[0].engine.dialect.name != "postgresql":
            raise StartupError(
                f"--role {role} shares the database with other processes, which needs "
                "PostgreSQL; with SQLite run the district as one process (--role all)"
            )
        share_redis(apps, redis_url(apps[0].settings, secrets))
        for app in apps:
            base = api_base or app.settings.telegram.api_base
            bot = make_bot(tokens[app.settings.school.slug], base, flood=app.flood)
            bots.append(bot)
            app.extras["bot"] = bot
            found.bots[app.school_id] = bot
            await check_bot(app, bot)
            if takes_updates:
                code = await setup_code_if_needed(app)
                if code:
                    print(
                        f"No admin yet at {app.settings.school.slug}. The first admin sends "
                        f"@{app.bot_username}:  /start {code}  (valid 24 h)",
                        flush=True,
                    )
                await register_commands(bot)
            if works:
                senders.append(await start_sender(app, bot))
        if works:
            district_leadership(found)
            await tick_all(apps)
            scheduler = start_district_scheduler(found, tick_seconds)
        else:
            from storage.leader import NeverLeads

            for app in apps:
                app.leader = NeverLeads()  # a worker ticks; this process only takes updates
        log.info("district %s: %d schools in one process (--role %s)", found.name, len(apps), role)
        if not takes_updates:
            from bot.roles import wait_for_stop_signal

            freeze_startup_heap()
            await wait_for_stop_signal()
        elif webhook:
            assert secrets.webhook_secret is not None
            dispatcher = make_dispatcher(apps[0], schools=apps)
            await serve_district_webhook(
                district.config, apps, dispatcher, secrets.webhook_secret.get_secret_value()
            )
        else:
            dispatcher = make_dispatcher(apps[0], schools=apps)
            for bot in bots:
                await bot.delete_webhook(drop_pending_updates=False)
            freeze_startup_heap()
            await dispatcher.start_polling(
                *bots,
                handle_signals=True,
                close_bot_session=False,
                allowed_updates=dispatcher.resolve_used_update_types(),
            )
        if scheduler is not None:
            scheduler.shutdown(wait=False)
            scheduler = None
        if senders:
            try:
                from bot.roles import stop_sender
            except ImportError:  # a checkout without the roles yet
                for task in senders:
                    task.cancel()
                senders = []
            await asyncio.gather(
                *(
                    stop_sender(app, task)
                    for app, task in zip(apps, senders, strict=False)  # in the apps' order
                )
            )
        log.info("stopped cleanly")
        return 0
    except StartupError as exc:
        log.error("cannot start: %s", exc)
        print(f"Cannot start: {exc}", flush=True)
        return 2
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        for app in apps:
            if app.sender is not None:
                app.sender.stop()
        leader = getattr(apps[0], "leader", None)
        if leader is not None:
            await leader.resign()
        if apps[0].redis is not None:
            await apps[0].redis.aclose()
        await apps[0].engine.dispose()  # the one engine every school shares
        for bot in bots:
            await bot.session.close()


def webhook_path(config: DistrictConfig, slug: str) -> str:
    return f"{config.webhook_path.rstrip('/')}/{slug}"


async def serve_district_webhook(
    config: DistrictConfig, apps: list[App], dispatcher: Dispatcher, secret: str
) -> None:
    """One listening port, one path per school's bot, each bot's webhook set to it."""
    from bot.runner import StartupError, freeze_startup_heap
    from bot.webhook_reply import JsonReplyHandler

    if not config.webhook_url:
        raise StartupError("--webhook needs webhook_url in district.toml")
    web_app = web.Application()
    bots = [app.extras["bot"] for app in apps]
    for app, bot in zip(apps, bots, strict=True):
        path = webhook_path(config, app.settings.school.slug)
        JsonReplyHandler(dispatcher, bot, secret_token=secret, handle_in_background=False).register(
            web_app, path=path
        )
    setup_application(web_app, dispatcher, bot=bots[-1], bots=bots)
    for app, bot in zip(apps, bots, strict=True):
        await bot.set_webhook(
            config.webhook_url.rstrip("/") + webhook_path(config, app.settings.school.slug),
            secret_token=secret,
            allowed_updates=dispatcher.resolve_used_update_types(),
        )
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, config.webhook_listen, config.webhook_port).start()
    log.info(
        "webhook listening on %s:%s%s/<school>",
        config.webhook_listen,
        config.webhook_port,
        config.webhook_path,
    )
    freeze_startup_heap()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
