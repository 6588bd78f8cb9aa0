"""Handlers' direct replies reserve slots under Telegram's per-chat and per-group limits,
replies in a webhook's response too."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage, TelegramMethod

from bot.request_limits import PaceChats
from bot.telegram_session import BotSession
from bot.webhook_reply import JsonReplyHandler


def test_replies_to_one_chat_are_spaced_and_other_chats_go_at_once() -> None:
    pace = PaceChats(per_chat_interval_s=1.02)
    waits = [pace._reserve(42, now=100.0) for _ in range(3)]
    assert waits == pytest.approx([0.0, 1.02, 2.04])
    assert pace._reserve(43, now=100.0) == 0.0
    assert pace._reserve(42, now=110.0) == 0.0  # long after: no wait


def test_a_group_gets_at_most_twenty_messages_a_minute() -> None:
    pace = PaceChats(per_chat_interval_s=0.0, group_per_minute=20)
    waits = [pace._reserve(-1001, now=0.0) for _ in range(21)]
    assert waits[:20] == [0.0] * 20
    assert waits[20] == 60.5


def test_a_reply_takes_its_chats_slot_only_when_free_now() -> None:
    """A reply in a webhook's response leaves at once: it may take a slot that is free now,
    and a refused one takes nothing from the replies that wait their turn."""
    pace = PaceChats(per_chat_interval_s=1.02, per_second=3)
    assert pace.take_now(42, now=100.0)
    assert not pace.take_now(42, now=100.5)  # the chat got a message half a second ago
    assert pace._reserve(42, now=100.5) == pytest.approx(0.52)  # as if none was refused
    assert pace.take_now(43, now=100.6) and pace.take_now(44, now=100.7)
    assert not pace.take_now(45, now=100.8)  # a fourth message in one second: over the cap
    assert pace.take_now(45, now=101.1)


def test_the_thirty_first_message_waits_a_little_more_than_a_second() -> None:
    """Telegram counts a message when it arrives, a moment after the bot's clock read: the
    demo's 429 came to a 31st message sent 1.0 s after the first, which arrived 0.995 s after."""
    pace = PaceChats(per_second=30)
    assert all(pace.take_now(chat, now=100.0) for chat in range(1, 31))
    assert not pace.take_now(31, now=101.0)
    assert pace.take_now(31, now=101.05)


async def test_a_webhook_reply_that_would_break_the_pace_is_sent_as_a_paced_call() -> None:
    calls: list[str] = []

    async def record(make_request: Any, bot: Bot, method: TelegramMethod[Any]) -> Any:
        calls.append(getattr(method, "text", ""))
        return True

    session = BotSession()
    session.middleware(PaceChats(per_chat_interval_s=0.05))
    session.middleware(record)
    bot = Bot("42:TEST-token", session=session)
    handler = JsonReplyHandler(Dispatcher(), bot)
    replies = [
        handler._build_response_writer(bot, SendMessage(chat_id=chat, text=text))
        for chat, text in ((7, "第一"), (7, "第二"), (8, "别的聊天"))
    ]
    responses = [json.loads(reply.decode()) for reply in replies]
    assert [r.get("text") for r in responses] == ["第一", None, "别的聊天"]
    assert responses[0]["method"] == "sendMessage" and responses[1] == {}
    assert calls == []  # not yet: it waits for chat 7's next slot
    await asyncio.gather(*handler._later)
    assert calls == ["第二"]
    await session.close()
