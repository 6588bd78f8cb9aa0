"""The safety bot under test in ``bench.ingest``, in a process of its own.

    python -m bench.ingest_bot --api URL --port PORT --notify PORT --dir DIR --people N [--stock]

It runs as ``safety-bot run --webhook`` runs it (the same start-up, sender, scheduler and
webhook server from bot.runner), with the bench's clock standing at the prompt time. It
writes one line to the bench's notify port when an update's handlers have finished (the
update's key), so the bench can time updates end to end without sharing a process, and a
core, with the bot. The bare bot it is compared with is bench/echo_bot.py.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bench.ingest_school import PROMPT_AT, bench_settings
from bench.ingest_wire import BOT_TOKEN, SECRET, bot_main, track
from bot.app import close_app, make_bot, open_app
from bot.core.clock import FakeClock
from bot.dispatching import make_dispatcher
from bot.runner import serve_webhook, start_background


async def run_safety(args: argparse.Namespace, writer: asyncio.StreamWriter) -> None:
    settings = bench_settings(args.people, Path(args.dir), args.port, fast_sqlite=not args.stock)
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


if __name__ == "__main__":
    bot_main("bench.ingest_bot", run_safety)
