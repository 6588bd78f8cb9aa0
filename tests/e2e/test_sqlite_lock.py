"""Another process holds SQLite's write lock (a backup, ``sqlite3`` in a shell, a second bot
started by mistake): the bot goes on answering, keeps what people sent, and handles it once
the lock is gone (storage/sqlite_lock.py, bot/updates_once.py).

The lock is held by a real second process (``python -c`` with sqlite3's ``BEGIN
EXCLUSIVE``) until the test tells it to let go, so "answered while the lock was held" is an
order of events, not a timing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.clock import FakeClock
from bot.core.settings import Settings
from storage.models import Inbound, Submission
from tests.e2e.harness import SimPerson, SimulatedSchool, running_school

WAIT_S = 15.0  # every wait on the real clock is bounded

HOLD = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("held", flush=True)
sys.stdin.readline()
connection.execute("ROLLBACK")
"""


class LockHolder:
    """A second process holding the database's write lock until ``release()``."""

    def __init__(self, database: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(database)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "held"

    @property
    def holding(self) -> bool:
        return self.process.poll() is None

    def release(self) -> None:
        if self.holding:
            assert self.process.stdin is not None
            self.process.stdin.write("\n")
            self.process.stdin.flush()
        self.process.wait(timeout=WAIT_S)


@contextlib.contextmanager
def lock_held(settings: Settings) -> Iterator[LockHolder]:
    holder = LockHolder(Path(settings.database_url.split(":///", 1)[1]))
    try:
        yield holder
    finally:
        if holder.holding:
            holder.process.kill()
            holder.process.wait()


@pytest.fixture
def sqlite_only(small_school: Settings) -> Settings:
    if not small_school.database_url.startswith("sqlite"):
        pytest.skip("another process's write lock is SQLite's")
    return small_school


async def until(check: Any, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"not within {WAIT_S:.0f} s: {what}")
        await asyncio.sleep(0.02)


async def count(school: SimulatedSchool, statement: Any) -> int:
    async with school.app.sessions() as session:  # a read: it needs no lock in WAL mode
        return int(await session.scalar(statement) or 0)


def zero_button(school: SimulatedSchool, person: SimPerson) -> tuple[int, str]:
    for message in reversed(
        school.world.chat(person.chat_id).messages_of_bot(school.world.bot().id)
    ):
        view = message.view()
        for row in (view.get("reply_markup") or {}).get("inline_keyboard", []):
            for key in row:
                if key.get("callback_data", "").endswith(":zero"):
                    return int(view["message_id"]), str(key["callback_data"])
    raise LookupError(f"{person.name} has no 零报告 button")


@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_help_is_answered_and_a_zero_report_pressed_meanwhile_is_kept_while_a_backup_holds_the_database(
    sqlite_only: Settings, clock: FakeClock, webhook: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with running_school(sqlite_only, clock, webhook=webhook) as school:
        await school.admin("校长")
        teacher = await school.join("teacher", "3-1", "王老师")
        parent = school.user("李家长")
        await school.at("2026-11-25 14:30")
        message_id, zero = zero_button(school, teacher)
        helps_before = len(school.sent_texts(teacher.chat_id))

        with lock_held(sqlite_only) as holder:
            school.world.press_button(teacher.user_id, teacher.chat_id, message_id, zero)
            school.world.user_send_text(parent.user_id, "/help")
            school.world.user_send_text(teacher.user_id, "/help")

            async def helped() -> bool:
                return bool(school.sent_texts(parent.chat_id)) and any(
                    "/help" in text or "帮助" in text or "命令" in text
                    for text in school.sent_texts(teacher.chat_id)[helps_before:]
                )

            await until(helped, "/help answered while another process holds the lock")
            assert holder.holding, "the lock was let go before /help was answered"
            assert await count(school, select(func.count(Submission.id))) == 0
            holder.release()

        async def reported() -> bool:
            return await count(school, select(func.count(Submission.id))) == 1

        await until(reported, "the zero report pressed during the lock stored after it")

        async def all_stored() -> bool:
            unhandled = select(func.count(Inbound.id)).where(Inbound.handled.is_(False))
            return await count(school, unhandled) == 0 and not school.dispatcher.inbox.held

        await until(all_stored, "every update of the lock stored, handled")
        assert await count(school, select(func.count(Submission.id))) == 1
        assert await count(school, select(func.count(Inbound.id))) >= 4  # 3 + the prompt's day
        spool = Path(sqlite_only.database_url.split(":///", 1)[1] + "-kept-updates.jsonl")
        assert not spool.exists()

    locked = [
        r.getMessage() for r in caplog.records if "locked by another process" in r.getMessage()
    ]
    assert len(locked) == 1, locked
    assert "pid" in locked[0]
    assert any("free again" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [
        r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR
    ]
