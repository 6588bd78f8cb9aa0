"""Webhook delivery: pending updates are POSTed to the bot's URL, in order within a chat.

Like Telegram, up to the webhook's ``max_connections`` (default 40) deliveries are in
flight at once, and a chat's next update waits until its previous one was answered: a
conversation arrives in the order it was typed, while other chats go on.

A failed delivery is retried a few times and then dropped, recording
last_error_* for getWebhookInfo. A bot may answer a delivery with a method
call in the response body (aiogram does, with handle_in_background=False);
the call is executed like Telegram does, and its outcome is not reported back.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import Callable
from typing import Any

import aiohttp

from .dispatch import ApiDispatcher
from .models import BotAccount, WebhookConfig
from .params import Params, UploadedFile
from .world import World

logger = logging.getLogger("emulator.webhook")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# How far into a backlog the delivery looks for a chat that is free.
SCAN_LIMIT = 1000
# The update kinds whose object says which chat they belong to, and where.
_CHAT_OF = (
    ("message", ("chat", "id")),
    ("edited_message", ("chat", "id")),
    ("channel_post", ("chat", "id")),
    ("edited_channel_post", ("chat", "id")),
    ("my_chat_member", ("chat", "id")),
    ("chat_member", ("chat", "id")),
    ("chat_join_request", ("chat", "id")),
    ("callback_query", ("message", "chat", "id")),
)


def _call_finished(
    finished: Callable[[int, int | None], None],
    update_id: int,
    chat: int | None,
    _task: asyncio.Task[None],
) -> None:
    finished(update_id, chat)


def chat_of(update: dict[str, Any]) -> int | None:
    """The chat whose order an update keeps (its sender's, for a button under no message)."""
    for kind, path in _CHAT_OF:
        value: Any = update.get(kind)
        if value is None:
            continue
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        if isinstance(value, int):
            return value
        sender = update[kind].get("from", {}).get("id")
        return sender if isinstance(sender, int) else None
    return None


class WebhookDelivery:
    def __init__(
        self,
        world: World,
        dispatcher: ApiDispatcher,
        *,
        max_attempts: int = 3,
        retry_delay: float = 0.2,
        request_timeout: float = 10.0,
    ) -> None:
        self.world = world
        self.dispatcher = dispatcher
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self.request_timeout = request_timeout
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._in_flight: dict[int, dict[int, asyncio.Task[None]]] = {}
        self._session: aiohttp.ClientSession | None = None
        # Called with each update once delivered: answered, and the method in the answer
        # executed. Benchmarks time updates by it.
        self.delivered: list[Callable[[BotAccount, dict[str, Any]], None]] = []

    def sync(self, bot: BotAccount) -> None:
        """Start or stop the bot's delivery loop to match whether a webhook is set."""
        task = self._tasks.get(bot.id)
        if bot.webhook is not None:
            if task is None or task.done():
                self._tasks[bot.id] = asyncio.get_running_loop().create_task(
                    self._run(bot), name=f"webhook-delivery-{bot.id}"
                )
        elif task is not None:
            task.cancel()
            del self._tasks[bot.id]

    def in_flight(self, bot_id: int) -> list[int]:
        """The ids of the bot's updates being delivered right now, oldest first."""
        return sorted(self._in_flight.get(bot_id, {}))

    def sync_all(self) -> None:
        for bot in self.world.bots.values():
            self.sync(bot)

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.request_timeout)
            )
        return self._session

    async def _run(self, bot: BotAccount) -> None:
        kick = asyncio.Event()
        unsubscribe = bot.updates.subscribe(kick.set)
        in_flight: dict[int, asyncio.Task[None]] = self._in_flight.setdefault(bot.id, {})
        busy_chats: set[int | None] = set()

        def finished(update_id: int, chat: int | None) -> None:
            in_flight.pop(update_id, None)
            busy_chats.discard(chat)
            kick.set()

        try:
            while bot.webhook is not None:
                kick.clear()
                self._start_ready(bot, in_flight, busy_chats, finished)
                await kick.wait()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("webhook delivery loop of bot %s failed", bot.id)
        finally:
            unsubscribe()
            for task in in_flight.values():
                task.cancel()

    def _start_ready(
        self,
        bot: BotAccount,
        in_flight: dict[int, asyncio.Task[None]],
        busy_chats: set[int | None],
        finished: Callable[[int, int | None], None],
    ) -> None:
        """Starts the oldest updates whose chat has nothing in flight, up to the limit."""
        hook = bot.webhook
        if hook is None:
            return
        waiting = set(busy_chats)  # a chat with an update in flight or waiting before this one
        for update in bot.updates.peek(SCAN_LIMIT):
            if len(in_flight) >= hook.max_connections:
                return
            update_id = update["update_id"]
            if update_id in in_flight:
                continue
            chat = chat_of(update)
            if chat is not None:  # updates of no chat keep no order
                if chat in waiting:
                    continue
                waiting.add(chat)
                busy_chats.add(chat)
            task = asyncio.create_task(self._deliver(bot, update))
            task.add_done_callback(functools.partial(_call_finished, finished, update_id, chat))
            in_flight[update_id] = task

    async def _deliver(self, bot: BotAccount, update: dict[str, Any]) -> None:
        stats = self.world.stats
        body = json.dumps(update, ensure_ascii=False).encode()
        for attempt in range(1, self.max_attempts + 1):
            hook = bot.webhook
            if hook is None:
                return  # deleted meanwhile: the update stays for getUpdates
            error = await self._post(bot, hook, body)
            if error is None:
                stats.webhook_deliveries += 1
                bot.updates.discard(update["update_id"])
                for listener in self.delivered:
                    listener(bot, update)
                return
            stats.webhook_failures += 1
            hook.last_error_date = self.world.now()
            hook.last_error_message = error
            if attempt < self.max_attempts:
                await asyncio.sleep(self.retry_delay * attempt)
        stats.webhook_dropped += 1
        logger.warning(
            "bot %s: dropped update %s after %d failed webhook deliveries",
            bot.id,
            update["update_id"],
            self.max_attempts,
        )
        bot.updates.discard(update["update_id"])

    async def _post(self, bot: BotAccount, hook: WebhookConfig, body: bytes) -> str | None:
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers[SECRET_HEADER] = hook.secret_token
        try:
            async with self._client().post(hook.url, data=body, headers=headers) as response:
                if not 200 <= response.status < 300:
                    return f"Wrong response from the webhook: {response.status} {response.reason}"
                await self._execute_reply(bot, response)
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientError as exc:
            return f"Connection failed: {type(exc).__name__}"
        return None

    async def _execute_reply(self, bot: BotAccount, response: aiohttp.ClientResponse) -> None:
        values: dict[str, Any] = {}
        uploads: dict[str, UploadedFile] = {}
        if response.content_type == "application/json":
            with contextlib.suppress(ValueError, aiohttp.ContentTypeError):
                payload = await response.json()
                if isinstance(payload, dict):
                    values = payload
        elif response.content_type.startswith("multipart/"):
            reader = aiohttp.MultipartReader(response.headers, response.content)
            async for part in reader:
                if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    content_type = part.headers.get(aiohttp.hdrs.CONTENT_TYPE, "")
                    uploads[part.name] = UploadedFile(
                        part.filename, content_type, bytes(await part.read())
                    )
                else:
                    values[part.name] = await part.text()
        method = values.pop("method", None)
        if not isinstance(method, str):
            return
        values.update(uploads)
        self.world.stats.webhook_replies[method] += 1
        status, result = await self.dispatcher.call(
            bot.token, method, Params(values, uploads), inject_faults=False
        )
        if status != 200:
            logger.debug("bot %s: webhook reply %s failed: %s", bot.id, method, result)
