"""Webhook delivery to a tiny aiohttp receiver: order, secret header, retries, replies."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from emulator import EmulatorClient, EmulatorServer

from .conftest import RawApi

SECRET = "s3cret_TOKEN-1"


class Receiver:
    """Records webhook deliveries; ``fail_first`` deliveries get a 500, ``reply`` is answered."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.secrets: list[str | None] = []
        self.fail_first = 0
        self.reply: dict[str, Any] | None = None
        self.arrived = asyncio.Event()
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.secrets.append(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        if self.fail_first > 0:
            self.fail_first -= 1
            return web.Response(status=500)
        self.received.append(await request.json())
        self.arrived.set()
        if self.reply is not None:
            return web.json_response(self.reply)
        return web.json_response({})

    async def wait_for(self, count: int, seconds: float = 3.0) -> list[dict[str, Any]]:
        async def enough() -> None:
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(enough(), seconds)
        return self.received


@contextlib.asynccontextmanager
async def listening(target: Receiver) -> AsyncIterator[None]:
    """The receiver on a local port; its ``url`` is where to point the webhook."""
    app = web.Application()
    app.router.add_post("/hook", target.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    target.url = f"http://{host}:{port}/hook"
    try:
        yield
    finally:
        await runner.cleanup()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    target = Receiver()
    async with listening(target):
        yield target


async def test_updates_are_posted_in_order_with_the_secret_header(
    api: RawApi, client: EmulatorClient, receiver: Receiver
) -> None:
    user = await client.create_user("Hana")
    await client.send_text(user["id"], "pending before the webhook")
    assert await api.ok("setWebhook", {"url": receiver.url, "secret_token": SECRET}) is True
    for index in range(5):
        await client.send_text(user["id"], f"live {index}")
    delivered = await receiver.wait_for(6)
    assert [u["message"]["text"] for u in delivered] == [
        "pending before the webhook",
        *(f"live {index}" for index in range(5)),
    ]
    ids = [u["update_id"] for u in delivered]
    assert ids == sorted(ids)
    assert set(receiver.secrets) == {SECRET}
    info = await api.ok("getWebhookInfo")
    assert info["url"] == receiver.url
    assert info["pending_update_count"] == 0
    assert "last_error_date" not in info


async def test_without_a_secret_no_header_is_sent(
    api: RawApi, client: EmulatorClient, receiver: Receiver
) -> None:
    await api.ok("setWebhook", {"url": receiver.url})
    user = await client.create_user("Ivy")
    await client.send_text(user["id"], "hello")
    await receiver.wait_for(1)
    assert receiver.secrets == [None]


async def test_failed_deliveries_are_retried_and_reported(
    api: RawApi, client: EmulatorClient, receiver: Receiver
) -> None:
    receiver.fail_first = 2  # the emulator tries 3 times per update
    await api.ok("setWebhook", {"url": receiver.url, "secret_token": SECRET})
    user = await client.create_user("Jon")
    await client.send_text(user["id"], "eventually")
    delivered = await receiver.wait_for(1)
    assert delivered[0]["message"]["text"] == "eventually"
    info = await api.ok("getWebhookInfo")
    assert (
        info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    )
    stats = await client.stats()
    assert (stats["webhook_failures"], stats["webhook_deliveries"]) == (2, 1)


async def test_an_update_is_dropped_after_the_last_retry(
    api: RawApi, client: EmulatorClient, receiver: Receiver
) -> None:
    receiver.fail_first = 3
    await api.ok("setWebhook", {"url": receiver.url})
    user = await client.create_user("Kim")
    await client.send_text(user["id"], "lost")
    await client.send_text(user["id"], "kept")
    delivered = await receiver.wait_for(1)
    assert [u["message"]["text"] for u in delivered] == ["kept"]
    assert (await client.stats())["webhook_dropped"] == 1


async def test_a_method_in_the_webhook_response_is_executed(
    api: RawApi, client: EmulatorClient, receiver: Receiver
) -> None:
    user = await client.create_user("Lea")
    receiver.reply = {"method": "sendMessage", "chat_id": user["id"], "text": "answered inline"}
    await api.ok("setWebhook", {"url": receiver.url})
    await client.send_text(user["id"], "/start")
    messages = await client.wait_for_messages(user["id"], 1, timeout=3)
    assert messages[0]["text"] == "answered inline"
    assert (await client.stats())["webhook_replies"] == {"sendMessage": 1}


async def test_set_webhook_can_drop_pending_updates_and_delete_keeps_new_ones(
    api: RawApi, client: EmulatorClient, emu: EmulatorServer
) -> None:
    user = await client.create_user("Max")
    await client.send_text(user["id"], "old")
    await api.ok(
        "setWebhook", {"url": "http://127.0.0.1:9/unreachable", "drop_pending_updates": True}
    )
    await api.ok("deleteWebhook")
    await client.send_text(user["id"], "new")
    updates = await api.ok("getUpdates")
    assert [u["message"]["text"] for u in updates] == ["new"]
    status, body = await api.json("setWebhook", {"url": "ftp://example.org"})
    assert status == 400
    status, body = await api.json(
        "setWebhook", {"url": "https://x.org", "secret_token": "bad secret!"}
    )
    assert (status, body["description"]) == (
        400,
        "Bad Request: secret token contains unallowed characters",
    )
    assert (await client.webhook_info())["url"] == ""  # the failed setWebhook changed nothing


class HeldReceiver(Receiver):
    """Holds every delivery open until released, so a test sees what is in flight at once."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.open = 0
        self.most_at_once = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.open += 1
        self.most_at_once = max(self.most_at_once, self.open)
        self.received.append(await request.json())
        self.arrived.set()
        await self.release.wait()
        self.open -= 1
        return web.json_response({})


@pytest.fixture
async def held() -> AsyncIterator[HeldReceiver]:
    target = HeldReceiver()
    async with listening(target):
        yield target
        target.release.set()  # deliveries still held end before the server does


async def test_other_chats_are_delivered_while_one_chat_waits_its_turn(
    api: RawApi, client: EmulatorClient, held: HeldReceiver, emu: EmulatorServer
) -> None:
    await api.ok("setWebhook", {"url": held.url})
    ann, ben = await client.create_user("Ann"), await client.create_user("Ben")
    await client.send_text(ann["id"], "ann 1")
    await client.send_text(ann["id"], "ann 2")
    await client.send_text(ben["id"], "ben 1")
    delivering = await held.wait_for(2)
    # Ann's second message waits for her first to be answered; Ben's does not wait for Ann.
    assert sorted(u["message"]["text"] for u in delivering) == ["ann 1", "ben 1"]
    assert emu.webhooks.in_flight(emu.bot.id) == sorted(u["update_id"] for u in delivering)
    held.release.set()
    delivered = await held.wait_for(3)
    texts = [u["message"]["text"] for u in delivered]
    assert texts.index("ann 1") < texts.index("ann 2")
    assert (await api.ok("getWebhookInfo"))["pending_update_count"] == 0


async def test_no_more_deliveries_at_once_than_max_connections(
    api: RawApi, client: EmulatorClient, held: HeldReceiver, emu: EmulatorServer
) -> None:
    await api.ok("setWebhook", {"url": held.url, "max_connections": 2})
    for name in ("Cat", "Dan", "Eve", "Fay"):
        user = await client.create_user(name)
        await client.send_text(user["id"], f"from {name}")
    await held.wait_for(2)
    assert len(emu.webhooks.in_flight(emu.bot.id)) == 2  # the other two wait for a connection
    held.release.set()
    await held.wait_for(4)
    assert held.most_at_once == 2
