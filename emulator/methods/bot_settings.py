"""The bot's own account: getMe, commands, menu button, files, session calls."""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import bad_request
from ..files import MAX_DOWNLOAD_BYTES
from ..models import BotAccount
from .registry import CallContext, method

MAX_COMMANDS = 100
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
DEFAULT_SCOPE: dict[str, Any] = {"type": "default"}


@method("getMe")
async def get_me(ctx: CallContext) -> dict[str, Any]:
    return ctx.bot.get_me()


@method("logOut")
@method("close")
async def session_call(ctx: CallContext) -> bool:
    return True


# Profile texts have no observable effect in the emulator, but bots set them at start-up.
@method("setMyName")
@method("setMyDescription")
@method("setMyShortDescription")
async def accept_profile_text(ctx: CallContext) -> bool:
    return True


def _commands_key(ctx: CallContext) -> tuple[str, str]:
    scope = ctx.params.json_object("scope") or DEFAULT_SCOPE
    if not isinstance(scope.get("type"), str):
        raise bad_request("can't parse BotCommandScope JSON object")
    language = ctx.params.string("language_code") or ""
    if language and not _LANGUAGE_RE.match(language):
        raise bad_request("invalid language code specified: must be a two-letter ISO 639-1 code")
    return json.dumps(scope, sort_keys=True, separators=(",", ":")), language


@method("setMyCommands")
async def set_my_commands(ctx: CallContext) -> bool:
    commands = ctx.params.json_array("commands", required=True) or []
    if len(commands) > MAX_COMMANDS:
        raise bad_request("too many commands specified")
    cleaned: list[dict[str, Any]] = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand JSON object")
        name, description = command.get("command"), command.get("description")
        if not isinstance(name, str) or not _COMMAND_RE.match(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        cleaned.append({"command": name, "description": description})
    key = _commands_key(ctx)
    if cleaned:
        ctx.bot.commands[key] = cleaned
    else:
        ctx.bot.commands.pop(key, None)
    return True


@method("getMyCommands")
async def get_my_commands(ctx: CallContext) -> list[dict[str, Any]]:
    return list(ctx.bot.commands.get(_commands_key(ctx), []))


@method("deleteMyCommands")
async def delete_my_commands(ctx: CallContext) -> bool:
    ctx.bot.commands.pop(_commands_key(ctx), None)
    return True


def registered_commands(bot: BotAccount) -> list[dict[str, Any]]:
    """Every command list the bot registered, with its scope and language, for the control API."""
    return [
        {"scope": json.loads(scope), "language_code": language, "commands": list(commands)}
        for (scope, language), commands in bot.commands.items()
    ]


@method("setChatMenuButton")
async def set_chat_menu_button(ctx: CallContext) -> bool:
    chat_id = ctx.params.integer("chat_id")
    if chat_id is not None:
        ctx.target_chat(sending=False)
    button = ctx.params.json_object("menu_button") or {"type": "default"}
    if button.get("type") not in ("commands", "web_app", "default"):
        raise bad_request("can't parse MenuButton JSON object")
    ctx.bot.menu_buttons[chat_id] = button
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(ctx: CallContext) -> dict[str, Any]:
    chat_id = ctx.params.integer("chat_id")
    buttons = ctx.bot.menu_buttons
    return buttons.get(chat_id) or buttons.get(None) or {"type": "default"}


@method("getFile")
async def get_file(ctx: CallContext) -> dict[str, Any]:
    stored = ctx.world.files.get(ctx.params.required_str("file_id").strip())
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.file_size > MAX_DOWNLOAD_BYTES:
        raise bad_request("file is too big")
    return stored.as_file()
