"""The HTTP session every Bot API call goes through: aiogram's, minus a rebuild on every call.

aiogram parses each answer as ``Response[<the method's return type>]``, a pydantic generic
it parametrises per call. pydantic caches parametrised generics in a weak dictionary, and
nothing else holds them, so each garbage collection dropped them and the next call built
the class again: 2–10 ms of schema building, several times a second on a busy bot
(py-spy on bench/ingest.py: 8–13 % of the process). Holding each one here keeps it cached.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

if TYPE_CHECKING:
    from aiogram import Bot

_RESPONSE_TYPES: dict[Any, type[Response[Any]]] = {}


class BotSession(AiohttpSession):
    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in _RESPONSE_TYPES:
            _RESPONSE_TYPES[returning] = Response[returning]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)
