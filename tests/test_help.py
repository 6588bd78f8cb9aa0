"""Every chat command has help in both languages: the menu, /help, and /help COMMAND."""

from __future__ import annotations

import re
from pathlib import Path

from bot.core.i18n import LANGUAGES, catalog, t
from bot.runner import COMMANDS

HANDLERS = Path(__file__).resolve().parents[1] / "handlers"
NO_USAGE = {"start", "help", "cancel"}


def chat_commands() -> set[str]:
    found: set[str] = set()
    for path in HANDLERS.rglob("*.py"):  # handlers/duty/ is a package
        found |= set(re.findall(r'Command\("([a-z_]+)"', path.read_text(encoding="utf-8")))
    return found


def test_every_command_has_usage_help_in_zh_and_en() -> None:
    commands = chat_commands()
    assert {"today", "plan", "calendar", "export", "notice", "zero", "duty"} <= commands
    missing = [
        c
        for c in sorted(commands - NO_USAGE)
        if not any(k in catalog() for k in (f"usage.{c}", f"{c}.usage"))
    ]
    assert missing == []


def test_the_command_menu_is_described_in_both_languages() -> None:
    for command in COMMANDS:
        texts = {lang: t(lang, f"cmd.{command}") for lang in LANGUAGES}
        assert all(1 <= len(text) <= 256 for text in texts.values()), command
        assert texts["zh"] != texts["en"], command
