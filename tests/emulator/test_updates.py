"""getUpdates: offset semantics, limit, long polling, allowed_updates and conflicts."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from emulator import EmulatorClient, EmulatorServer

from .conftest import RawApi


async def send_texts(client: EmulatorClient, user_id: int, count: int) -> None:
    for index in range(count):
        await client.send_text(user_id, f"message {index}")


def texts(updates: list[dict[str, Any]]) -> list[str]:
    return [update["message"]["text"] for update in updates]


async def test_updates_stay_until_confirmed_by_a_higher_offset(
    api: RawApi, client: EmulatorClient
) -> None:
    user = await client.create_user("Carol")
    await send_texts(client, user["id"], 3)
    first = await api.ok("getUpdates")
    again = await api.ok("getUpdates")
    assert texts(first) == texts(again) == ["message 0", "message 1", "message 2"]
    ids = [update["update_id"] for update in first]
    assert ids == sorted(ids) and len(set(ids)) == 3

    rest = await api.ok("getUpdates", {"offset": ids[1]})  # confirms only the first
    assert texts(rest) == ["message 1", "message 2"]
    assert await api.ok("getUpdates", {"offset": ids[2] + 1}) == []
    # Confirmed updates are gone for good, even when asking with a lower offset later.
    assert await api.ok("getUpdates", {"offset": ids[0]}) == []


async def test_limit_and_negative_offset(api: RawApi, client: EmulatorClient) -> None:
    user = await client.create_user("Dan")
    await send_texts(client, user["id"], 5)
    assert texts(await api.ok("getUpdates", {"limit": 2})) == ["message 0", "message 1"]
    # A negative offset keeps only the last N updates and forgets the rest.
    assert texts(await api.ok("getUpdates", {"offset": -2})) == ["message 3", "message 4"]
    assert texts(await api.ok("getUpdates")) == ["message 3", "message 4"]


async def test_update_ids_keep_growing_across_a_reset(api: RawApi, client: EmulatorClient) -> None:
    user = await client.create_user("Eve")
    await client.send_text(user["id"], "before")
    before = await api.ok("getUpdates")
    await client.reset()
    user = await client.create_user("Eve")
    await client.send_text(user["id"], "after")
    after = await api.ok("getUpdates", {"offset": before[-1]["update_id"] + 1})
    assert texts(after) == ["after"]


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    api: RawApi, client: EmulatorClient
) -> None:
    user = await client.create_user("Fay")
    started = time.monotonic()
    poll = asyncio.create_task(api.json("getUpdates", {"timeout": 5}))
    await asyncio.sleep(0.05)
    assert not poll.done()
    await client.send_text(user["id"], "wake up")
    status, body = await asyncio.wait_for(poll, 2)
    assert status == 200
    assert texts(body["result"]) == ["wake up"]
    assert time.monotonic() - started < 1.0


async def test_long_poll_times_out_with_an_empty_list(api: RawApi) -> None:
    started = time.monotonic()
    status, body = await api.json("getUpdates", {"timeout": 1})
    elapsed = time.monotonic() - started
    assert (status, body["result"]) == (200, [])
    assert 0.9 <= elapsed < 2.0


async def test_a_newer_poll_terminates_the_older_one_with_409(api: RawApi) -> None:
    older = asyncio.create_task(api.json("getUpdates", {"timeout": 5}))
    await asyncio.sleep(0.05)
    newer = await api.json("getUpdates", {"timeout": 0})
    status, body = await asyncio.wait_for(older, 2)
    assert newer[0] == 200
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")


async def test_allowed_updates_filters_updates_created_afterwards(
    api: RawApi, client: EmulatorClient, emu: EmulatorServer
) -> None:
    user = await client.create_user("Gus")
    await client.send_text(user["id"], "/start")
    sent = await api.ok(
        "sendMessage",
        {
            "chat_id": user["id"],
            "text": "choose",
            "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
        },
    )
    await api.ok("getUpdates", {"offset": -1, "allowed_updates": ["callback_query"]})
    await api.ok("getUpdates", {"offset": 10_000})  # drop what is pending
    await client.send_text(user["id"], "ignored: not an allowed update type")
    await client.press_button(user["id"], user["id"], sent["message_id"], "a")
    updates = await api.ok("getUpdates")
    assert [list(update)[1] for update in updates] == ["callback_query"]
    # An empty list restores the default set (everything but opt-in types).
    await api.ok("getUpdates", {"offset": updates[-1]["update_id"] + 1, "allowed_updates": []})
    await client.send_text(user["id"], "seen again")
    assert texts(await api.ok("getUpdates")) == ["seen again"]


async def test_get_updates_conflicts_with_an_active_webhook(api: RawApi) -> None:
    await api.ok("setWebhook", {"url": "http://127.0.0.1:9/hook"})
    status, body = await api.json("getUpdates")
    assert status == 409
    assert "webhook is active" in body["description"]
    await api.ok("deleteWebhook")
    assert await api.ok("getUpdates") == []
