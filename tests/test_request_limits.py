"""Handlers' direct replies reserve slots under Telegram's per-chat and per-group limits."""

from __future__ import annotations

import pytest

from bot.request_limits import PaceChats


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
