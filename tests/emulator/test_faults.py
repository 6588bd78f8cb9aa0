"""Fault injection rules: HTTP errors, dropped connections, blocks, retry_after, matching."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from bot.emulator import EmulatorClient, EmulatorError, EmulatorServer
from bot.emulator.faults import FaultInjector

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
