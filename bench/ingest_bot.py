"""The bot under test in ``bench.ingest``, in a process of its own.

    python -m bench.ingest_bot safety|echo --api URL --port PORT --notify PORT --dir DIR --people N

``safety`` is the bot as ``safety-bot run --webhook`` runs it (the same start-up, sender,
scheduler and webhook server from bot.runner) with the bench's clock standing at the prompt
time; ``echo`` is a bare aiogram bot that only answers. Each writes one line to the bench's
notify port when an update's handlers have finished (the update's key), so the bench can time
updates end to end without sharing a process, and a core, with the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiogram import BaseMiddleware, Dispatcher, F, Router
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
    Update,
)

from bench.ingest_school import (
    BOT_TOKEN,
    ECHO_TOKEN,
    PROMPT_AT,
    SECRET,
    bench_settings,
    update_key,
)
from bot.app import close_app, make_bot, make_dispatcher, open_app
from bot.runner import serve_webhook, start_background
from scheduler.clock import FakeClock

log = logging.getLogger("bench.ingest_bot")


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


async def run_safety(args: argparse.Namespace, writer: asyncio.StreamWriter) -> None:
    settings = bench_settings(args.people, Path(args.dir), args.port)
    app = await open_app(settings, clock=FakeClock(PROMPT_AT.replace(tzinfo=settings.school.tz)))
    # No flood limits on the bench's emulator, and people who answer faster than anyone can:
    # the per-chat pace (one message a second, Telegram's rule) would time only itself.
    bot = make_bot(BOT_TOKEN, args.api, pace=False)
    try:
        sender_task = await start_background(app, bot)
        dispatcher = make_dispatcher(app)
        track(dispatcher, writer)
        await serve_webhook(settings.telegram, bot, dispatcher, SECRET)
        sender_task.cancel()
    finally:
        await close_app(app)
        await bot.session.close()


async def run_echo(args: argparse.Namespace, writer: asyncio.StreamWriter) -> None:
    settings = bench_settings(args.people, Path(args.dir), args.port)
    bot = make_bot(ECHO_TOKEN, args.api, pace=False)
    dispatcher = Dispatcher()
    dispatcher.include_router(echo_router())
    track(dispatcher, writer)
    try:
        await serve_webhook(settings.telegram, bot, dispatcher, SECRET)  # the same server
    finally:
        await bot.session.close()


async def main_async(args: argparse.Namespace) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", args.notify)
    try:
        await (run_safety if args.kind == "safety" else run_echo)(args, writer)
    finally:
        writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.ingest_bot")
    parser.add_argument("kind", choices=("safety", "echo"))
    parser.add_argument("--api", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--notify", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--people", type=int, required=True)
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
