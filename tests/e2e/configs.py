"""A config.toml for a bot started as a subprocess: the shipped one, with paths in tmp."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.conftest import ROOT


def write_config(tmp_path: Path, database_url: str, webhook_port: int | None = None) -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace(
        'database_url = "sqlite+aiosqlite:///var/safety-bot.db"', f'database_url = "{database_url}"'
    )
    text = text.replace('media_dir = "var/media"', f'media_dir = "{tmp_path / "media"}"')
    if webhook_port is not None:
        text = text.replace('webhook_url = ""', f'webhook_url = "http://127.0.0.1:{webhook_port}"')
        text = text.replace("webhook_port = 8080", f"webhook_port = {webhook_port}")
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def start_bot(
    config: Path, api_base: str, run: int, token: str, *options: str
) -> asyncio.subprocess.Process:
    """`safety-bot run` as a process of its own, polling, its output in ``bot-<run>.log``;
    ``options`` such as ``--role worker``."""
    logs = config.parent / f"bot-{run}.log"
    with logs.open("wb") as sink:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            "--config",
            str(config),
            "--api-base",
            api_base,
            *options,
            stdout=sink,
            stderr=sink,
            env={**os.environ, "BOT_TOKEN": token},
            cwd=config.parent,
        )
