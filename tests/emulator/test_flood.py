"""Flood limits: sliding windows with an injected clock, and the 429 they produce over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from emulator import EmulatorClient, EmulatorServer
from emulator.flood import FloodConfig, FloodLimiter

from .conftest import RawApi

BOT = 1
PRIVATE = 1000
GROUP = -1000


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_private_chat_allows_one_message_per_second(clock: FakeClock) -> None:
    limiter = FloodLimiter(FloodConfig(), clock)
    assert limiter.acquire(BOT, PRIVATE) is None
    clock.now += 0.5
    assert limiter.acquire(BOT, PRIVATE) == 1
    clock.now += 0.5  # exactly one window after the first message
    assert limiter.acquire(BOT, PRIVATE) is None


def test_other_private_chats_are_independent(clock: FakeClock) -> None:
    limiter = FloodLimiter(FloodConfig(), clock)
    assert limiter.acquire(BOT, PRIVATE) is None
    assert limiter.acquire(BOT, PRIVATE + 1) is None
    assert limiter.acquire(BOT + 1, PRIVATE) is None  # another bot has its own limits


def test_global_limit_is_thirty_per_second(clock: FakeClock) -> None:
    limiter = FloodLimiter(FloodConfig(), clock)
    for chat in range(30):
        assert limiter.acquire(BOT, PRIVATE + chat) is None
        clock.now += 0.01
    assert limiter.acquire(BOT, PRIVATE + 99) == 1
    clock.now = 100.0 + 1.0  # the first send leaves the window
    assert limiter.acquire(BOT, PRIVATE + 99) is None
    assert limiter.acquire(BOT, PRIVATE + 100) == 1


def test_group_limit_is_twenty_per_minute_with_retry_after_until_the_oldest_expires(
    clock: FakeClock,
) -> None:
    limiter = FloodLimiter(FloodConfig(), clock)
    for _ in range(20):
        assert limiter.acquire(BOT, GROUP) is None
        clock.now += 1.0  # slow enough for the global and private windows
    # 20 messages went out at t=100..119; the next slot opens at t=160.
    assert clock.now == 120.0
    assert limiter.acquire(BOT, GROUP) == 40
    clock.now = 159.5
    assert limiter.acquire(BOT, GROUP) == 1  # rounded up, never 0
    clock.now = 160.0
    assert limiter.acquire(BOT, GROUP) is None


def test_rejected_attempts_do_not_extend_the_window(clock: FakeClock) -> None:
    limiter = FloodLimiter(FloodConfig(), clock)
    assert limiter.acquire(BOT, PRIVATE) is None
    for _ in range(5):
        clock.now += 0.1
        assert limiter.acquire(BOT, PRIVATE) == 1
    clock.now = 101.0
    assert limiter.acquire(BOT, PRIVATE) is None


def test_configurable_limits_and_switching_off(clock: FakeClock) -> None:
    limiter = FloodLimiter(FloodConfig(), clock)
    limiter.configure(private_limit=3, private_window=10.0)
    assert [limiter.acquire(BOT, PRIVATE) for _ in range(4)] == [None, None, None, 10]
    limiter.configure(enabled=False)
    assert all(limiter.acquire(BOT, PRIVATE) is None for _ in range(100))


def test_invalid_configuration_is_refused() -> None:
    limiter = FloodLimiter()
    with pytest.raises(ValueError, match="unknown"):
        limiter.configure(burst=5)
    with pytest.raises(ValueError, match="positive"):
        limiter.configure(global_limit=0)


# --------------------------------------------------------------------- HTTP


async def test_over_the_limit_returns_telegram_429(
    emu: EmulatorServer, api: RawApi, alice: dict[str, Any], client: EmulatorClient
) -> None:
    await client.set_flood(enabled=True, private_limit=2, private_window=0.3)
    chat = alice["id"]
    first = await api.json("sendMessage", {"chat_id": chat, "text": "1"})
    second = await api.json("sendMessage", {"chat_id": chat, "text": "2"})
    status, body = await api.json("sendMessage", {"chat_id": chat, "text": "3"})
    assert first[0] == second[0] == 200
    assert status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    # Edits and callback answers are not message sends and are never limited.
    edit = await api.json(
        "editMessageText",
        {"chat_id": chat, "message_id": first[1]["result"]["message_id"], "text": "1 edited"},
    )
    assert edit[0] == 200
    stats = await client.stats()
    assert stats["rate_limited"] == 1
    assert stats["flood_rejections"] == 1
    assert stats["messages_sent"] == 2
    assert len(stats["send_times"]) == 2


async def test_flood_is_off_by_default_in_tests(
    api: RawApi, alice: dict[str, Any], client: EmulatorClient
) -> None:
    for index in range(5):
        status, _ = await api.json("sendMessage", {"chat_id": alice["id"], "text": str(index)})
        assert status == 200
    assert (await client.get_flood())["enabled"] is False
