"""A send in flight when its sender died (kill -9, a lease that ran out) may have reached the
parent: the next sender holds it as uncertain instead of sending it twice; a staff prompt
goes once more, marked 🔁; a row that was only waiting its turn is simply sent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.messages import OutMessage
from scheduler.sender import Limits, OutboxSender
from storage import outbox
from storage.models import Outbox
from tests.test_sender import ScriptedTransport

FAST = Limits(messages_per_second=200, per_chat_interval_s=0.0)
KEYS = {"notice:1:51": 51, "prompt:zero:a:52": 52, "notice:1:53": 53}


async def killed_mid_broadcast(app: App) -> None:
    """What a sender killed mid-broadcast leaves: all three claimed ('sending'), the requests
    of 51 and 52 gone out (no answer yet), 53 waiting for its turn."""
    now = app.now()
    envelopes = [
        outbox.Envelope(key, chat, OutMessage(f"text {key}"), now) for key, chat in KEYS.items()
    ]
    async with app.sessions.begin() as session:
        await outbox.enqueue(session, app.school_id, envelopes, now)
        await session.execute(update(Outbox).values(status="sending", claimed_at=now, attempts=1))
        for row in (await session.scalars(select(Outbox))).all():
            if row.tg_chat_id in (51, 52):
                await outbox.requested(session, row.id, now)


async def statuses(app: App) -> dict[str, str]:
    async with app.sessions() as session:
        return dict((await session.execute(select(Outbox.key, Outbox.status))).all())


async def test_a_notice_in_flight_at_a_kill_is_uncertain_after_the_restart_and_never_sent_twice(
    app: App, clock: FakeClock
) -> None:
    await killed_mid_broadcast(app)
    clock.advance(outbox.CLAIM_TIMEOUT + dt.timedelta(seconds=1))
    transport = ScriptedTransport()
    sender = OutboxSender(app.sessions, transport, app.clock, FAST)
    assert await sender.recover() == 2  # the prompt (marked) and the notice that never left
    await sender.drain()
    assert sorted((chat, text) for chat, text, _ in transport.calls) == [
        (52, "🔁 text prompt:zero:a:52"),
        (53, "text notice:1:53"),
    ]
    assert await statuses(app) == {
        "notice:1:51": "uncertain",
        "prompt:zero:a:52": "sent",
        "notice:1:53": "sent",
    }
    async with app.sessions() as session:
        held = await session.scalar(select(Outbox).where(Outbox.key == "notice:1:51"))
    assert held is not None and held.last_error == outbox.IN_DOUBT and held.settled_at


async def test_a_notice_whose_sender_died_mid_request_is_held_by_the_sender_that_takes_its_lease(
    app: App, clock: FakeClock
) -> None:
    await killed_mid_broadcast(app)
    clock.advance(outbox.CLAIM_TIMEOUT + dt.timedelta(seconds=1))
    transport = ScriptedTransport()
    live = OutboxSender(app.sessions, transport, app.clock, FAST)  # no restart: a lease ran out
    await live.drain()
    assert sorted((chat, text) for chat, text, _ in transport.calls) == [
        (52, "🔁 text prompt:zero:a:52"),
        (53, "text notice:1:53"),
    ]
    assert (await statuses(app))["notice:1:51"] == "uncertain"
