"""The control API under /_control/: acting as people, inspecting state, steering the emulator.

Every operation has a name (used by /_control/batch and EmulatorClient), an
HTTP method and a path. Arguments come from the path, the query string and a
JSON body, merged. Responses are ``{"ok": true, "result": ...}``, or
``{"ok": false, "error_code": 400|404, "description": ...}``.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from aiohttp import web

from .errors import ApiError, NotFoundError
from .faults import FAULT_ACTIONS, FaultAction, FaultInjector
from .flood import FloodLimiter
from .http_api import dump_json, json_response
from .methods import registered_commands
from .methods.updates import webhook_info
from .params import CoercionError, as_bool, as_int, as_str
from .stats import Stats
from .webhook import WebhookDelivery
from .world import World

logger = logging.getLogger("emulator.control")
PREFIX = "/_control"


class Args:
    """Typed, validated access to a control call's arguments (ValueError -> 400)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = dict(values)

    def _value(self, name: str, required: bool) -> Any:
        value = self.values.get(name)
        if value is None and required:
            raise ValueError(f"{name} is required")
        return value

    def integer(self, name: str) -> int:
        result = self.optional_int(name, required=True)
        assert result is not None
        return result

    def optional_int(self, name: str, *, required: bool = False) -> int | None:
        value = self._value(name, required)
        if value is None:
            return None
        try:
            return as_int(value)
        except CoercionError:
            raise ValueError(f"{name} must be an integer") from None

    def optional_number(self, name: str) -> float | None:
        value = self._value(name, False)
        if value is None:
            return None
        if isinstance(value, bool):
            raise ValueError(f"{name} must be a number")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number") from None

    def text(self, name: str) -> str:
        result = self.optional_text(name, required=True)
        assert result is not None
        return result

    def optional_text(self, name: str, *, required: bool = False) -> str | None:
        value = self._value(name, required)
        if value is None:
            return None
        try:
            return as_str(value)
        except CoercionError:
            raise ValueError(f"{name} must be a string") from None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self._value(name, False)
        if value is None:
            return default
        try:
            return as_bool(value)
        except CoercionError:
            raise ValueError(f"{name} must be a boolean") from None

    def optional_flag(self, name: str) -> bool | None:
        return None if self.values.get(name) is None else self.flag(name)

    def int_list(self, name: str) -> list[int]:
        value = self._value(name, False) or []
        if not isinstance(value, list):
            raise ValueError(f"{name} must be a list of integers")
        try:
            return [as_int(item) for item in value]
        except CoercionError:
            raise ValueError(f"{name} must be a list of integers") from None

    def data(self, name: str) -> bytes:
        """Binary content, sent base64-encoded inside the JSON body."""
        try:
            return base64.b64decode(self.text(name), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"{name} must be base64-encoded bytes") from None

    def where(self) -> dict[str, Any]:
        """Where a person's message goes: chat_id, bot_id, reply_to_message_id."""
        return {
            "chat_id": self.optional_int("chat_id"),
            "bot_id": self.optional_int("bot_id"),
            "reply_to_message_id": self.optional_int("reply_to_message_id"),
        }


OpHandler = Callable[["ControlApi", Args], Awaitable[Any]]


@dataclass(frozen=True)
class ControlOp:
    name: str
    http_method: str
    path: str
    handler: OpHandler


OPERATIONS: list[ControlOp] = []


def operation(name: str, http_method: str, path: str) -> Callable[[OpHandler], OpHandler]:
    def decorator(handler: OpHandler) -> OpHandler:
        OPERATIONS.append(ControlOp(name, http_method, PREFIX + path, handler))
        return handler

    return decorator


class ControlApi:
    def __init__(
        self,
        world: World,
        flood: FloodLimiter,
        faults: FaultInjector,
        webhooks: WebhookDelivery,
    ) -> None:
        self.world = world
        self.flood = flood
        self.faults = faults
        self.webhooks = webhooks
        self._by_name = {op.name: op for op in OPERATIONS}

    def install(self, app: web.Application) -> None:
        for op in OPERATIONS:
            app.router.add_route(op.http_method, op.path, self._route(op))
        app.router.add_route("POST", PREFIX + "/batch", self.handle_batch)
        app.router.add_route("GET", PREFIX + "/files/{file_id}/content", self.handle_file_content)

    def _route(self, op: ControlOp) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            try:
                values: dict[str, Any] = dict(request.query)
                if request.body_exists:
                    body = await request.json()
                    if not isinstance(body, dict):
                        raise ValueError("the body must be a JSON object")
                    values.update(body)
                values.update(request.match_info)
            except ValueError as exc:
                return _error(400, str(exc))
            return await self._run(op, values)

        return handle

    async def _run(self, op: ControlOp, values: Mapping[str, Any]) -> web.Response:
        try:
            result = await self.execute(op.name, values)
        except NotFoundError as exc:
            return _error(404, str(exc))
        except (ValueError, TypeError) as exc:
            return _error(400, str(exc))
        except ApiError as exc:
            return _error(exc.error_code, exc.description)
        return json_response({"ok": True, "result": result})

    async def execute(self, name: str, values: Mapping[str, Any]) -> Any:
        """Run one operation by name; also usable in-process."""
        op = self._by_name.get(name)
        if op is None:
            raise NotFoundError(f"unknown control operation {name!r}")
        return await op.handler(self, Args(values))

    async def handle_batch(self, request: web.Request) -> web.Response:
        """Run many operations in one request (benchmarks create thousands of people this way)."""
        try:
            body = await request.json()
            calls = body.get("calls") if isinstance(body, dict) else None
            if not isinstance(calls, list):
                raise ValueError('body must be {"calls": [{"op": name, "args": {...}}, ...]}')
        except ValueError as exc:
            return _error(400, str(exc))
        results: list[Any] = []
        for index, call in enumerate(calls):
            try:
                if not isinstance(call, dict) or not isinstance(call.get("op"), str):
                    raise ValueError("each call needs an op name")
                results.append(await self.execute(call["op"], call.get("args") or {}))
            except NotFoundError as exc:
                return _error(404, f"call {index}: {exc}")
            except (ValueError, TypeError, ApiError) as exc:
                return _error(400, f"call {index}: {exc}")
        return json_response({"ok": True, "result": results})

    async def handle_file_content(self, request: web.Request) -> web.Response:
        stored = self.world.files.get(request.match_info["file_id"])
        if stored is None:
            return _error(404, "no file with this file_id")
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )


def _error(status: int, description: str) -> web.Response:
    return web.Response(
        body=dump_json({"ok": False, "error_code": status, "description": description}),
        status=status,
        content_type="application/json",
    )


# ---------------------------------------------------------------- the world


@operation("reset", "POST", "/reset")
async def _reset(api: ControlApi, args: Args) -> bool:
    api.world.reset()
    api.faults.clear()
    api.flood.reset()
    api.webhooks.sync_all()
    return True


@operation("create_bot", "POST", "/bots")
async def _create_bot(api: ControlApi, args: Args) -> dict[str, Any]:
    bot = api.world.create_bot(
        args.text("token"),
        first_name=args.optional_text("first_name") or "Safety Bot",
        username=args.optional_text("username"),
        can_join_groups=args.flag("can_join_groups", True),
        can_read_all_group_messages=args.flag("can_read_all_group_messages"),
        supports_inline_queries=args.flag("supports_inline_queries"),
    )
    return bot.describe()


@operation("list_bots", "GET", "/bots")
async def _list_bots(api: ControlApi, args: Args) -> list[dict[str, Any]]:
    return [bot.describe() for bot in api.world.bots.values()]


@operation("update_bot", "POST", "/bots/{bot_id}")
async def _update_bot(api: ControlApi, args: Args) -> dict[str, Any]:
    bot = api.world.bot(args.integer("bot_id"))
    for name in ("can_join_groups", "can_read_all_group_messages", "supports_inline_queries"):
        value = args.optional_flag(name)
        if value is not None:
            setattr(bot, name, value)
    return bot.describe()


@operation("commands", "GET", "/commands")
async def _commands(api: ControlApi, args: Args) -> list[dict[str, Any]]:
    return registered_commands(api.world.bot(args.optional_int("bot_id")))


@operation("create_user", "POST", "/users")
async def _create_user(api: ControlApi, args: Args) -> dict[str, Any]:
    language = args.values.get("language_code", "zh-hans")
    user = api.world.create_user(
        args.text("first_name"),
        last_name=args.optional_text("last_name"),
        username=args.optional_text("username"),
        language_code=None if language is None else str(language),
        is_premium=args.optional_flag("is_premium"),
    )
    return user.to_api()


@operation("list_users", "GET", "/users")
async def _list_users(api: ControlApi, args: Args) -> list[dict[str, Any]]:
    return [user.to_api() for user in api.world.users.values()]


@operation("create_group", "POST", "/groups")
async def _create_group(api: ControlApi, args: Args) -> dict[str, Any]:
    chat = api.world.create_group(
        args.text("title"),
        type=args.optional_text("type") or "group",
        member_ids=args.int_list("member_ids"),
        creator_id=args.optional_int("creator_id"),
        username=args.optional_text("username"),
    )
    return chat.to_api()


@operation("get_chat", "GET", "/chats/{chat_id}")
async def _get_chat(api: ControlApi, args: Args) -> dict[str, Any]:
    return api.world.chat(args.integer("chat_id"), args.optional_int("bot_id")).describe()


@operation("add_members", "POST", "/chats/{chat_id}/members")
async def _add_members(api: ControlApi, args: Args) -> dict[str, Any]:
    stored = api.world.add_members(
        args.integer("chat_id"), args.int_list("user_ids"), args.optional_int("by_user_id")
    )
    return stored.view()


@operation("remove_member", "POST", "/chats/{chat_id}/members/remove")
async def _remove_member(api: ControlApi, args: Args) -> dict[str, Any]:
    stored = api.world.remove_member(
        args.integer("chat_id"), args.integer("user_id"), args.optional_int("by_user_id")
    )
    return stored.view()


@operation("set_member_status", "POST", "/chats/{chat_id}/members/status")
async def _set_member_status(api: ControlApi, args: Args) -> dict[str, Any]:
    return api.world.set_member_status(
        args.integer("chat_id"), args.integer("user_id"), args.text("status")
    )


@operation("add_bot", "POST", "/chats/{chat_id}/bot")
async def _add_bot(api: ControlApi, args: Args) -> dict[str, Any]:
    stored = api.world.add_bot_to_group(
        args.integer("chat_id"),
        args.integer("by_user_id"),
        bot_id=args.optional_int("bot_id"),
        as_admin=args.flag("as_admin"),
    )
    return stored.view()


# ----------------------------------------------------------- acting as people


@operation("send_text", "POST", "/messages/text")
async def _send_text(api: ControlApi, args: Args) -> dict[str, Any]:
    stored = api.world.user_send_text(args.integer("user_id"), args.text("text"), **args.where())
    return stored.view()


@operation("send_photo", "POST", "/messages/photo")
async def _send_photo(api: ControlApi, args: Args) -> dict[str, Any]:
    stored = api.world.user_send_photo(
        args.integer("user_id"),
        args.data("data"),
        caption=args.optional_text("caption"),
        media_group_id=args.optional_text("media_group_id"),
        file_name=args.optional_text("file_name"),
        **args.where(),
    )
    return stored.view()


@operation("send_document", "POST", "/messages/document")
async def _send_document(api: ControlApi, args: Args) -> dict[str, Any]:
    stored = api.world.user_send_document(
        args.integer("user_id"),
        args.data("data"),
        args.text("file_name"),
        mime_type=args.optional_text("mime_type"),
        caption=args.optional_text("caption"),
        **args.where(),
    )
    return stored.view()


@operation("send_sticker", "POST", "/messages/sticker")
async def _send_sticker(api: ControlApi, args: Args) -> dict[str, Any]:
    stored = api.world.user_send_sticker(
        args.integer("user_id"), emoji=args.optional_text("emoji") or "👍", **args.where()
    )
    return stored.view()


@operation("press_button", "POST", "/callbacks")
async def _press_button(api: ControlApi, args: Args) -> dict[str, Any]:
    return api.world.press_button(
        args.integer("user_id"),
        args.integer("chat_id"),
        args.integer("message_id"),
        args.text("callback_data"),
        bot_id=args.optional_int("bot_id"),
        check_button=args.flag("check_button", True),
    )


@operation("block", "POST", "/users/{user_id}/block")
async def _block(api: ControlApi, args: Args) -> bool:
    api.world.block_bot(args.integer("user_id"), args.optional_int("bot_id"))
    return True


@operation("unblock", "POST", "/users/{user_id}/unblock")
async def _unblock(api: ControlApi, args: Args) -> bool:
    api.world.unblock_bot(args.integer("user_id"), args.optional_int("bot_id"))
    return True


# ------------------------------------------------------------------- reading


@operation("chat_messages", "GET", "/chats/{chat_id}/messages")
async def _chat_messages(api: ControlApi, args: Args) -> list[dict[str, Any]]:
    chat = api.world.chat(args.integer("chat_id"), args.optional_int("bot_id"))
    return [stored.view() for stored in chat.messages.values()]


@operation("bot_messages", "GET", "/chats/{chat_id}/bot_messages")
async def _bot_messages(api: ControlApi, args: Args) -> list[dict[str, Any]]:
    bot = api.world.bot(args.optional_int("bot_id"))
    chat = api.world.chat(args.integer("chat_id"), bot.id)
    after = args.optional_int("after_message_id") or 0
    return [stored.view() for stored in chat.messages_of_bot(bot.id) if stored.message_id > after]


@operation("bot_message_count", "GET", "/chats/{chat_id}/bot_messages/count")
async def _bot_message_count(api: ControlApi, args: Args) -> int:
    bot = api.world.bot(args.optional_int("bot_id"))
    try:
        chat = api.world.chat(args.integer("chat_id"), bot.id)
    except NotFoundError:
        return 0  # nobody has talked yet: nothing sent, which is what pollers want to know
    return len(chat.bot_message_ids.get(bot.id, ()))


@operation("callback_answers", "GET", "/callbacks")
async def _callback_answers(api: ControlApi, args: Args) -> list[dict[str, Any]]:
    chat_id = args.optional_int("chat_id")
    return [
        record.to_dict()
        for record in api.world.callbacks.values()
        if chat_id is None or record.chat_id == chat_id
    ]


@operation("callback_answer", "GET", "/callbacks/{query_id}")
async def _callback(api: ControlApi, args: Args) -> dict[str, Any]:
    record = api.world.callbacks.get(args.text("query_id"))
    if record is None:
        raise NotFoundError("no callback query with this id")
    return record.to_dict()


@operation("webhook_info", "GET", "/webhook")
async def _webhook_info(api: ControlApi, args: Args) -> dict[str, Any]:
    bot = api.world.bot(args.optional_int("bot_id"))
    info = webhook_info(bot)
    info["has_secret_token"] = bool(bot.webhook and bot.webhook.secret_token)
    return info


@operation("pending_updates", "GET", "/updates")
async def _pending_updates(api: ControlApi, args: Args) -> list[dict[str, Any]]:
    return api.world.bot(args.optional_int("bot_id")).updates.peek()


@operation("file_info", "GET", "/files/{file_id}")
async def _file_info(api: ControlApi, args: Args) -> dict[str, Any]:
    stored = api.world.files.get(args.text("file_id"))
    if stored is None:
        raise NotFoundError("no file with this file_id")
    return {**stored.as_file(), "kind": stored.kind, "file_name": stored.file_name}


@operation("stats", "GET", "/stats")
async def _stats(api: ControlApi, args: Args) -> dict[str, Any]:
    data = api.world.stats.to_dict(include_times=args.flag("timestamps", True))
    data["clock"] = api.world.clock()
    return data


@operation("reset_stats", "POST", "/stats/reset")
async def _reset_stats(api: ControlApi, args: Args) -> bool:
    api.world.stats = Stats()
    return True


# ---------------------------------------------------------------- steering


@operation("get_flood", "GET", "/flood")
async def _get_flood(api: ControlApi, args: Args) -> dict[str, Any]:
    return api.flood.config.to_dict()


@operation("set_flood", "POST", "/flood")
async def _set_flood(api: ControlApi, args: Args) -> dict[str, Any]:
    changes = dict(args.values)
    if "enabled" in changes:
        changes["enabled"] = args.flag("enabled")
    return api.flood.configure(**changes).to_dict()


@operation("list_faults", "GET", "/faults")
async def _list_faults(api: ControlApi, args: Args) -> list[dict[str, Any]]:
    return [rule.to_dict() for rule in api.faults.rules()]


@operation("add_fault", "POST", "/faults")
async def _add_fault(api: ControlApi, args: Args) -> dict[str, Any]:
    action = args.text("action")
    if action not in FAULT_ACTIONS:
        raise ValueError(f"action must be one of {', '.join(FAULT_ACTIONS)}")
    rule = api.faults.add(
        cast(FaultAction, action),
        args.optional_text("method") or "*",
        chat_id=args.optional_int("chat_id"),
        status=args.optional_int("status") or 500,
        retry_after=args.optional_int("retry_after") or 1,
        times=args.optional_int("times"),
        seconds=args.optional_number("seconds") or 0.0,
        for_seconds=args.optional_number("for_seconds"),
        probability=args.optional_number("probability") or 1.0,
    )
    return rule.to_dict()


@operation("clear_faults", "POST", "/faults/clear")
async def _clear_faults(api: ControlApi, args: Args) -> bool:
    api.faults.clear(seed=args.optional_int("seed"))
    return True


@operation("remove_fault", "POST", "/faults/{rule_id}/remove")
async def _remove_fault(api: ControlApi, args: Args) -> bool:
    if not api.faults.remove(args.integer("rule_id")):
        raise NotFoundError("no fault rule with this id")
    return True
