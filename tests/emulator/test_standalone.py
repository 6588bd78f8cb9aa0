"""Running standalone, and keeping bot tokens out of the logs."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import aiohttp
import pytest

from emulator import EmulatorServer, serve

TOKEN = "777000:standalone-SECRET-token"


async def test_serve_until_stopped(spec_path: Path) -> None:
    urls: list[str] = []
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve(port=0, spec_path=spec_path, token=TOKEN, flood=True, on_ready=urls.append, stop=stop)
    )
    try:
        for _ in range(200):
            if urls or task.done():
                break
            await asyncio.sleep(0.01)
        [url] = urls
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{url}/bot{TOKEN}/getMe") as response:
                me = (await response.json())["result"]
            async with http.get(f"{url}/_control/flood") as response:
                flood = (await response.json())["result"]
        assert me["id"] == 777000
        assert flood["enabled"] is True
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as http, http.get(f"{url}/_control/flood"):
            pass


async def test_missing_spec_fails_loudly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        await serve(port=0, spec_path=tmp_path / "missing.json", stop=asyncio.Event())


async def test_tokens_never_reach_the_logs(
    spec_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with EmulatorServer(spec_path=spec_path, token=TOKEN) as emu, emu.client() as client:
        user = await client.create_user("Log")
        await client.send_text(user["id"], "/start")
        async with aiohttp.ClientSession() as http:
            for method in ("getMe", "getUpdates", "nonexistentMethod"):
                async with http.post(emu.api_url(method), json={}) as response:
                    await response.read()
            async with http.get(f"{emu.url}/file/bot{TOKEN}/documents/x") as response:
                assert response.status == 404
        await client.add_fault("status", "getMe")
        await client.bot_api("getMe")
    access = [r for r in caplog.records if r.name == "emulator.access"]
    assert any("/bot<token>/getMe" in r.getMessage() for r in access)
    assert all(TOKEN not in r.getMessage() for r in caplog.records)
    assert "SECRET" not in caplog.text
