"""What the bench and both bot processes of ``bench.ingest`` share, importing only aiogram:
the tokens, the webhook secret, how an update is named on both sides of the process
boundary, the line each bot writes when an update is done, and the bots' command line.

The bare bot (bench/echo_bot.py) imports this and aiogram only, so that its process holds
what a bare aiogram bot holds, not the safety bot's modules too.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Dispatcher
from aiogram.types import TelegramObject, Update

BOT_TOKEN = "777001:BENCH-ingest-safety-bot-token-0123456"
ECHO_TOKEN = "777002:BENCH-ingest-echo-bot-token-01234567"
SECRET = "bench-webhook-secret"


def update_key(update: Update) -> str | None:
    """(chat, message) or the callback query's id: known to the emulator and to the bot."""
    if update.message is not None:
        return f"m:{update.message.chat.id}:{update.message.message_id}"
    if update.callback_query is not None:
        return f"c:{update.callback_query.id}"
    return None


class Finished(BaseMiddleware):
    """Tells the bench an update is done once its handlers have returned."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        finally:
            key = update_key(event) if isinstance(event, Update) else None
            if key is not None:
                self.writer.write(key.encode() + b"\n")


def track(dispatcher: Dispatcher, writer: asyncio.StreamWriter) -> None:
    # First of the outer middlewares, so the time covers the actor lookup and the FSM too.
    dispatcher.update.outer_middleware._middlewares.insert(0, Finished(writer))


Run = Callable[[argparse.Namespace, asyncio.StreamWriter], Awaitable[None]]


def bot_main(prog: str, run: Run) -> None:
    """``python -m <prog> --api URL --port PORT --notify PORT --dir DIR --people N [--stock]``"""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--api", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--notify", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--people", type=int, required=True)
    parser.add_argument("--stock", action="store_true", help="[storage] fast_sqlite = false")
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_notifying(run, parser.parse_args()))


async def _notifying(run: Run, args: argparse.Namespace) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", args.notify)
    try:
        await run(args, writer)
    finally:
        writer.close()
