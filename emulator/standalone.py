"""Running the emulator as a process until SIGINT/SIGTERM (used by ``safety-bot emulator``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from pathlib import Path

from .flood import FloodConfig
from .server import DEFAULT_TOKEN, EmulatorServer
from .spec import BUNDLED_SPEC

logger = logging.getLogger("emulator")


async def serve(
    host: str = "127.0.0.1",
    port: int = 8081,
    spec_path: str | Path | None = BUNDLED_SPEC,
    token: str = DEFAULT_TOKEN,
    flood: bool = True,
    on_ready: Callable[[str], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve until ``stop`` is set or the process gets SIGINT/SIGTERM.

    ``on_ready`` gets the base URL once listening (useful with port 0). A missing
    spec file raises FileNotFoundError rather than silently skipping validation.
    """
    server = EmulatorServer(spec_path=spec_path, token=token, flood=FloodConfig(enabled=flood))
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Not available on every platform/thread; Ctrl+C then still ends asyncio.run.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop.set)
            installed.append(signum)
    try:
        url = await server.start(host, port)
        bot = server.bot
        logger.info(
            "emulator ready at %s (bot id %s, @%s; spec %s; flood limits %s)",
            url,
            bot.id if bot else "-",
            bot.username if bot else "-",
            server.spec.version if server.spec else "not loaded",
            "on" if flood else "off",
        )
        # On stdout for the person who started it: how to point the bot here. The token is
        # the emulator's own, not a secret; Telegram's real one never reaches the emulator.
        print(
            f"Bot API emulator at {url}. Run the bot against it with:\n"
            f"  BOT_TOKEN='{token}' safety-bot run --api-base {url}",
            flush=True,
        )
        if on_ready is not None:
            on_ready(url)
        await stop.wait()
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
        await server.stop()
        logger.info("emulator stopped")


def main(
    host: str = "127.0.0.1",
    port: int = 8081,
    spec_path: str | Path | None = BUNDLED_SPEC,
    token: str = DEFAULT_TOKEN,
    flood: bool = True,
) -> None:
    """Blocking entry point: run the emulator until SIGINT/SIGTERM."""
    if not logging.getLogger().handlers:
        # Without any logging set up the "ready at <url>" line would be invisible.
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    asyncio.run(serve(host, port, spec_path, token, flood))
