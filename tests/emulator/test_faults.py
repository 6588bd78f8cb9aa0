"""Fault injection rules: HTTP errors, dropped connections, blocks, retry_after, matching."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from emulator import EmulatorClient, EmulatorError, EmulatorServer
from emulator.faults import FaultInjector

from .conftest import RawApi


@pytest.mark.parametrize(
    ("status", "reason"), [(500, "Internal Server Error"), (502, "Bad Gateway")]
)
async def test_status_fault_returns_a_telegram_style_error(
    api: RawApi, client: EmulatorClient, alice: dict[str, Any], status: int, reason: str
) -> None:
    await client.add_fault("status", "sendMessage", status=status, times=1)
    got, body = await api.json("sendMessage", {"chat_id": alice["id"], "text": "x"})
    assert got == status
    assert body == {"ok": False, "error_code": status, "description": reason}
    # times=1: the next call goes through and the rule is gone.
    assert (await api.json("sendMessage", {"chat_id": alice["id"], "text": "x"}))[0] == 200
    assert await client.list_faults() == []


async def test_drop_closes_the_connection_without_a_response(
    api: RawApi, client: EmulatorClient, alice: dict[str, Any]
) -> None:
    await client.add_fault("drop", "sendMessage", times=1)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.json("sendMessage", {"chat_id": alice["id"], "text": "x"})
    assert (await api.json("sendMessage", {"chat_id": alice["id"], "text": "x"}))[0] == 200
    assert (await client.stats())["faults_injected"] == 1


async def test_block_and_retry_after_faults(
    api: RawApi, client: EmulatorClient, alice: dict[str, Any]
) -> None:
    await client.add_fault("block", "sendMessage", chat_id=alice["id"], times=1)
    await client.add_fault("retry_after", "*", retry_after=7, times=1)
    status, body = await api.json("sendMessage", {"chat_id": alice["id"], "text": "x"})
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")
    status, body = await api.json("getMe")
    assert status == 429
    assert body["parameters"] == {"retry_after": 7}
    assert (await client.stats())["rate_limited"] == 1


async def test_rules_match_method_and_chat(
    api: RawApi, client: EmulatorClient, alice: dict[str, Any]
) -> None:
    other = await client.create_user("Ned")
    await client.send_text(other["id"], "/start")
    await client.add_fault("status", "SENDMESSAGE", chat_id=other["id"])  # forever
    assert (await api.json("sendMessage", {"chat_id": alice["id"], "text": "x"}))[0] == 200
    assert (await api.json("getMe"))[0] == 200
    for _ in range(3):
        assert (await api.json("sendMessage", {"chat_id": other["id"], "text": "x"}))[0] == 500
    rules = await client.list_faults()
    assert [(rule["hits"], rule["times"]) for rule in rules] == [(3, None)]
    await client.clear_faults()
    assert (await api.json("sendMessage", {"chat_id": other["id"], "text": "x"}))[0] == 200


async def test_python_api_and_validation(emu: EmulatorServer, api: RawApi) -> None:
    rule = emu.add_fault("status", "getMe", status=503, times=2)
    assert [(await api.json("getMe"))[0] for _ in range(3)] == [503, 503, 200]
    assert rule.hits == 2
    with pytest.raises(ValueError, match="action"):
        FaultInjector().add("explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="status"):
        FaultInjector().add("status", status=200)


async def test_bad_fault_requests_are_400(client: EmulatorClient) -> None:
    with pytest.raises(EmulatorError) as caught:
        await client.add_fault("explode")
    assert caught.value.status == 400


async def test_process_drop_delivers_the_message_then_closes_the_connection(
    emu: EmulatorServer, api: RawApi, client: EmulatorClient, alice: dict[str, Any]
) -> None:
    await client.add_fault("process_drop", "sendMessage", times=1)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.json("sendMessage", {"chat_id": alice["id"], "text": "delivered, unanswered"})
    # Telegram's ambiguous timeout: the client got nothing, but the message arrived.
    texts = [m["text"] for m in await client.bot_messages(alice["id"])]
    assert "delivered, unanswered" in texts


async def test_a_delayed_answer_comes_after_the_message_was_delivered(
    api: RawApi, client: EmulatorClient, alice: dict[str, Any]
) -> None:
    await client.add_fault("delay", "sendMessage", seconds=0.3, times=1)
    started = asyncio.get_running_loop().time()
    sending = asyncio.create_task(api.json("sendMessage", {"chat_id": alice["id"], "text": "slow"}))
    await asyncio.sleep(0.1)
    assert "slow" in [m["text"] for m in await client.bot_messages(alice["id"])]
    assert (await sending)[0] == 200
    assert asyncio.get_running_loop().time() - started >= 0.3


async def test_a_server_error_period_ends_by_itself(
    api: RawApi, client: EmulatorClient, alice: dict[str, Any]
) -> None:
    await client.add_fault("status", "sendMessage", status=502, for_seconds=0.3)
    assert (await api.json("sendMessage", {"chat_id": alice["id"], "text": "x"}))[0] == 502
    await asyncio.sleep(0.35)
    assert (await api.json("sendMessage", {"chat_id": alice["id"], "text": "x"}))[0] == 200
    assert await client.list_faults() == []


async def test_a_probability_rule_hits_a_reproducible_share_of_calls(
    api: RawApi, client: EmulatorClient, alice: dict[str, Any]
) -> None:
    async def statuses() -> list[int]:
        await client.clear_faults(seed=7)
        await client.add_fault("status", "sendMessage", status=503, probability=0.25)
        return [
            (await api.json("sendMessage", {"chat_id": alice["id"], "text": "x"}))[0]
            for _ in range(40)
        ]

    first = await statuses()
    assert 4 <= first.count(503) <= 18 and first.count(200) == 40 - first.count(503)
    assert await statuses() == first


async def test_bad_new_fault_parameters_are_400(client: EmulatorClient) -> None:
    for bad in ({"seconds": 0}, {"probability": 1.5}, {"for_seconds": -1}):
        with pytest.raises(EmulatorError) as caught:
            await client.add_fault("delay", **bad)  # type: ignore[arg-type]
        assert caught.value.status == 400
