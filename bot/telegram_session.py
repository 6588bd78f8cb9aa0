"""The HTTP session every Bot API call goes through: aiogram's, minus a rebuild on every call.

aiogram parses each answer as ``Response[<the method's return type>]``, a pydantic generic
it parametrises per call. pydantic caches parametrised generics in a weak dictionary, and
nothing else holds them, so each garbage collection dropped them and the next call built
the class again: 2–10 ms of schema building, several times a second on a busy bot
(py-spy on bench/ingest.py: 8–13 % of the process). Holding each one here keeps it cached.

It also tells, for a call that failed without an answer, whether the request had been
written (``watch_request``): a connect error means Telegram never saw it, a timeout or a
reset after the request left means it may have been delivered.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from aiogram import __version__ as aiogram_version
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiohttp import ClientSession, TraceConfig
from aiohttp.hdrs import USER_AGENT
from aiohttp.http import SERVER_SOFTWARE

if TYPE_CHECKING:
    from aiogram import Bot

_RESPONSE_TYPES: dict[Any, type[Response[Any]]] = {}


@dataclass
class RequestProgress:
    written: bool = False  # the request's headers (and maybe its body) left this process


_PROGRESS: ContextVar[RequestProgress | None] = ContextVar("bot_request_progress", default=None)


@contextmanager
def watch_request() -> Iterator[RequestProgress]:
    """Within the block, Bot API calls of this task report whether their request was written."""
    progress = RequestProgress()
    token = _PROGRESS.set(progress)
    try:
        yield progress
    finally:
        _PROGRESS.reset(token)


async def _written(session: ClientSession, context: SimpleNamespace, params: Any) -> None:
    # aiohttp writes the body from a task copied from the caller's context: same object.
    progress = _PROGRESS.get()
    if progress is not None:
        progress.written = True


_TRACE = TraceConfig()
_TRACE.on_request_headers_sent.append(_written)
_TRACE.on_request_chunk_sent.append(_written)
_TRACE.freeze()


class BotSession(AiohttpSession):
    async def create_session(self) -> ClientSession:
        # aiogram's own, with the trace that tells a written request from a refused one.
        if self._should_reset_connector:
            await self.close()
        if self._session is None or self._session.closed:
            self._session = ClientSession(
                connector=self._connector_type(**self._connector_init),
                headers={USER_AGENT: f"{SERVER_SOFTWARE} aiogram/{aiogram_version}"},
                trace_configs=[_TRACE],
            )
            self._should_reset_connector = False
        return self._session

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in _RESPONSE_TYPES:
            _RESPONSE_TYPES[returning] = Response[returning]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)
