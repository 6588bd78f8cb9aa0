"""The storage layer on SQLite and PostgreSQL: migrations, idempotent inserts, invites, outbox."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot.app import App
from bot.core.messages import Button, OutMessage
from storage import db, outbox, people
from storage.models import Outbox, Person, Role, Unit
from storage.sqlite_driver import NestedSession
from tests.conftest import add_person, local


async def test_migrations_apply_twice_and_units_come_from_config(app: App) -> None:
    await db.upgrade(app.engine)  # a second upgrade is a no-op
    async with app.sessions() as session:
        classes = await people.units(session, app.school_id, "class")
        departments = await people.units(session, app.school_id, "department")
    assert len(classes) == 24 and {d.slug for d in departments} == {"canteen", "general", "guard"}
    assert classes[0].name == "一(1)班" and classes[0].grade == 1


@pytest.mark.stock_sqlite_too
async def test_outbox_enqueue_is_idempotent_and_claim_orders_by_priority(app: App) -> None:
    now = local("2026-11-25 09:00")
    bulk = outbox.Envelope("bulk:1", 111, OutMessage("hello"), now, priority=outbox.PRIORITY_BULK)
    alert = outbox.Envelope(
        "alert:1",
        222,
        OutMessage("alert", buttons=((Button("ok", "x:1"),),)),
        now,
        priority=outbox.PRIORITY_ALERT,
    )
    async with app.sessions.begin() as session:
        assert await outbox.enqueue(session, app.school_id, [bulk, alert], now) == 2
    async with app.sessions.begin() as session:
        assert await outbox.enqueue(session, app.school_id, [bulk, alert], now) == 0
    async with app.sessions.begin() as session:
        claimed = await outbox.claim(session, now, 10, school_id=app.school_id)
    assert [row.key for row in claimed] == ["alert:1", "bulk:1"]
    assert OutMessage.from_payload(claimed[0].payload).buttons[0][0].data == "x:1"
    async with app.sessions() as session:
        statuses = (await session.scalars(select(Outbox.status))).all()
    assert set(statuses) == {"sending"}


async def test_outbox_rows_expire_instead_of_leaving_late(app: App) -> None:
    now = local("2026-11-25 09:00")
    stale = outbox.Envelope(
        "old",
        1,
        OutMessage("x"),
        now - dt.timedelta(days=1),
        expires_at=now - dt.timedelta(hours=1),
    )
    async with app.sessions.begin() as session:
        await outbox.enqueue(session, app.school_id, [stale], now)
    async with app.sessions.begin() as session:
        assert await outbox.claim(session, now, 10, school_id=app.school_id) == []
    async with app.sessions() as session:
        assert await session.scalar(select(Outbox.status)) == "expired"


async def test_invites_are_stored_hashed_and_single_use(app: App) -> None:
    now = local("2026-11-25 09:00")
    async with app.sessions.begin() as session:
        unit = await session.scalar(select(Unit).where(Unit.slug == "3-2"))
        assert unit is not None
        token, invite = await people.create_invite(
            session, app.school_id, "head_teacher", unit.id, None, now, dt.timedelta(hours=1), 1
        )
        assert token not in invite.token_hash
    async with app.sessions.begin() as session:
        first = await people.redeem_invite(session, app.school_id, token, 1001, "王老师", None, now)
        second = await people.redeem_invite(session, app.school_id, token, 1002, "李", None, now)
        forged = await people.redeem_invite(
            session, app.school_id, token + "x", 1003, "x", None, now
        )
    assert first.outcome is people.Redeem.OK and second.outcome is people.Redeem.USED_UP
    assert forged.outcome is people.Redeem.UNKNOWN
    async with app.sessions.begin() as session:
        token2, _ = await people.create_invite(
            session, app.school_id, "parent", unit.id, None, now, dt.timedelta(hours=1), 5
        )
    async with app.sessions.begin() as session:
        late = await people.redeem_invite(
            session, app.school_id, token2, 1004, "x", None, now + dt.timedelta(hours=2)
        )
        count = await session.scalar(select(func.count()).select_from(people.Person))
    assert late.outcome is people.Redeem.EXPIRED and count == 1


async def test_private_chats_by_role_name_each_reachable_holder_once(app: App) -> None:
    """Whom an alert goes to: a head teacher of two classes once, not the unreachable one,
    not someone with another role, in the order people were added."""
    async with app.sessions() as session:
        classes = await people.units(session, app.school_id, "class")
    two_classes = await add_person(app, "p2001", "head_teacher", classes[0], 2001)
    await add_person(app, "p2002", "head_teacher", classes[2], 2002, blocked=True)
    await add_person(app, "p2003", "staff", classes[3], 2003)
    one_class = await add_person(app, "p2004", "head_teacher", classes[4], 2004)
    async with app.sessions.begin() as session:
        second = await people.person_by_tg(session, app.school_id, 2001)
        assert second is not None
        await people.grant_role(session, second, "head_teacher", classes[1].id, app.now())
    async with app.sessions() as session:
        found = await people.private_chats_with_role(session, app.school_id, "head_teacher")
        nobody = await people.private_chats_with_role(session, app.school_id, "admin")
    assert found == [(two_classes.id, None, 2001), (one_class.id, None, 2004)]
    assert nobody == []


@pytest.mark.stock_sqlite_too
async def test_the_sender_of_an_update_comes_with_every_role_and_as_already_stored(
    app: App,
) -> None:
    """What every handler checks (bot/actors.py): who it is, every role with its unit; a
    stranger is None. Passing the person back to a session stores nothing twice."""
    async with app.sessions() as session:
        classes = await people.units(session, app.school_id, "class")
    await add_person(app, "王老师", "head_teacher", classes[0], 2001)
    async with app.sessions.begin() as session:
        stored = await people.person_by_tg(session, app.school_id, 2001)
        assert stored is not None
        await people.grant_role(session, stored, "duty_leader", None, app.now())
        session.add(
            Person(
                school_id=app.school_id,
                display_name="新同事",
                tg_user_id=2002,
                language="en",
                unreachable=False,
                created_at=app.now(),
            )
        )
    async with app.sessions() as session:
        actor = await people.actor_by_tg(session, app.school_id, 2001)
        no_roles = await people.actor_by_tg(session, app.school_id, 2002)
        stranger = await people.actor_by_tg(session, app.school_id, 2003)
    assert actor is not None and no_roles is not None and stranger is None
    assert (actor.display_name, actor.tg_user_id, actor.language) == ("王老师", 2001, None)
    assert {(r.role, r.unit_id) for r in actor.roles} == {
        ("head_teacher", classes[0].id),
        ("duty_leader", None),
    }
    assert people.has_role(actor, "duty_leader") and not people.has_role(no_roles, "admin")
    assert (no_roles.display_name, no_roles.language, no_roles.roles) == ("新同事", "en", [])
    async with app.sessions.begin() as session:
        session.add(actor)  # as a loaded person: no INSERT of a second one, no UPDATE
        assert not session.dirty and not session.new
    async with app.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(Person))
        roles = await session.scalar(select(func.count()).select_from(Role))
    assert (count, roles) == (2, 2)


async def test_one_sqlite_connection_taken_in_turn_and_never_twice_by_one_task(
    tmp_path: Path,
) -> None:
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / 'one.db'}")
    sessions = db.make_session_factory(engine)
    order: list[str] = []

    async def user(name: str) -> None:
        async with sessions() as session:
            await session.execute(text("select 1"))
            order.append(f"{name} in")
            await asyncio.sleep(0)  # the others ask for the connection meanwhile
            order.append(f"{name} out")

    try:
        await asyncio.gather(*(user(n) for n in "abc"))
        # One at a time, in the order they asked: a writer never waits on SQLite's lock.
        assert order == ["a in", "a out", "b in", "b out", "c in", "c out"]
        async with sessions() as outer:
            await outer.execute(text("select 1"))
            with pytest.raises(NestedSession):  # at once, not after the pool's timeout
                async with sessions() as inner:
                    await inner.execute(text("select 1"))
    finally:
        await engine.dispose()


@pytest.mark.stock_sqlite_too
async def test_a_failed_transaction_keeps_nothing_and_the_next_one_starts_at_once(
    app: App,
) -> None:
    """On SQLite, commit and close run in the caller's task (storage/db.py): a transaction
    that raises must still roll back and give the one connection back."""
    now = local("2026-11-25 09:00")
    envelope = outbox.Envelope("lost:1", 111, OutMessage("hello"), now)
    with pytest.raises(RuntimeError, match="handler crashed"):
        async with app.sessions.begin() as session:
            assert await outbox.enqueue(session, app.school_id, [envelope], now) == 1
            raise RuntimeError("handler crashed")

    async def count_rows() -> int:
        async with app.sessions() as session:
            return int(await session.scalar(select(func.count(Outbox.id))) or 0)

    assert await asyncio.wait_for(count_rows(), timeout=5) == 0
    async with app.sessions.begin() as session:
        assert await outbox.enqueue(session, app.school_id, [envelope], now) == 1
    assert await count_rows() == 1


async def test_sqlite_opens_its_connection_again_after_an_error_invalidated_it(
    tmp_path: Path,
) -> None:
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / 'again.db'}")
    sessions = db.make_session_factory(engine)
    try:
        async with sessions() as session:
            assert await session.scalar(text("select 1")) == 1
            await (await session.connection()).invalidate()  # what a broken connection gets
        async with sessions.begin() as session:  # opened again, which has to be awaited
            assert await session.scalar(text("select 2")) == 2
    finally:
        await engine.dispose()


@pytest.mark.stock_sqlite_too
async def test_fast_sqlite_off_gives_the_stock_aiosqlite_and_async_session(
    app: App, fast_sqlite: bool
) -> None:
    """``[storage] fast_sqlite = false`` is the way back should an upgrade break the fast
    path's private internals (tests/test_library_internals.py): SQLAlchemy's own
    AsyncSession over stock aiosqlite (its worker thread), still one connection."""
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.sqlite_session import SQLiteSession

    session_class = app.sessions.class_
    if app.engine.dialect.name != "sqlite":
        assert session_class is AsyncSession
    elif fast_sqlite:
        assert session_class is SQLiteSession
        assert type(app.engine.pool).__name__ == "OneConnectionPool"
    else:
        assert session_class is AsyncSession
        assert type(app.engine.pool).__name__ == "AsyncAdaptedQueuePool"
        assert app.engine.pool.size() == 1
        assert app.engine.dialect.dbapi.__class__.__name__ == "AsyncAdapt_aiosqlite_dbapi"
    async with app.sessions.begin() as session:
        assert await session.scalar(select(func.count(Outbox.id))) == 0
