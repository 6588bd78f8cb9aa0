"""The table of implemented Bot API methods and what a method implementation gets to work with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..models import BotAccount, Chat
from ..params import Params
from ..world import World


@dataclass
class CallContext:
    world: World
    bot: BotAccount
    params: Params
    method: str
    # Called when a method changes a bot's webhook so delivery can start or stop.
    webhook_changed: Callable[[BotAccount], None]

    def target_chat(self, name: str = "chat_id", *, sending: bool = True) -> Chat:
        chat_id = self.params.chat_id(name)
        assert chat_id is not None
        return self.world.chat_for_bot(self.bot, chat_id, sending=sending)


Handler = Callable[[CallContext], Awaitable[Any]]


@dataclass(frozen=True)
class MethodEntry:
    name: str
    handler: Handler
    # Message-sending calls are the ones Telegram's flood limits count.
    sends_messages: bool


class MethodRegistry:
    def __init__(self) -> None:
        self._entries: dict[str, MethodEntry] = {}

    def register(self, name: str, *, sends_messages: bool = False) -> Callable[[Handler], Handler]:
        def decorator(handler: Handler) -> Handler:
            self._entries[name.lower()] = MethodEntry(name, handler, sends_messages)
            return handler

        return decorator

    def get(self, name: str) -> MethodEntry | None:
        """Method names are case-insensitive in Telegram."""
        return self._entries.get(name.lower())

    def names(self) -> list[str]:
        return sorted(entry.name for entry in self._entries.values())


REGISTRY = MethodRegistry()
method = REGISTRY.register
