"""The Bot API over HTTP: request parsing, Telegram-shaped responses, file downloads."""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import FileField

from .dispatch import ApiDispatcher
from .errors import ApiError, DropConnection, bad_request, not_found, unauthorized
from .params import Params, UploadedFile
from .world import World

logger = logging.getLogger("emulator")
access_logger = logging.getLogger("emulator.access")
_TOKEN_IN_PATH = re.compile(r"/bot[^/]+/")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def dump_json(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=dump_json(body), status=status, content_type="application/json")


def redact(path: str) -> str:
    """The request path with any bot token replaced, so tokens never reach the logs."""
    return _TOKEN_IN_PATH.sub("/bot<token>/", path)


class RedactingAccessLogger(AbstractAccessLogger):
    """Access log at DEBUG level (benchmarks make many requests) with tokens removed."""

    @property
    def enabled(self) -> bool:
        return access_logger.isEnabledFor(logging.DEBUG)

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if self.enabled:
            access_logger.debug(
                "%s %s -> %s in %.1f ms",
                request.method,
                redact(request.path),
                response.status,
                time * 1000,
            )


async def read_params(request: web.Request) -> Params:
    """Parameters from the query string and a JSON, urlencoded or multipart body."""
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, UploadedFile] = {}
    if request.body_exists:
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = json.loads(await request.read() or b"{}")
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad_request("JSON object expected")
            values.update(body)
        elif content_type in FORM_TYPES:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, FileField):
                    filename = _decode_filename(value.filename)
                    upload = UploadedFile(filename, value.content_type, value.file.read())
                    uploads[key] = upload
                    values[key] = upload
                else:
                    values[key] = value
    return Params(values, uploads)


def _decode_filename(filename: str) -> str:
    # aiohttp's FormData percent-encodes non-ASCII file names by default (quote_fields=True).
    if "%" not in filename:
        return filename
    try:
        return unquote(filename, errors="strict")
    except UnicodeDecodeError:
        return filename


def drop_connection(request: web.Request) -> web.Response:
    """Close the socket without answering; the response returned is never written."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=500)


class BotApiRoutes:
    def __init__(self, world: World, dispatcher: ApiDispatcher) -> None:
        self.world = world
        self.dispatcher = dispatcher

    def install(self, app: web.Application) -> None:
        app.router.add_route("POST", "/bot{token}/{method}", self.handle_call)
        app.router.add_route("GET", "/bot{token}/{method}", self.handle_call)
        app.router.add_route("GET", "/file/bot{token}/{file_path:.+}", self.handle_download)

    async def handle_call(self, request: web.Request) -> web.Response:
        try:
            params = await read_params(request)
        except ApiError as exc:
            return json_response(exc.to_payload(), exc.error_code)
        try:
            status, body = await self.dispatcher.call(
                request.match_info["token"], request.match_info["method"], params
            )
        except DropConnection:
            return drop_connection(request)
        return json_response(body, status)

    async def handle_download(self, request: web.Request) -> web.Response:
        if self.world.bot_by_token(request.match_info["token"]) is None:
            error = unauthorized()
            return json_response(error.to_payload(), error.error_code)
        stored = self.world.files.by_path(request.match_info["file_path"])
        if stored is None:
            error = not_found()
            return json_response(error.to_payload(), error.error_code)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )
