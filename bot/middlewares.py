"""Dispatcher middlewares: who is talking (``actor``, ``lang``), and keeping failed updates."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Chat, TelegramObject, Update

from bot.actors import Actors
from bot.app import App
from bot.i18n import t
from storage.models import Inbound, Person

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ActorMiddleware(BaseMiddleware):
    """Looks the sender up once per update; handlers get ``actor`` (or None) and ``lang``."""

    def __init__(self, app: App, actors: Actors) -> None:
        self.app = app
        self.actors = actors

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        actor = await self.actors.person(user.id) if user is not None else None
        data["actor"] = actor
        data["lang"] = self._language(actor, data.get("event_chat"))
        return await handler(event, data)

    def _language(self, actor: Person | None, chat: Chat | None) -> str:
        """A group (a class group: parents and teachers together) reads the school's language;
        in private, a person reads the language they chose with /lang, else the school's (the
        language of a phone is no choice: a Chinese school's parent may have an English one)."""
        if chat is not None and chat.type != "private":
            return self.app.settings.school.language
        return (actor.language if actor else None) or self.app.settings.school.language


class KeepFailedUpdates(BaseMiddleware):
    """An update whose handler crashed is stored, so nothing a user sent is lost, and the
    person is told so. The error is logged, not raised: by webhook, a failed answer would
    make Telegram deliver the update again, and the handler crash again."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            return await handler(event, data)
        except Exception:
            if not isinstance(event, Update):
                raise
            log.exception("handling update %s failed; it is kept", event.update_id)
            await self._keep(event, data)
            await self._tell(event, data)
            return None

    async def _keep(self, update: Update, data: dict[str, Any]) -> None:
        user, chat = data.get("event_from_user"), data.get("event_chat")
        bot = data.get("bot")
        try:
            async with self.app.sessions.begin() as session:
                session.add(
                    Inbound(
                        bot_id=bot.id if bot is not None else 0,
                        update_id=update.update_id,
                        tg_user_id=user.id if user else None,
                        tg_chat_id=chat.id if chat else None,
                        payload=update.model_dump(mode="json", exclude_none=True),
                        received_at=self.app.now(),
                        handled=False,
                    )
                )
        except Exception:
            log.exception("could not keep failed update %s", update.update_id)

    async def _tell(self, update: Update, data: dict[str, Any]) -> None:
        bot: Bot | None = data.get("bot")
        if bot is None:
            return
        text = t(data.get("lang") or self.app.settings.school.language, "common.error")
        with contextlib.suppress(TelegramAPIError):
            if update.callback_query is not None:
                await bot.answer_callback_query(update.callback_query.id, text, show_alert=True)
            elif update.message is not None and update.message.chat.type == "private":
                await bot.send_message(update.message.chat.id, text)
