"""One flood budget per bot in Redis (scheduler/flood.py), against the real server, and the
wiring from ``[redis] url`` to the sender, the bot's replies, conversations and updates.

SAFETY_BOT_TEST_REDIS_URL names it (``make test`` sets it, and fails if Redis is down); the
tests skip without it. Each test keeps its keys under a prefix of its own and deletes them.
The waits asserted are what the script answers, read from Redis's own clock: bounds, not
timings.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from aiogram.methods import SendMessage

from bot.app import attach_sender, close_app, make_bot, open_app
from bot.core.clock import FakeClock
from bot.core.settings import Settings
from bot.dispatching import make_dispatcher
from bot.fsm_storage import DatabaseStorage
from bot.request_limits import PaceChats
from bot.telegram_session import BotSession
from bot.webhook_reply import _shared_slot_free
from scheduler.flood import CHAT_IN_FLIGHT_POLL_S, Budget, RedisFlood
from tests.conftest import settings_for

REDIS_URL = os.environ.get("SAFETY_BOT_TEST_REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="SAFETY_BOT_TEST_REDIS_URL not set")

BOT = 777100
PARENT, OTHER_PARENT, CLASS_GROUP = 9001, 9002, -100123


@pytest.fixture
async def redis() -> AsyncIterator[Any]:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


@pytest.fixture
async def prefix(redis: Any) -> AsyncIterator[str]:
    prefix = f"test-flood:{uuid.uuid4().hex[:10]}:"
    yield prefix
    keys = [key async for key in redis.scan_iter(match=prefix + "*")]
    if keys:
        await redis.delete(*keys)


def budget(**kw: Any) -> Budget:
    return Budget(**{"messages_per_second": 3, "per_chat_interval_s": 1.02, **kw})


async def test_the_fourth_send_of_a_second_waits_while_three_are_in_flight(
    redis: Any, prefix: str
) -> None:
    flood = RedisFlood(redis, budget(), prefix).for_bot(BOT)
    tickets = [await flood.acquire(chat) for chat in (1, 2, 3)]
    wait = await flood.try_acquire(4, "t4")
    assert 0 < wait < 0.1  # every place in flight: the next answer frees one, soon
    for chat, ticket in zip((1, 2, 3), tickets, strict=True):
        await flood.record(ticket, chat)
    wait = await flood.try_acquire(4, "t4")
    assert 0.5 < wait <= 1.0  # counted from the answers: a second after them


async def test_two_processes_of_one_bot_count_in_one_window_and_another_bot_in_its_own(
    redis: Any, prefix: str
) -> None:
    from redis.asyncio import Redis

    other_client = Redis.from_url(REDIS_URL)
    try:
        worker_a = RedisFlood(redis, budget(), prefix).for_bot(BOT)
        worker_b = RedisFlood(other_client, budget(), prefix).for_bot(BOT)
        another_bot = RedisFlood(other_client, budget(), prefix).for_bot(BOT + 1)
        assert await worker_a.try_acquire(1, "a1") == 0
        assert await worker_a.try_acquire(2, "a2") == 0
        assert await worker_b.try_acquire(3, "b1") == 0
        assert await worker_b.try_acquire(4, "b2") > 0  # the bot's three are taken
        assert await another_bot.try_acquire(4, "c1") == 0
    finally:
        await other_client.aclose()


async def test_a_parent_gets_one_message_a_second_whichever_process_sends_it(
    redis: Any, prefix: str
) -> None:
    web = RedisFlood(redis, budget(messages_per_second=29), prefix).for_bot(BOT)
    sender = RedisFlood(redis, budget(messages_per_second=29), prefix).for_bot(BOT)
    ticket = await web.acquire(PARENT)
    # Held while the reply is in flight, and asked again soon: the answer frees the chat.
    assert 0 < await sender.try_acquire(PARENT, "s1") <= CHAT_IN_FLIGHT_POLL_S
    await web.record(ticket, PARENT)
    wait = await sender.try_acquire(PARENT, "s1")
    assert 0.9 < wait <= 1.02  # one interval after the answer
    assert await sender.try_acquire(OTHER_PARENT, "s2") == 0


async def test_a_class_group_gets_at_most_its_minutes_share(redis: Any, prefix: str) -> None:
    flood = RedisFlood(
        redis, budget(per_chat_interval_s=1.0, group_messages_per_minute=2), prefix
    ).for_bot(BOT)
    for n in range(2):
        ticket = f"g{n}"
        await redis.delete(f"{prefix}{{{BOT}}}:chat:{CLASS_GROUP}")  # skip the 1 s interval
        assert await flood.try_acquire(CLASS_GROUP, ticket) == 0
        await flood.record(ticket, CLASS_GROUP)
    await redis.delete(f"{prefix}{{{BOT}}}:chat:{CLASS_GROUP}")
    wait = await flood.try_acquire(CLASS_GROUP, "g3")
    assert 59 < wait <= 60.5  # the minute from the first of the two, and a margin
    assert await flood.try_acquire(PARENT, "p1") == 0  # a private chat is not held


async def test_a_webhook_reply_takes_the_slot_only_when_it_is_free_now(
    redis: Any, prefix: str
) -> None:
    flood = RedisFlood(redis, budget(), prefix).for_bot(BOT)
    assert await flood.take_now(PARENT)
    assert not await flood.take_now(PARENT)  # this parent got a message just now
    assert await flood.take_now(OTHER_PARENT)
    assert await flood.take_now(3)
    assert not await flood.take_now(4)  # a fourth in one second: over the bot's cap
    assert await redis.zcard(f"{prefix}{{{BOT}}}:all") == 3  # the refused took nothing


async def test_a_429_holds_every_process_of_the_bot(redis: Any, prefix: str) -> None:
    one = RedisFlood(redis, budget(), prefix).for_bot(BOT)
    two = RedisFlood(redis, budget(), prefix).for_bot(BOT)
    await one.pause(5)
    wait = await two.try_acquire(PARENT, "t")
    assert 4 < wait <= 5
    assert not await two.take_now(OTHER_PARENT)


async def test_every_key_expires_on_its_own_so_a_killed_process_frees_its_places(
    redis: Any, prefix: str
) -> None:
    flood = RedisFlood(redis, budget(), prefix).for_bot(BOT)
    await flood.acquire(PARENT)  # never recorded: the process "died" mid-send
    await flood.acquire(CLASS_GROUP)
    await flood.pause(1)
    keys = [key async for key in redis.scan_iter(match=prefix + "*")]
    assert len(keys) == 5
    assert all([await redis.pttl(key) > 0 for key in keys])


async def test_a_handlers_reply_and_the_webhook_response_take_turns_from_the_shared_budget(
    redis: Any, prefix: str
) -> None:
    sent: list[int] = []

    async def telegram(make_request: Any, bot: Bot, method: Any) -> Any:
        sent.append(method.chat_id)
        return True

    flood = RedisFlood(redis, budget(), prefix)
    session = BotSession()
    bot = Bot(f"{BOT}:TEST-token", session=session)
    session.middleware(PaceChats(shared=flood.for_bot(bot.id)))
    session.middleware(telegram)
    try:
        await bot(SendMessage(chat_id=PARENT, text="已收到"))
        assert sent == [PARENT]
        # The same parent's next reply cannot go in a webhook response within the second:
        # another worker's budget says so too.
        assert not await _shared_slot_free(bot, SendMessage(chat_id=PARENT, text="第二条"))
        assert await _shared_slot_free(bot, SendMessage(chat_id=OTHER_PARENT, text="好"))
        assert await redis.zcard(f"{prefix}{{{BOT}}}:all") == 2
    finally:
        await session.close()


async def test_a_school_with_redis_configured_shares_conversations_updates_and_the_budget(
    shipped_settings: Settings, tmp_path: Path, clock: FakeClock, prefix: str
) -> None:
    settings = settings_for(
        shipped_settings,
        f"sqlite+aiosqlite:///{tmp_path / 'w.db'}",
        tmp_path,
        redis={"url": REDIS_URL, "prefix": prefix.rstrip(":")},
    )
    workers = [await open_app(settings, clock=clock) for _ in range(2)]
    bots = [make_bot(f"{BOT}:TEST-token", flood=worker.flood) for worker in workers]
    try:
        one, two = (make_dispatcher(worker) for worker in workers)
        assert isinstance(one.fsm.storage, RedisStorage)
        assert isinstance(one.fsm.events_isolation, RedisEventIsolation)
        key = StorageKey(bot_id=BOT, chat_id=PARENT, user_id=PARENT)
        await one.fsm.storage.set_state(key, "NoticeDraft:text")
        assert await two.fsm.storage.get_state(key) == "NoticeDraft:text"
        async with one.fsm.events_isolation.lock(key):  # worker one handles this chat …
            with pytest.raises(TimeoutError):  # … so worker two waits for it
                async with asyncio.timeout(0.3), two.fsm.events_isolation.lock(key):
                    pass
        sender = attach_sender(workers[1], bots[1])
        pacer = next(m for m in bots[0].session.middleware if isinstance(m, PaceChats))
        assert sender.shared is not None and pacer.shared is not None
        assert sender.shared._all == pacer.shared._all == f"{prefix}flood:{{{BOT}}}:all"
    finally:
        for bot in bots:
            await bot.session.close()
        for worker in workers:
            await close_app(worker)


async def test_without_redis_a_school_keeps_its_windows_and_conversations_at_home(
    shipped_settings: Settings, tmp_path: Path, clock: FakeClock
) -> None:
    settings = settings_for(shipped_settings, f"sqlite+aiosqlite:///{tmp_path / 'w.db'}", tmp_path)
    app = await open_app(settings, clock=clock)
    bot = make_bot(f"{BOT}:TEST-token", flood=app.flood)
    try:
        assert app.redis is None and app.flood is None
        dispatcher = make_dispatcher(app)
        assert isinstance(dispatcher.fsm.storage, DatabaseStorage)
        assert not isinstance(dispatcher.fsm.events_isolation, RedisEventIsolation)
        assert attach_sender(app, bot).shared is None
        pacer = next(m for m in bot.session.middleware if isinstance(m, PaceChats))
        assert pacer.shared is None
    finally:
        await bot.session.close()
        await close_app(app)
