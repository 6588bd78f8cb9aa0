"""The bare bot of ``bench.ingest``: aiogram that only answers, for the ratio.

    python -m bench.echo_bot --api URL --port PORT --notify PORT --dir DIR --people N

A message gets one reply with a button, a press gets answerCallbackQuery, each as a Bot API
call. It is served the way aiogram's own webhook example serves a bot (SimpleRequestHandler,
each update handled in its request), on the same HTTP session class as the safety bot, whose
cached response types fix a slowdown of aiogram's (bot/telegram_session.py): the bare bot
should not lose by a bug the safety bot has worked around. Nothing of the safety bot is
imported, so the process holds what a bare aiogram bot holds, and its garbage collector
has no more to scan than one.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bench.ingest_wire import ECHO_TOKEN, SECRET, bot_main, track
from bot.telegram_session import BotSession

PATH = "/webhook"


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


async def run_echo(args: argparse.Namespace, writer: asyncio.StreamWriter) -> None:
    bot = Bot(ECHO_TOKEN, session=BotSession(api=TelegramAPIServer.from_base(args.api)))
    dispatcher = Dispatcher()
    dispatcher.include_router(echo_router())
    track(dispatcher, writer)
    web_app = web.Application()
    SimpleRequestHandler(dispatcher, bot, secret_token=SECRET, handle_in_background=False).register(
        web_app, path=PATH
    )
    setup_application(web_app, dispatcher, bot=bot)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.port).start()
    await bot.set_webhook(f"http://127.0.0.1:{args.port}{PATH}", secret_token=SECRET)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await bot.session.close()


if __name__ == "__main__":
    bot_main("bench.echo_bot", run_echo)
