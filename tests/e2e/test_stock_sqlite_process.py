"""`safety-bot run` with ``[storage] fast_sqlite = false``: the way back should a library
upgrade break the fast SQLite path's private internals (tests/test_library_internals.py).
The real process, on stock aiosqlite and AsyncSession, serves and stops as it does on the
fast path, and says in its log which path it runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.server import EmulatorServer
from tests.conftest import SPEC_PATH
from tests.e2e.configs import write_config
from tests.e2e.test_process import TOKEN, _admin_code, _start, _stop, _wait_for_reply

pytestmark = pytest.mark.slow


async def test_a_school_on_the_stock_sqlite_path_is_served_by_the_real_process(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    text = config.read_text(encoding="utf-8")
    assert "fast_sqlite = true" in text  # the shipped config names the setting
    config.write_text(text.replace("fast_sqlite = true", "fast_sqlite = false"), encoding="utf-8")
    async with EmulatorServer(spec_path=SPEC_PATH, token=TOKEN) as emu:
        process = await _start(config, emu.url)
        code = await _admin_code(process)
        principal = emu.world.create_user(first_name="校长")
        emu.world.user_send_text(principal.id, f"/start {code}")
        welcome = await _wait_for_reply(emu, principal.id, 1)
        emu.world.user_send_text(principal.id, "/help")
        replies = await _wait_for_reply(emu, principal.id, 2)
        returncode, logs = await _stop(process)
    assert "欢迎" in welcome[0] and len(replies) >= 2
    assert returncode == 0 and "stopped cleanly" in logs
    assert "SQLite on the stock path" in logs
