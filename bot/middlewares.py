"""Dispatcher middlewares: who is talking (``actor``, ``lang``). Storing each update and
keeping failed ones: bot/updates_once.py."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject

from bot.actors import Actors
from bot.app import App
from storage.models import Person

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ActorMiddleware(BaseMiddleware):
    """Looks the sender up once per update; handlers get ``actor`` (or None) and ``lang``."""

    def __init__(self, app: App, actors: Actors | dict[int, Actors]) -> None:
        self.app = app
        # One Actors per school: a district's dispatcher serves several (data["app"]).
        self.actors = actors if isinstance(actors, dict) else {app.school_id: actors}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        app: App = data.get("app", self.app)
        user = data.get("event_from_user")
        actors = self.actors[app.school_id]
        actor = await actors.person(user.id) if user is not None else None
        # A substitute (代班) acts as the head teacher of the classes they stand in for today.
        actor = await actors.acting(actor, app.today())
        data["actor"] = actor
        data["lang"] = self._language(app, actor, data.get("event_chat"))
        return await handler(event, data)

    @staticmethod
    def _language(app: App, actor: Person | None, chat: Chat | None) -> str:
        """A group (a class group: parents and teachers together) reads the school's language;
        in private, a person reads the language they chose with /lang, else the school's (the
        language of a phone is no choice: a Chinese school's parent may have an English one)."""
        if chat is not None and chat.type != "private":
            return app.settings.school.language
        return (actor.language if actor else None) or app.settings.school.language


class SchoolOfBot(BaseMiddleware):
    """A district's dispatcher serves many bots (bot/district.py): the update is handled
    with its bot's school (``app``)."""

    def __init__(self, apps: Sequence[App]) -> None:
        self.by_bot: dict[int, App] = {}
        for app in apps:
            bot = app.extras.get("bot")
            if bot is not None:
                self.by_bot[bot.id] = app

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        app = self.by_bot.get(data["bot"].id)
        if app is None:  # not one of ours: nothing to handle it with
            log.warning("an update for bot %s, which serves no school here", data["bot"].id)
            return None
        data["app"] = app
        return await handler(event, data)
