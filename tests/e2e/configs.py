"""A config.toml for a bot started as a subprocess: the shipped one, with paths in tmp."""

from __future__ import annotations

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
