"""Fixtures for the Bot API emulator tests: the spec file, a running emulator, raw HTTP access."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from emulator import EmulatorClient, EmulatorServer
from tests.conftest import SPEC_PATH


@pytest.fixture(scope="session")
def spec_path() -> Path:
    # A missing spec must fail loudly: skipping would hide that nothing is validated.
    if not SPEC_PATH.is_file():
        pytest.fail(f"Bot API spec not found at {SPEC_PATH}")
    return SPEC_PATH


@pytest.fixture
async def emu(spec_path: Path) -> AsyncIterator[EmulatorServer]:
    async with EmulatorServer(spec_path=spec_path, webhook_retry_delay=0.01) as server:
        yield server


@pytest.fixture
async def client(emu: EmulatorServer) -> AsyncIterator[EmulatorClient]:
    async with emu.client() as control:
        yield control


class RawApi:
    """Bot API calls over plain HTTP, returning (HTTP status, body) without interpretation."""

    def __init__(self, session: aiohttp.ClientSession, emu: EmulatorServer) -> None:
        self.session = session
        self.emu = emu

    async def json(
        self, method: str, params: dict[str, Any] | None = None, *, token: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        async with self.session.post(self.emu.api_url(method, token), json=params or {}) as resp:
            return resp.status, await resp.json()

    async def form(
        self, method: str, data: aiohttp.FormData | dict[str, str], *, token: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        async with self.session.post(self.emu.api_url(method, token), data=data) as resp:
            return resp.status, await resp.json()

    async def ok(self, method: str, params: dict[str, Any] | None = None) -> Any:
        status, body = await self.json(method, params)
        assert status == 200 and body["ok"], body
        return body["result"]


@pytest.fixture
async def api(emu: EmulatorServer) -> AsyncIterator[RawApi]:
    async with aiohttp.ClientSession() as session:
        yield RawApi(session, emu)


@pytest.fixture
async def alice(client: EmulatorClient) -> dict[str, Any]:
    """A user who has started the bot (so the bot may write to her)."""
    user = await client.create_user("Alice", username="alice_parent")
    await client.send_text(user["id"], "/start")
    return user
