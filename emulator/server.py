"""EmulatorServer: the Bot API, file downloads and the control API on one aiohttp server."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from .client import EmulatorClient
from .control import ControlApi
from .dispatch import ApiDispatcher
from .faults import FaultAction, FaultInjector, FaultRule
from .flood import Clock, FloodConfig, FloodLimiter
from .http_api import BotApiRoutes, RedactingAccessLogger
from .models import BotAccount
from .spec import ApiSpec
from .webhook import WebhookDelivery
from .world import World

logger = logging.getLogger("emulator")

# Shaped like a real token (digits, colon, 35 url-safe characters) so clients accept it.
DEFAULT_TOKEN = "123456789:AAEmulatorDefaultToken-safety_bot00"
DEFAULT_BOT_USERNAME = "safety_emulator_bot"
MAX_REQUEST_BYTES = 60 * 1024 * 1024  # above Telegram's 50 MB upload limit, so it can say 413
SHUTDOWN_GRACE_SECONDS = 1.0


class EmulatorServer:
    """A local Telegram Bot API.

    Use as ``async with EmulatorServer(spec_path=...) as emu:``; ``emu.url`` is
    the base URL for ``TelegramAPIServer.from_base``, ``emu.token`` the default
    bot's token, ``emu.world`` the state, ``emu.client()`` a control API client.
    Flood limits are off unless ``flood`` is True or a FloodConfig.
    """

    def __init__(
        self,
        *,
        spec_path: str | Path | None = None,
        token: str | None = DEFAULT_TOKEN,
        bot_username: str = DEFAULT_BOT_USERNAME,
        bot_first_name: str = "Safety Bot",
        flood: bool | FloodConfig = False,
        clock: Clock = time.monotonic,
        webhook_max_attempts: int = 3,
        webhook_retry_delay: float = 0.2,
        webhook_timeout: float = 10.0,
    ) -> None:
        self.spec = ApiSpec.load(spec_path) if spec_path is not None else None
        self.world = World(clock=clock)
        flood_config = flood if isinstance(flood, FloodConfig) else FloodConfig(enabled=flood)
        self.flood = FloodLimiter(flood_config, clock)
        self.faults = FaultInjector()
        self.dispatcher = ApiDispatcher(
            self.world, spec=self.spec, flood=self.flood, faults=self.faults
        )
        self.webhooks = WebhookDelivery(
            self.world,
            self.dispatcher,
            max_attempts=webhook_max_attempts,
            retry_delay=webhook_retry_delay,
            request_timeout=webhook_timeout,
        )
        self.dispatcher.webhook_changed = self.webhooks.sync
        self.control = ControlApi(self.world, self.flood, self.faults, self.webhooks)
        self.bot: BotAccount | None = None
        if token is not None:
            self.bot = self.world.create_bot(
                token, first_name=bot_first_name, username=bot_username
            )
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._clients: list[EmulatorClient] = []

    # ------------------------------------------------------------- lifecycle

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        BotApiRoutes(self.world, self.dispatcher).install(app)
        self.control.install(app)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0 = any free port) and return the base URL."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        runner = web.AppRunner(
            self.build_app(),
            access_log_class=RedactingAccessLogger,
            handle_signals=False,
            shutdown_timeout=SHUTDOWN_GRACE_SECONDS,
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        url_host = f"[{bound_host}]" if ":" in bound_host else bound_host
        self._url = f"http://{url_host}:{bound_port}"
        self.webhooks.sync_all()
        logger.debug("Telegram Bot API emulator listening on %s", self._url)
        return self._url

    async def stop(self) -> None:
        for client in self._clients:
            await client.close()
        self._clients.clear()
        await self.webhooks.close()
        if self._runner is not None:
            # Long polls in flight answer with what they have instead of holding up shutdown.
            for bot in self.world.bots.values():
                bot.updates.wake()
            await self._runner.cleanup()
            self._runner = None
            self._url = None

    async def __aenter__(self) -> EmulatorServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # ----------------------------------------------------------- conveniences

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._url

    @property
    def token(self) -> str:
        if self.bot is None:
            raise RuntimeError("no default bot: the emulator was created with token=None")
        return self.bot.token

    def api_url(self, method: str, token: str | None = None) -> str:
        return f"{self.url}/bot{token or self.token}/{method}"

    def client(self) -> EmulatorClient:
        """A control API client bound to this server; closed by ``stop()`` if still open."""
        client = EmulatorClient(self.url, token=self.bot.token if self.bot else None)
        self._clients.append(client)
        return client

    def add_fault(
        self,
        action: FaultAction,
        method: str = "*",
        *,
        chat_id: int | None = None,
        status: int = 500,
        retry_after: int = 1,
        times: int | None = None,
        seconds: float = 0.0,
        for_seconds: float | None = None,
        probability: float = 1.0,
    ) -> FaultRule:
        return self.faults.add(
            action,
            method,
            chat_id=chat_id,
            status=status,
            retry_after=retry_after,
            times=times,
            seconds=seconds,
            for_seconds=for_seconds,
            probability=probability,
        )

    def set_flood(self, **changes: Any) -> FloodConfig:
        return self.flood.configure(**changes)

    def reset(self) -> None:
        """Same as the control API's reset: a fresh world, no faults, empty flood windows."""
        self.world.reset()
        self.faults.clear()
        self.flood.reset()
        if self._runner is not None:
            self.webhooks.sync_all()
