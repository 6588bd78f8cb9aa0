"""kill -9 right after the bot fetched a batch of presses by polling, then a restart: no press
is lost. The bot confirms a batch (the next getUpdates' offset) only once it is stored, and
the restart handles what was stored and never finished.

The bot runs as a real process (``python -m bot.cli run``, polling) against the emulator in
this process; the parents and the notice are seeded straight into the database, as in
tests/e2e/test_notice_crash.py. Before, PostgreSQL lost the whole batch (100 of 300): the
offset was confirmed while its handlers had not reached the database. SQLite's handlers
ran to their commit on the loop's thread before the next getUpdates left, so it lost none.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.broadcast import TEXT, queue_notice, seed_parents
from bot.app import App, close_app, open_app
from bot.core.settings import Settings
from emulator.server import EmulatorServer
from storage.models import Inbound
from storage.notices import NoticeRecipient
from tests.conftest import SPEC_PATH, settings_for
from tests.e2e.configs import start_bot, write_config

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "777003:POLLING-crash-token-abcdefghijklmnopqr"
PARENTS = 300
MARKER = TEXT.splitlines()[0]


async def wait_until(check: Callable[[], object], timeout_s: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)  # the emulator serves the bot process meanwhile


async def confirmed(app: App) -> int:
    async with app.sessions() as session:
        return int(
            await session.scalar(
                select(func.count(NoticeRecipient.id)).where(
                    NoticeRecipient.confirmed_at.is_not(None)
                )
            )
            or 0
        )


async def unfinished(app: App) -> int:
    """Updates stored and not handled yet (by the second run, before it is stopped)."""
    async with app.sessions() as session:
        return int(
            await session.scalar(select(func.count(Inbound.id)).where(Inbound.handled.is_(False)))
            or 0
        )


async def test_a_bot_killed_right_after_fetching_a_batch_of_presses_loses_none(
    shipped_settings: Settings, database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(shipped_settings, database_url, tmp_path)
    config = write_config(tmp_path, database_url)
    async with EmulatorServer(spec_path=SPEC_PATH, token=TOKEN) as emu:
        app = await open_app(settings)
        try:
            seeded = await seed_parents(app, emu.world, PARENTS)
            notice_id, _ = await queue_notice(
                app, seeded.admin_person_id, app.now() + dt.timedelta(days=3)
            )
            chats = seeded.parent_chat_ids
            world = emu.world
            bot_id = world.bot().id

            def notices() -> list[int]:
                return [
                    next(
                        (
                            m.message_id
                            for m in world.chat(c).messages_of_bot(bot_id)
                            if MARKER in (m.data.get("text") or "")
                        ),
                        0,
                    )
                    for c in chats
                ]

            first = await start_bot(config, emu.url, 1, TOKEN)
            await wait_until(lambda: all(notices()), 60, "the notice to reach every parent")
            queue = world.bot().updates
            for chat, message_id in zip(chats, notices(), strict=True):
                world.press_button(chat, chat, message_id, f"nread:{notice_id}:ok")
            first_press = min(u["update_id"] for u in queue.peek() if "callback_query" in u)
            confirm = queue.confirm
            killed: list[int] = []

            def confirm_and_kill(offset: int) -> None:
                """The getUpdates that confirms the first batch of presses: the bot has
                fetched them, and dies now."""
                if offset > first_press and not killed:
                    killed.append(offset)
                    first.send_signal(signal.SIGKILL)
                confirm(offset)

            queue.confirm = confirm_and_kill  # type: ignore[method-assign]
            await asyncio.wait_for(first.wait(), 30)
            queue.confirm = confirm  # type: ignore[method-assign]
            at_kill = await confirmed(app)

            second = await start_bot(config, emu.url, 2, TOKEN)
            try:
                for _ in range(600):
                    if (await confirmed(app), await unfinished(app)) == (PARENTS, 0):
                        break
                    await asyncio.sleep(0.1)
            finally:
                second.send_signal(signal.SIGTERM)
                await asyncio.wait_for(second.wait(), 30)
            after = await confirmed(app)
        finally:
            await close_app(app)

    assert first.returncode == -signal.SIGKILL and at_kill < PARENTS
    assert after == PARENTS, f"{PARENTS - after} presses lost ({at_kill} recorded at the kill)"
