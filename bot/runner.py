"""Running the bot: start-up checks, the sender and the scheduler, polling or webhook."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import logging
import signal

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramUnauthorizedError
from aiogram.types import BotCommand, BotCommandScopeDefault
from aiogram.webhook.aiohttp_server import setup_application
from aiohttp import web

from bot.app import App, attach_sender, start_scheduler
from bot.core.i18n import t
from bot.core.settings import TelegramSettings
from bot.webhook_reply import JsonReplyHandler
from scheduler import admin
from scheduler.admin import PRIVACY_ON
from storage import people
from storage.leader import tick_leadership

log = logging.getLogger(__name__)

COMMANDS = (
    "start",
    "help",
    "report",
    "today",
    "zero",
    "duty",
    "patrol",
    "hazard",
    "hazards",
    "bus",
    "drill",
    "absent",
    "leave",
    "notice",
    "plan",
    "invite",
    "pupils",
    "bind",
    "export",
    "lang",
    "mydata",
    "forget",
    "cancel",
)


class StartupError(Exception):
    """A problem the operator must fix; the message says what to do."""


async def check_bot(app: App, bot: Bot) -> None:
    try:
        me = await bot.get_me()
    except TelegramUnauthorizedError as exc:
        raise StartupError(
            "the Bot API refused the token (401 Unauthorized): check BOT_TOKEN from @BotFather"
        ) from exc
    app.bot_username = me.username or app.bot_username
    log.info("connected as @%s (id %s)", me.username, me.id)
    # Kept for the first admin: on a school's first run there is nobody to tell yet, so
    # the principal's /start CODE tells them (handlers/onboarding.py).
    app.extras[PRIVACY_ON] = not me.can_read_all_group_messages
    if app.extras[PRIVACY_ON]:
        log.warning(
            "group privacy mode is on: photos posted in class groups will not reach the bot"
        )
        await tell_admins_of_privacy_mode(app)


async def tell_admins_of_privacy_mode(app: App) -> None:
    """The privacy-mode warning to every admin, once a day (scheduler/admin.py)."""
    await admin.tell_admins_of_privacy_mode(
        app.sessions, app.school_id, app.today(), app.now(), app.settings.school.language
    )
    app.wake_sender()


async def register_commands(bot: Bot) -> None:
    for lang in ("zh", "en"):
        commands = [BotCommand(command=c, description=t(lang, f"cmd.{c}")) for c in COMMANDS]
        await bot.set_my_commands(
            commands, scope=BotCommandScopeDefault(), language_code=None if lang == "zh" else lang
        )


async def setup_code_if_needed(app: App, ttl: dt.timedelta = dt.timedelta(hours=24)) -> str | None:
    """While the school has no admin, a one-time code makes the first one."""
    async with app.sessions.begin() as session:
        if await people.count_admins(session, app.school_id):
            return None
        token, _ = await people.create_invite(
            session, app.school_id, "admin", None, None, app.now(), ttl, 1
        )
    return token


async def start_sender(app: App, bot: Bot) -> asyncio.Task[None]:
    """The outbox sender, running, after taking back what a previous run had claimed."""
    sender = attach_sender(app, bot)
    recovered = await sender.recover()
    if recovered:
        log.info("re-queued %d messages a previous run had claimed", recovered)
    return asyncio.create_task(sender.run(), name="outbox-sender")


async def start_background(app: App, bot: Bot, tick_seconds: float = 30.0) -> asyncio.Task[None]:
    """The sender, a catch-up tick for what fell due while the bot was down, then the tick
    on its interval (the simulation and the demo move their own clock instead). On
    PostgreSQL only the process holding the school's tick lock ticks (storage/leader.py);
    the others try again at each interval."""
    sending = await start_sender(app, bot)
    if app.leader is None:
        app.leader = tick_leadership(app.engine, app.school_id, app.settings.school.slug)
    await app.tick()
    start_scheduler(app, tick_seconds)
    return sending


def freeze_startup_heap() -> None:
    """What start-up built (modules, mappers, pydantic models, the routers) lives as long as
    the process: the collector stops scanning it. Each full collection went over some
    370,000 such objects, 0.25–0.3 s a time, 12 % of the bot's CPU under load, and held
    every update waiting meanwhile (bench/ingest.py: p99 365 → 124 ms)."""
    gc.collect()
    gc.freeze()


async def serve_polling(app: App, bot: Bot, dispatcher: Dispatcher) -> None:
    await bot.delete_webhook(drop_pending_updates=False)
    freeze_startup_heap()
    await dispatcher.start_polling(
        bot,
        handle_signals=True,
        close_bot_session=False,
        allowed_updates=dispatcher.resolve_used_update_types(),
    )


async def serve_webhook(
    telegram: TelegramSettings, bot: Bot, dispatcher: Dispatcher, secret: str
) -> None:
    runner = await start_webhook(telegram, bot, dispatcher, secret)
    freeze_startup_heap()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


async def start_webhook(
    telegram: TelegramSettings, bot: Bot, dispatcher: Dispatcher, secret: str
) -> web.AppRunner:
    """The webhook server, listening, and the webhook set; ``cleanup()`` the runner to stop.

    Each update is handled inside its request (``handle_in_background=False``): a handler's
    returned method goes back in the response, and Telegram sends a chat's next update only
    once this one is answered, so a conversation is handled in the order it was typed.
    """
    if not telegram.webhook_url:
        raise StartupError("--webhook needs [telegram].webhook_url in config.toml")
    web_app = web.Application()
    JsonReplyHandler(dispatcher, bot, secret_token=secret, handle_in_background=False).register(
        web_app, path=telegram.webhook_path
    )
    setup_application(web_app, dispatcher, bot=bot)
    await bot.set_webhook(
        telegram.webhook_url.rstrip("/") + telegram.webhook_path,
        secret_token=secret,
        allowed_updates=dispatcher.resolve_used_update_types(),
    )
    # No access log: every request is Telegram delivering an update, and aiogram already logs
    # each handled update with its duration.
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, telegram.webhook_listen, telegram.webhook_port)
    await site.start()
    log.info(
        "webhook listening on %s:%s%s",
        telegram.webhook_listen,
        telegram.webhook_port,
        telegram.webhook_path,
    )
    return runner
