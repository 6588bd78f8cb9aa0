"""Two schools on one database, and several workers for one school: each school's sender
takes its own rows only, a blocked chat is marked in its own school only, a worker starting
up leaves the rows another live worker holds, and exactly one process ticks a school."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.messages import OutMessage
from scheduler.sender import Delivery, Limits, OutboxSender, Result
from storage import outbox, people
from storage.leader import AlwaysLeads, tick_leadership
from storage.models import Chat, Outbox, Person
from tests.test_sender import ScriptedTransport

FAST = Limits(messages_per_second=200, per_chat_interval_s=0.0)
PARENT = 4242  # a parent with a child in each school: the same chat id with both bots


async def other_school(app: App) -> int:
    async with app.sessions.begin() as session:
        school = await people.sync_school(
            session, "hetang", "荷塘小学", "Asia/Shanghai", [], app.now()
        )
        return school.id


async def parent_in(app: App, school_id: int) -> Person:
    now = app.now()
    async with app.sessions.begin() as session:
        person = Person(
            school_id=school_id,
            display_name="两校家长",
            tg_user_id=PARENT,
            unreachable=False,
            created_at=now,
            roles=[],
        )
        session.add(person)
        await session.flush()
        await people.remember_private_chat(session, school_id, person, PARENT, now)
        return person


async def notice(app: App, school_id: int, key: str) -> None:
    now = app.now()
    envelope = outbox.Envelope(key, PARENT, OutMessage(key), now)
    async with app.sessions.begin() as session:
        await outbox.enqueue(session, school_id, [envelope], now)


async def test_a_schools_bot_sends_its_own_rows_and_a_block_marks_its_own_parent_only(
    app: App,
) -> None:
    b = await other_school(app)
    mine, theirs = await parent_in(app, app.school_id), await parent_in(app, b)
    await notice(app, app.school_id, "notice:a")
    await notice(app, b, "notice:b")
    transport = ScriptedTransport({PARENT: [Delivery(Result.BLOCKED, error="Forbidden")]})

    async def on_blocked(row: Outbox) -> None:
        async with app.sessions.begin() as session:
            await people.mark_unreachable(session, row.school_id, row.tg_chat_id)

    sender = OutboxSender(
        app.sessions, transport, app.clock, FAST, on_blocked, school_id=app.school_id
    )
    await sender.drain()

    assert [text for _, text, _ in transport.calls] == ["notice:a"]  # never school B's row
    async with app.sessions() as session:
        statuses = dict((await session.execute(select(Outbox.key, Outbox.status))).all())
        blocked = {
            p.school_id: p.unreachable
            for p in await session.scalars(select(Person).where(Person.tg_user_id == PARENT))
        }
        chats = {
            c.school_id: c.unreachable
            for c in await session.scalars(select(Chat).where(Chat.tg_chat_id == PARENT))
        }
    assert statuses == {"notice:a": "unreachable", "notice:b": "pending"}
    # The parent blocked school A's bot; school B's bot still reaches them.
    assert blocked == {app.school_id: True, b: False} and chats == blocked
    assert mine.id != theirs.id


async def test_a_worker_starting_mid_broadcast_leaves_the_rows_a_live_worker_holds(
    app: App, clock: FakeClock
) -> None:
    if app.engine.dialect.name == "sqlite":
        pytest.skip("SQLite belongs to one process: every lease at start-up is a dead run's")
    for n in range(3):
        await notice(app, app.school_id, f"notice:{n}")
    async with app.sessions.begin() as session:  # the first worker holds them
        held = await outbox.claim(session, app.now(), 10, school_id=app.school_id, owner="w1")
    assert len(held) == 3
    transport = ScriptedTransport()
    second = OutboxSender(app.sessions, transport, app.clock, FAST, school_id=app.school_id)
    assert await second.recover() == 0
    assert await second.drain(timeout_s=1) == 0 and transport.calls == []
    # The first worker died: once its leases run out, the second sends them.
    clock.advance(outbox.LEASE + dt.timedelta(seconds=1))
    assert await second.recover() == 3
    assert await second.drain() == 3


async def test_a_live_worker_renews_its_leases_and_nobody_takes_them(
    app: App, clock: FakeClock
) -> None:
    await notice(app, app.school_id, "notice:1")
    async with app.sessions.begin() as session:
        await outbox.claim(session, app.now(), 10, school_id=app.school_id, owner="w1")
    clock.advance(outbox.LEASE * 0.75)
    async with app.sessions.begin() as session:
        rows = list((await session.scalars(select(Outbox.id))).all())
        await outbox.renew(session, rows, app.now(), "w2")  # not w2's: changes nothing
        await outbox.renew(session, rows, app.now(), "w1")
    clock.advance(outbox.LEASE * 0.75)
    async with app.sessions.begin() as session:
        taken = await outbox.claim(session, app.now(), 10, school_id=app.school_id, owner="w2")
    assert taken == []


async def test_exactly_one_process_ticks_a_school_and_a_standby_takes_over(app: App) -> None:
    if app.engine.dialect.name == "sqlite":
        assert isinstance(tick_leadership(app.engine, app.school_id), AlwaysLeads)
        return
    first = tick_leadership(app.engine, app.school_id)
    standby = tick_leadership(app.engine, app.school_id)
    another_school = tick_leadership(app.engine, app.school_id + 1)
    try:
        assert await first.leads() and await first.leads()
        assert not await standby.leads()
        assert await another_school.leads()
        await first.resign()  # as the process's end frees the lock
        assert await standby.leads()
        assert not await first.leads()
    finally:
        for leader in (first, standby, another_school):
            await leader.resign()
