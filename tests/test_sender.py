"""The outbox sender with a scripted transport: limits, 429, 403, 5xx, crash recovery."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest
from sqlalchemy import select

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.messages import OutMessage
from scheduler.sender import Delivery, Limits, OutboxSender, Result
from storage import outbox, people
from storage.models import Outbox, Person
from tests.conftest import local


class ScriptedTransport:
    """Answers from a script per chat (default: sent), and records every call."""

    def __init__(self, script: dict[int, list[Delivery]] | None = None) -> None:
        self.script = script or {}
        self.calls: list[tuple[int, str, float]] = []

    async def deliver(self, chat_id: int, message: OutMessage) -> Delivery:
        self.calls.append((chat_id, message.text, time.monotonic()))
        answers = self.script.get(chat_id)
        if answers:
            return answers.pop(0)
        return Delivery(Result.SENT, message_id=len(self.calls))


async def _enqueue(app: App, chats: list[int], prefix: str = "m") -> None:
    now = app.now()
    envelopes = [
        outbox.Envelope(f"{prefix}:{chat}:{n}", chat, OutMessage(f"{prefix} {n}"), now)
        for n, chat in enumerate(chats)
    ]
    async with app.sessions.begin() as session:
        await outbox.enqueue(session, app.school_id, envelopes, now)


async def _statuses(app: App) -> dict[str, str]:
    async with app.sessions() as session:
        return dict((await session.execute(select(Outbox.key, Outbox.status))).all())


@pytest.mark.stock_sqlite_too
async def test_every_message_leaves_once_in_priority_and_pace(app: App) -> None:
    transport = ScriptedTransport()
    sender = OutboxSender(app.sessions, transport, app.clock, Limits(messages_per_second=200))
    await _enqueue(app, list(range(1, 41)))
    assert await sender.drain() == 40
    assert sorted(c[0] for c in transport.calls) == list(range(1, 41))
    assert set((await _statuses(app)).values()) == {"sent"}
    assert await sender.drain() == 0  # nothing twice


async def test_one_chat_gets_at_most_one_message_per_interval(app: App) -> None:
    transport = ScriptedTransport()
    sender = OutboxSender(
        app.sessions, transport, app.clock, Limits(messages_per_second=200, per_chat_interval_s=0.2)
    )
    await _enqueue(app, [7, 7, 7, 8])
    await sender.drain()
    times = [t for chat, _, t in transport.calls if chat == 7]
    assert len(times) == 3 and all(b - a >= 0.19 for a, b in zip(times, times[1:], strict=False))


async def test_a_429_is_waited_out_and_the_message_sent_again(app: App) -> None:
    transport = ScriptedTransport({5: [Delivery(Result.RETRY_AFTER, retry_after=1)]})
    sender = OutboxSender(app.sessions, transport, app.clock, Limits(messages_per_second=200))
    await _enqueue(app, [5])
    await sender.drain()
    assert [c[0] for c in transport.calls] == [5, 5]
    assert transport.calls[1][2] - transport.calls[0][2] >= 0.99
    assert set((await _statuses(app)).values()) == {"sent"}


async def test_a_blocked_person_is_marked_unreachable_and_the_rest_continue(app: App) -> None:
    now = local("2026-11-25 08:00")
    async with app.sessions.begin() as session:
        parent = Person(
            school_id=app.school_id,
            display_name="家长",
            tg_user_id=11,
            unreachable=False,
            created_at=now,
            roles=[],
        )
        session.add(parent)
        await session.flush()
        await people.remember_private_chat(session, app.school_id, parent, 11, now)
    blocked: list[int] = []

    async def on_blocked(row: Outbox) -> None:
        blocked.append(row.tg_chat_id)
        async with app.sessions.begin() as session:
            await people.mark_unreachable(session, row.school_id, row.tg_chat_id)

    transport = ScriptedTransport({11: [Delivery(Result.BLOCKED, error="Forbidden")]})
    sender = OutboxSender(
        app.sessions, transport, app.clock, Limits(messages_per_second=200), on_blocked
    )
    await _enqueue(app, [11, 12, 13])
    await sender.drain()
    statuses = await _statuses(app)
    async with app.sessions() as session:
        person = await session.scalar(select(Person).where(Person.tg_user_id == 11))
    assert blocked == [11] and statuses["m:11:0"] == "unreachable"
    assert statuses["m:12:1"] == statuses["m:13:2"] == "sent"
    assert person is not None and person.unreachable


async def test_server_errors_are_retried_with_backoff_then_sent(app: App) -> None:
    transport = ScriptedTransport(
        {9: [Delivery(Result.TRANSIENT, error="502"), Delivery(Result.TRANSIENT, error="timeout")]}
    )
    sender = OutboxSender(app.sessions, transport, app.clock, Limits(messages_per_second=200))
    await _enqueue(app, [9])
    await sender.drain()
    assert (await _statuses(app))["m:9:0"] == "pending"  # waiting for its backoff
    app.clock.advance(dt.timedelta(seconds=3))  # type: ignore[attr-defined]
    await sender.drain()
    app.clock.advance(dt.timedelta(seconds=5))  # type: ignore[attr-defined]
    await sender.drain()
    assert len(transport.calls) == 3 and (await _statuses(app))["m:9:0"] == "sent"


async def test_a_rejected_message_fails_without_retrying(app: App) -> None:
    transport = ScriptedTransport({4: [Delivery(Result.REJECTED, error="Bad Request: x")]})
    sender = OutboxSender(app.sessions, transport, app.clock, Limits(messages_per_second=200))
    await _enqueue(app, [4])
    await sender.drain()
    app.clock.advance(dt.timedelta(hours=1))  # type: ignore[attr-defined]
    await sender.drain()
    assert len(transport.calls) == 1 and (await _statuses(app))["m:4:0"] == "failed"


@pytest.mark.stock_sqlite_too
async def test_after_a_crash_claimed_rows_are_sent_by_the_next_process(
    app: App, clock: FakeClock
) -> None:
    await _enqueue(app, [1, 2, 3])
    async with app.sessions.begin() as session:
        # a process claimed them, then died; its leases run out
        claimed = await outbox.claim(session, app.now(), 10, school_id=app.school_id)
    assert len(claimed) == 3
    clock.advance(outbox.LEASE + dt.timedelta(seconds=1))
    transport = ScriptedTransport()
    sender = OutboxSender(
        app.sessions, transport, app.clock, Limits(messages_per_second=200), school_id=app.school_id
    )
    assert await sender.recover() == 3
    await sender.drain()
    assert sorted(c[0] for c in transport.calls) == [1, 2, 3]


# No per-chat wait: these tests resend to one chat at once.
FAST = Limits(messages_per_second=200, per_chat_interval_s=0.0)


async def _enqueue_keys(app: App, keys: dict[str, int], expires: dt.datetime | None = None) -> None:
    now = app.now()
    envelopes = [
        outbox.Envelope(key, chat, OutMessage(f"text {key}"), now, expires_at=expires)
        for key, chat in keys.items()
    ]
    async with app.sessions.begin() as session:
        await outbox.enqueue(session, app.school_id, envelopes, now)


async def test_a_parent_notice_that_got_no_answer_is_held_as_uncertain_not_sent_again(
    app: App,
) -> None:
    transport = ScriptedTransport({21: [Delivery(Result.UNCERTAIN, error="timeout")]})
    sender = OutboxSender(app.sessions, transport, app.clock, FAST)
    await _enqueue_keys(app, {"notice:1:21": 21, "notice:1:22": 22})
    await sender.drain()
    app.clock.advance(dt.timedelta(hours=1))  # type: ignore[attr-defined]
    await sender.drain()
    assert [c[0] for c in transport.calls].count(21) == 1
    assert await _statuses(app) == {"notice:1:21": "uncertain", "notice:1:22": "sent"}


async def test_a_staff_prompt_that_got_no_answer_goes_once_more_with_a_visible_mark(
    app: App,
) -> None:
    unanswered = Delivery(Result.UNCERTAIN, error="reset")
    transport = ScriptedTransport({31: [unanswered, unanswered], 32: [unanswered]})
    sender = OutboxSender(app.sessions, transport, app.clock, FAST)
    await _enqueue_keys(app, {"prompt:zero:a:31": 31, "prompt:zero:b:32": 32})
    await sender.drain()
    texts = {chat: [text for c, text, _ in transport.calls if c == chat] for chat in (31, 32)}
    assert texts[31] == ["text prompt:zero:a:31", "🔁 text prompt:zero:a:31"]
    assert texts[32] == ["text prompt:zero:b:32", "🔁 text prompt:zero:b:32"]
    assert await _statuses(app) == {"prompt:zero:a:31": "uncertain", "prompt:zero:b:32": "sent"}


async def test_a_bus_alert_that_got_no_answer_goes_once_more_as_staff_prompts_do(
    app: App,
) -> None:
    unanswered = Delivery(Result.UNCERTAIN, error="reset")
    transport = ScriptedTransport({41: [unanswered], 42: [unanswered], 43: [unanswered]})
    sender = OutboxSender(app.sessions, transport, app.clock, FAST)
    keys = {"bus:7:a:alert:41": 41, "dr:3:mismatch:9:42:40:42": 42, "hz:12:43": 43}
    await _enqueue_keys(app, keys)
    await sender.drain()
    for key, chat in keys.items():
        assert [t for c, t, _ in transport.calls if c == chat] == [f"text {key}", f"🔁 text {key}"]


async def test_one_hung_send_does_not_hold_up_the_other_chats(app: App) -> None:
    release = asyncio.Event()

    class HangsOnChat1(ScriptedTransport):
        async def deliver(self, chat_id: int, message: OutMessage) -> Delivery:
            if chat_id == 1:
                await release.wait()
            return await super().deliver(chat_id, message)

    transport = HangsOnChat1()
    sender = OutboxSender(app.sessions, transport, app.clock, FAST)
    await _enqueue(app, [1, 2, 3, 4, 5])
    running = asyncio.create_task(sender.run())
    try:
        for _ in range(200):
            if len(transport.calls) >= 4:
                break
            await asyncio.sleep(0.01)
        assert sorted(c[0] for c in transport.calls) == [2, 3, 4, 5]
    finally:
        release.set()
        sender.stop()
        await asyncio.wait_for(running, 5)
    assert set((await _statuses(app)).values()) == {"sent"}


async def test_an_outage_is_retried_past_eight_attempts_until_the_message_expires(
    app: App,
) -> None:
    down = [Delivery(Result.TRANSIENT, error="502")] * 30
    transport = ScriptedTransport({41: list(down), 42: list(down)})
    sender = OutboxSender(app.sessions, transport, app.clock, FAST)
    expires = app.now() + dt.timedelta(minutes=10)
    await _enqueue_keys(app, {"prompt:a:41": 41}, expires)
    await _enqueue_keys(app, {"prompt:b:42": 42}, app.now() + dt.timedelta(hours=2))
    for _ in range(15):  # 15 minutes of 502s
        await sender.drain()
        app.clock.advance(dt.timedelta(minutes=1))  # type: ignore[attr-defined]
        await sender.drain()
    assert [c[0] for c in transport.calls].count(42) > 8
    transport.script.clear()  # the outage ends
    app.clock.advance(dt.timedelta(minutes=1))  # type: ignore[attr-defined]
    await sender.drain()
    assert await _statuses(app) == {"prompt:a:41": "expired", "prompt:b:42": "sent"}
