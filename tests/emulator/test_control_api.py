"""The control API through EmulatorClient: people, reading back, stats, batch, reset, errors."""

from __future__ import annotations

import asyncio
import base64

import aiohttp
import pytest

from emulator import EmulatorClient, EmulatorError, EmulatorServer

from .conftest import RawApi


async def test_people_and_groups(client: EmulatorClient) -> None:
    a = await client.create_user("张", last_name="三", username="zhang3")
    b = await client.create_user("Lee", language_code="en")
    assert a["language_code"] == "zh-hans" and b["language_code"] == "en"
    assert a["id"] != b["id"] and a["id"] > 0
    group = await client.create_group("家长群", member_ids=[a["id"], b["id"]])
    supergroup = await client.create_group("全校", type="supergroup", member_ids=[a["id"]])
    assert group["id"] < 0 and not str(group["id"]).startswith("-100")
    assert str(supergroup["id"]).startswith("-100")
    info = await client.get_chat(group["id"])
    assert {(m["user_id"], m["status"]) for m in info["members"]} == {
        (a["id"], "creator"),
        (b["id"], "member"),
    }
    assert [u["id"] for u in await client.list_users()] == [a["id"], b["id"]]


async def test_user_content_kinds(client: EmulatorClient, api: RawApi) -> None:
    user = await client.create_user("Rui")
    doc = await client.send_document(user["id"], b"%PDF-1.4", "通知.pdf", caption="请阅读")
    assert doc["document"]["mime_type"] == "application/pdf"
    sticker = await client.send_sticker(user["id"], emoji="👍")
    assert sticker["sticker"]["emoji"] == "👍"
    album = [
        await client.send_photo(user["id"], b"\xff\xd8\xff" + bytes(10), media_group_id="g1")
        for _ in range(2)
    ]
    assert {m["media_group_id"] for m in album} == {"g1"}
    updates = await api.ok("getUpdates")
    assert [
        next(k for k in u["message"] if k in ("document", "sticker", "photo")) for u in updates
    ] == [
        "document",
        "sticker",
        "photo",
        "photo",
    ]


async def test_wait_for_messages_returns_once_enough_arrived(
    client: EmulatorClient, api: RawApi, alice: dict[str, int]
) -> None:
    async def bot_writes_later() -> None:
        for index in range(3):
            await asyncio.sleep(0.03)
            await api.ok("sendMessage", {"chat_id": alice["id"], "text": f"#{index}"})

    writer = asyncio.create_task(bot_writes_later())
    messages = await client.wait_for_messages(alice["id"], 3, timeout=3)
    await writer
    assert [m["text"] for m in messages] == ["#0", "#1", "#2"]
    with pytest.raises(TimeoutError, match="sent 3 of 4"):
        await client.wait_for_messages(alice["id"], 4, timeout=0.1)
    stranger = await client.create_user("Nobody")
    with pytest.raises(TimeoutError, match="sent 0 of 1"):
        await client.wait_for_messages(stranger["id"], 1, timeout=0.05)


async def test_stats_count_methods_and_send_times(
    client: EmulatorClient, api: RawApi, alice: dict[str, int]
) -> None:
    await client.reset_stats()
    for index in range(3):
        await api.ok("sendMessage", {"chat_id": alice["id"], "text": str(index)})
    await api.ok("getMe")
    await api.json("sendMessage", {"chat_id": alice["id"]})
    stats = await client.stats()
    assert stats["requests"] == {"sendMessage": 4, "getMe": 1}
    assert stats["responses"] == {"200": 4, "400": 1}
    assert stats["messages_sent"] == 3
    assert stats["sent_per_chat"] == {str(alice["id"]): 3}
    times = stats["send_times"]
    assert len(times) == 3 and times == sorted(times) and times[-1] <= stats["clock"]
    assert "send_times" not in await client.stats(timestamps=False)


async def test_batch_runs_operations_in_order(client: EmulatorClient) -> None:
    results = await client.batch(
        [("create_user", {"first_name": f"P{index}"}) for index in range(50)]
    )
    ids = [user["id"] for user in results]
    assert len(set(ids)) == 50
    texts = await client.batch(
        [("send_text", {"user_id": user_id, "text": "/start"}) for user_id in ids[:3]]
    )
    assert [m["chat"]["id"] for m in texts] == ids[:3]
    with pytest.raises(EmulatorError) as caught:
        await client.batch([("create_user", {"first_name": "ok"}), ("create_user", {})])
    assert caught.value.status == 400 and "call 1" in caught.value.description


async def test_errors_and_reset(client: EmulatorClient, emu: EmulatorServer) -> None:
    with pytest.raises(EmulatorError) as missing:
        await client.send_text(424242, "hi")
    assert missing.value.status == 404
    with pytest.raises(EmulatorError) as invalid:
        await client.create_group("", member_ids=[])
    assert invalid.value.status == 400
    user = await client.create_user("Temp")
    await client.add_fault("status", "getMe")
    await client.reset()
    assert await client.list_users() == []
    assert await client.list_faults() == []
    assert emu.world.users == {}
    assert [bot["id"] for bot in await client.list_bots()] == [emu.world.bot().id]
    with pytest.raises(EmulatorError):
        await client.send_text(user["id"], "gone")


async def test_a_second_bot_has_its_own_private_chats(
    client: EmulatorClient, emu: EmulatorServer, api: RawApi
) -> None:
    second = await client.create_bot("555000:second-bot-token", username="second_bot")
    user = await client.create_user("Shared")
    await client.send_text(user["id"], "/start", bot_id=second["id"])
    status, body = await api.json(
        "sendMessage", {"chat_id": user["id"], "text": "from default bot"}
    )
    assert (status, body["description"]) == (
        403,
        "Forbidden: bot can't initiate conversation with a user",
    )
    status, body = await api.json(
        "sendMessage",
        {"chat_id": user["id"], "text": "from second"},
        token="555000:second-bot-token",
    )
    assert status == 200
    assert [m["text"] for m in await client.bot_messages(user["id"], bot_id=second["id"])] == [
        "from second"
    ]
    assert await client.pending_updates() == []
    assert len(await client.pending_updates(bot_id=second["id"])) == 1
    with pytest.raises(EmulatorError) as bad:
        await client.create_bot("not a token")
    assert bad.value.status == 400


async def test_webhook_info_never_reveals_the_secret(client: EmulatorClient, api: RawApi) -> None:
    await api.ok("setWebhook", {"url": "http://127.0.0.1:9/hook", "secret_token": "hush_hush"})
    info = await client.webhook_info()
    assert info["url"] == "http://127.0.0.1:9/hook" and info["has_secret_token"] is True
    assert "hush_hush" not in str(info)


async def test_file_info_and_content(client: EmulatorClient) -> None:
    user = await client.create_user("Files")
    message = await client.send_document(user["id"], b"\x00\x01binary", "a.bin")
    file_id = message["document"]["file_id"]
    info = await client.file_info(file_id)
    assert info["kind"] == "document" and info["file_size"] == 8
    assert await client.file_content(file_id) == b"\x00\x01binary"
    with pytest.raises(EmulatorError):
        await client.file_content("missing")


async def test_raw_control_http_shape(emu: EmulatorServer) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{emu.url}/_control/messages/photo", json={"user_id": 1, "data": "!!"}
        ) as response:
            body = await response.json()
        assert response.status == 400 and body["ok"] is False
        assert "base64" in body["description"]
        user = emu.world.create_user("Direct")
        async with http.post(
            f"{emu.url}/_control/messages/photo",
            json={"user_id": user.id, "data": base64.b64encode(b"img").decode()},
        ) as response:
            body = await response.json()
        assert response.status == 200 and body["result"]["photo"][0]["file_size"] == 3


def test_every_control_operation_has_a_client_method() -> None:
    # Batch calls use operation names; keeping them equal to client methods keeps them guessable.
    from emulator.control import OPERATIONS

    missing = [op.name for op in OPERATIONS if not callable(getattr(EmulatorClient, op.name, None))]
    assert missing == []
