"""The webhook request handler: an update is handled inside its request, and a handler's
returned method (``return query.answer()``, ``return message.answer(...)``) is the
request's response: one Bot API call fewer.

aiogram writes such a reply as multipart form data, which costs about what the call it
saves did (bench/ingest.py: no gain); Telegram also takes a JSON body, which is what this
handler writes when the method sends no file.

A message sent that way leaves the moment Telegram reads the response, so it cannot wait
for its chat's slot under the flood limits (bot/request_limits.py): it goes in the response
only when the slot is free now, and otherwise as a call of its own, which waits for it.
Several processes answering for one bot ask their shared budget in Redis for that slot.
Polling has no response: aiogram makes a returned method a call, paced the same way.

A request with the right secret but a body that is no update (not JSON, a JSON array, an
object Telegram would never send) is answered 400 with one log line, not 500 and a traceback.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import JsonPayload, Payload, web

from bot.request_limits import PaceChats, paced_chat

log = logging.getLogger(__name__)
MAX_LOGGED = 200  # characters of the reason a body was refused


class JsonReplyHandler(SimpleRequestHandler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._later: set[asyncio.Task[None]] = set()

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        try:
            raw = await request.json(loads=bot.session.json_loads)
            update = Update.model_validate(raw, context={"bot": bot})
        except ValueError as exc:  # bad JSON, bad UTF-8, pydantic's ValidationError
            reason = " ".join(str(exc).split())[:MAX_LOGGED]
            log.warning("webhook: refused a body that is no update (400): %s", reason)
            return web.Response(status=400, text="Bad Request: the body is not an update")
        result: TelegramMethod[Any] | None = await self.dispatcher.feed_webhook_update(
            bot, update, **self.data
        )
        if result is not None and not await _shared_slot_free(bot, result):
            self._send_later(bot, result)
            result = None
        return web.Response(body=self._build_response_writer(bot=bot, result=result))

    def _build_response_writer(self, bot: Bot, result: TelegramMethod[Any] | None) -> Payload:
        if result is not None and not _may_leave_now(bot, result):
            self._send_later(bot, result)
            result = None
        if not result:
            return JsonPayload({})
        files: dict[str, Any] = {}
        values = {
            key: prepared
            for key, value in result.model_dump(warnings=False).items()
            if (prepared := bot.session.prepare_value(value, bot, files, _dumps_json=False))
            is not None
        }
        if files:
            return super()._build_response_writer(bot, result)
        return JsonPayload(
            {"method": result.__api_method__, **values}, dumps=bot.session.json_dumps
        )

    def _send_later(self, bot: Bot, method: TelegramMethod[Any]) -> None:
        task = asyncio.create_task(Dispatcher.silent_call_request(bot, method))
        self._later.add(task)  # held until done: the loop keeps only a weak reference
        task.add_done_callback(self._later.discard)


def _pacer(bot: Bot) -> PaceChats | None:
    return next((m for m in bot.session.middleware if isinstance(m, PaceChats)), None)


def _may_leave_now(bot: Bot, method: TelegramMethod[Any]) -> bool:
    chat_id = paced_chat(method)
    if chat_id is None:
        return True
    pacer = _pacer(bot)
    # A shared budget was asked in _shared_slot_free already.
    return pacer is None or pacer.shared is not None or pacer.take_now(chat_id)


async def _shared_slot_free(bot: Bot, method: TelegramMethod[Any]) -> bool:
    """The slot in the budget this bot's processes share (Redis), taken if free now."""
    chat_id = paced_chat(method)
    pacer = _pacer(bot)
    if chat_id is None or pacer is None or pacer.shared is None:
        return True
    return await pacer.shared.take_now(chat_id)
