"""The webhook request handler: an update is handled inside its request, and a handler's
returned method (``return query.answer()``) is the request's response.

That saves a Bot API call per button press. aiogram writes such a reply as multipart form
data, which costs about what the call it saves did (bench/ingest.py: no gain); Telegram
also takes a JSON body, which is what this handler writes when the method sends no file.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.methods import TelegramMethod
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import JsonPayload, Payload


class JsonReplyHandler(SimpleRequestHandler):
    def _build_response_writer(self, bot: Bot, result: TelegramMethod[Any] | None) -> Payload:
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
