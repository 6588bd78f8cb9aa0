"""What the outbox could not deliver reaches people who can act: lost messages (an outage
until their expiry) in one alert per routine and day, newly unreachable parents in one daily
digest, uncertain sends on /today."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.messages import OutMessage
from scheduler import overview
from scheduler.sender import Delivery, Limits, OutboxSender, Result
from storage import outbox
from storage.models import Outbox, Person
from tests.conftest import add_person, local, unit_by_slug
from tests.test_sender import ScriptedTransport

FAST = Limits(messages_per_second=200, per_chat_interval_s=0.0)


async def _queue(app: App, key: str, to: Person, text: str, expires: dt.datetime | None) -> None:
    envelope = outbox.Envelope(
        key, to.tg_user_id or 0, OutMessage(text), app.now(), expires, person_id=to.id
    )
    async with app.sessions.begin() as session:
        await outbox.enqueue(session, app.school_id, [envelope], app.now())


async def _texts_to(app: App, prefix: str) -> list[tuple[int, str]]:
    async with app.sessions() as session:
        rows = await session.execute(
            select(Outbox.tg_chat_id, Outbox.payload).where(Outbox.key.startswith(prefix))
        )
        return [(chat, payload["text"]) for chat, payload in rows.all()]


async def test_admins_hear_once_a_day_which_prompts_an_outage_kept_from_going_out(
    app: App, clock: FakeClock
) -> None:
    clock.set(local("2026-11-25 08:00"))
    await add_person(app, "赵校长", "admin", None, 9_000_001)
    unit = await unit_by_slug(app, "3-1")
    teacher = await add_person(app, "王老师", "head_teacher", unit, 9_000_002)
    down = [Delivery(Result.TRANSIENT, error="502 Bad Gateway")] * 50
    transport = ScriptedTransport({9_000_002: list(down)})
    sender = OutboxSender(app.sessions, transport, app.clock, FAST)
    soon = local("2026-11-25 08:10")
    await _queue(app, "prompt:zero:2026-11-25:3-1:9000002", teacher, "请提交今日安全日报", soon)
    for _ in range(12):
        await sender.drain()
        clock.advance(dt.timedelta(minutes=1))
    await app.tick()
    alerts = await _texts_to(app, "lost:")
    assert [chat for chat, _ in alerts] == [9_000_001]
    assert "王老师：请提交今日安全日报" in alerts[0][1] and "502" in alerts[0][1]
    # A second loss of the same routine that day: still one alert.
    await _queue(
        app, "remind:zero:2026-11-25:3-1:9000002", teacher, "提醒", local("2026-11-25 08:20")
    )
    for _ in range(12):
        await sender.drain()
        clock.advance(dt.timedelta(minutes=1))
    await app.tick()
    assert len(await _texts_to(app, "lost:")) == 1


async def test_parents_who_blocked_the_bot_reach_the_head_teacher_and_admins_in_one_digest(
    app: App, clock: FakeClock
) -> None:
    clock.set(local("2026-11-25 10:00"))
    unit = await unit_by_slug(app, "3-1")
    await add_person(app, "赵校长", "admin", None, 9_100_001)
    await add_person(app, "王老师", "head_teacher", unit, 9_100_002)
    other = await add_person(
        app, "李老师", "head_teacher", await unit_by_slug(app, "3-2"), 9_100_003
    )
    parent = await add_person(app, "张三家长", "parent", unit, 9_100_004)
    transport = ScriptedTransport({9_100_004: [Delivery(Result.BLOCKED, error="Forbidden")]})
    sender = OutboxSender(app.sessions, transport, app.clock, FAST)
    await _queue(app, "notice:1:x", parent, "通知", None)
    await sender.drain()
    clock.set(local("2026-11-25 16:00"))
    await app.tick()
    assert await _texts_to(app, "unreachable:") == []  # the digest waits for 16:30
    clock.set(local("2026-11-25 16:31"))
    await app.tick()
    await app.tick()
    digests = dict(await _texts_to(app, "unreachable:"))
    assert set(digests) == {9_100_001, 9_100_002} and other.tg_user_id not in digests
    assert all("张三家长（三(1)班）" in text for text in digests.values())


async def test_today_counts_the_sends_that_may_not_have_arrived(app: App, clock: FakeClock) -> None:
    parent = await add_person(app, "张三家长", "parent", await unit_by_slug(app, "3-1"), 9_200_001)
    transport = ScriptedTransport({9_200_001: [Delivery(Result.UNCERTAIN, error="timeout")]})
    sender = OutboxSender(app.sessions, transport, app.clock, FAST)
    await _queue(app, "notice:1:9200001", parent, "通知", None)
    await sender.drain()
    assert app.ticker is not None
    calendar = await app.ticker.calendar()
    async with app.sessions() as session:
        text = await overview.day_overview(
            session, app.ticker.ctx, app.settings, calendar, app.today(), app.today(), "zh"
        )
    assert "今日送达不确定 1 条" in text
