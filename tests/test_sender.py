"""The outbox sender with a scripted transport: limits, 429, 403, 5xx, crash recovery."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import select

from bot.app import App
from scheduler.sender import Delivery, Limits, OutboxSender, Result
from storage import outbox, people
from storage.messages import OutMessage
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
            await people.mark_unreachable(session, row.tg_chat_id)

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


async def test_after_a_crash_claimed_rows_are_sent_by_the_next_process(app: App) -> None:
    await _enqueue(app, [1, 2, 3])
    async with app.sessions.begin() as session:
        claimed = await outbox.claim(session, app.now(), 10)  # a process claimed them, then died
    assert len(claimed) == 3
    transport = ScriptedTransport()
    sender = OutboxSender(app.sessions, transport, app.clock, Limits(messages_per_second=200))
    assert await sender.recover() == 3
    await sender.drain()
    assert sorted(c[0] for c in transport.calls) == [1, 2, 3]
