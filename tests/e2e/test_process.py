"""`safety-bot run` as a real process against the emulator: polling, webhook, SIGTERM, logs."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from emulator.server import EmulatorServer
from tests.conftest import SPEC_PATH
from tests.e2e.configs import write_config

TOKEN = "777001:PROCESS-test-token-abcdefghijklmnopqrstu"
SECRET = "webhook-secret-for-the-test_123"
CODE_RE = re.compile(r"/start ([A-Za-z0-9_-]+)")

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _start(config: Path, api_base: str, *extra: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "BOT_TOKEN": TOKEN, "WEBHOOK_SECRET": SECRET}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "--config",
        str(config),
        "--api-base",
        api_base,
        "--tick-seconds",
        "5",
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=config.parent,
    )


async def _admin_code(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    while True:
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        if not line:
            raise AssertionError("the bot exited before printing the admin code")
        found = CODE_RE.search(line)
        if found:
            return found.group(1)


async def _wait_for_reply(emu: EmulatorServer, chat_id: int, count: int) -> list[str]:
    for _ in range(600):
        chat = emu.world.private_chat(emu.world.bot().id, chat_id)
        mine = chat.messages_of_bot(emu.world.bot().id) if chat else []
        if len(mine) >= count:
            return [m.data.get("text", "") for m in mine]
        await asyncio.sleep(0.05)
    raise AssertionError("no reply from the bot process")


async def _stop(process: asyncio.subprocess.Process) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    return process.returncode or 0, stderr.decode()


async def test_polling_process_serves_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    async with EmulatorServer(spec_path=SPEC_PATH, token=TOKEN) as emu:
        process = await _start(
            write_config(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"), emu.url
        )
        code = await _admin_code(process)
        principal = emu.world.create_user(first_name="校长")
        emu.world.user_send_text(principal.id, f"/start {code}")
        replies = await _wait_for_reply(emu, principal.id, 1)
        commands = emu.world.bot().commands
        returncode, logs = await _stop(process)
    assert "欢迎" in replies[0]
    assert commands, "the command list was registered"
    assert returncode == 0 and "stopped cleanly" in logs
    assert "level=INFO" in logs and TOKEN not in logs and TOKEN.split(":")[1] not in logs


async def test_webhook_process_checks_the_secret_token(tmp_path: Path) -> None:
    port = _free_port()
    async with EmulatorServer(spec_path=SPEC_PATH, token=TOKEN) as emu:
        process = await _start(
            write_config(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", port),
            emu.url,
            "--webhook",
        )
        code = await _admin_code(process)
        for _ in range(200):
            if emu.world.bot().webhook is not None:
                break
            await asyncio.sleep(0.05)
        principal = emu.world.create_user(first_name="校长")
        emu.world.user_send_text(principal.id, f"/start {code}")
        replies = await _wait_for_reply(emu, principal.id, 1)
        forged = {
            "update_id": 999,
            "message": {
                "message_id": 1,
                "date": 0,
                "text": "/help",
                "chat": {"id": principal.id, "type": "private"},
                "from": {"id": principal.id, "is_bot": False, "first_name": "x"},
            },
        }
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/telegram/webhook"
            async with http.post(
                url, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            ) as response:
                status = response.status
        await asyncio.sleep(0.3)
        after = await _wait_for_reply(emu, principal.id, 1)
        returncode, logs = await _stop(process)
    assert "欢迎" in replies[0]
    assert status == 401 and len(after) == 1  # the forged update was not handled
    assert returncode == 0 and SECRET not in logs and TOKEN not in logs
