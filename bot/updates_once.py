"""Every update handled exactly once, across duplicate deliveries and crashes.

Telegram delivers an update again when it got no answer: a webhook whose response was
late or lost (a slow roster parse was handled three times), a getUpdates batch whose
offset was never confirmed. So each update is stored (``storage.updates``, unique per bot
and ``update_id``) before any handler sees it:

- by webhook, ``OnceMiddleware`` stores it first; the 200 goes back only after that (and
  after the handlers), so a crash before the store makes Telegram deliver it again;
- by polling, ``OnceDispatcher`` stores the whole batch before the next getUpdates
  confirms its offset: a process killed after the fetch finds the batch in the database;
- at start-up, ``replay_unfinished`` handles what was stored and never finished.

A second delivery of a stored update changes nothing. A message is ignored silently (its
sender sent it once and saw the bot's answer, or will); a button press is answered empty,
so that the button stops spinning without a second toast.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.methods import AnswerCallbackQuery, GetUpdates, TelegramMethod
from aiogram.types import TelegramObject, Update
from aiogram.utils.backoff import Backoff, BackoffConfig

from bot.app import App
from bot.i18n import t
from storage import updates

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
PRUNE_EVERY = dt.timedelta(days=1)
POLL_BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)


class Inbox:
    """What this process knows beyond the table: updates stored by the poller (or found
    unfinished at start-up) that the middleware must not store again, and those being
    handled right now (a webhook retried while its first delivery is still running)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.stored: set[int] = set()
        self.in_flight: set[int] = set()
        self._prune_after = app.now() + PRUNE_EVERY

    async def store(self, bot_id: int, batch: list[Update]) -> list[int]:
        """Stores a batch in one transaction; returns the ids that were not stored before."""
        received = [_received(bot_id, update) for update in batch]
        now = self.app.now()
        async with self.app.sessions.begin() as session:
            new = await updates.receive(session, received, now)
            if now >= self._prune_after:
                self._prune_after = now + PRUNE_EVERY
                await updates.prune(session, now)
        return new

    async def finish(self, bot_id: int, update_id: int, error: str | None = None) -> None:
        async with self.app.sessions.begin() as session:
            await updates.finish(session, bot_id, update_id, error)


def _received(bot_id: int, update: Update) -> updates.Received:
    context = UserContextMiddleware.resolve_event_context(update)
    return updates.Received(
        bot_id,
        update.update_id,
        context.user.id if context.user else None,
        context.chat.id if context.chat else None,
        update.model_dump(mode="json", exclude_none=True),
    )


class OnceMiddleware(BaseMiddleware):
    """The outermost of ours: stores the update (unless the poller did), skips one already
    stored, and marks it handled, or failed. A failed update is logged, its error kept, and
    the person told; it is not raised: by webhook, a failed answer would make Telegram
    deliver it again, and the handler fail again."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self.app = inbox.app

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        bot: Bot = data["bot"]
        update_id = event.update_id
        inbox = self.inbox
        if update_id in inbox.in_flight:
            return _already_handled(event)
        if update_id in inbox.stored:
            inbox.stored.discard(update_id)
        elif not await inbox.store(bot.id, [event]):
            log.info("update %s was delivered again: already handled, ignored", update_id)
            return _already_handled(event)
        inbox.in_flight.add(update_id)
        try:
            result = await handler(event, data)
        except Exception as exc:
            log.exception("handling update %s failed; it is kept", update_id)
            await self._finish_quietly(bot.id, update_id, f"{type(exc).__name__}: {exc}")
            await self._tell(event, data)
            return None
        finally:
            inbox.in_flight.discard(update_id)
        await inbox.finish(bot.id, update_id)
        return result

    async def _finish_quietly(self, bot_id: int, update_id: int, error: str) -> None:
        try:
            await self.inbox.finish(bot_id, update_id, error)
        except Exception:
            log.exception("could not mark failed update %s", update_id)

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


def _already_handled(update: Update) -> TelegramMethod[Any] | None:
    """A press delivered again gets an empty answer (the spinner stops, no second toast);
    a message delivered again, nothing."""
    if update.callback_query is not None:
        return AnswerCallbackQuery(callback_query_id=update.callback_query.id)
    return None


class OnceDispatcher(Dispatcher):
    """Polling that confirms a batch (the next getUpdates' offset) only once it is stored."""

    inbox: Inbox

    async def _listen_updates(  # type: ignore[override]
        self,
        bot: Bot,
        polling_timeout: int = 30,
        backoff_config: BackoffConfig = POLL_BACKOFF,
        allowed_updates: list[str] | None = None,
    ) -> AsyncGenerator[Update, None]:
        backoff = Backoff(config=backoff_config)
        get_updates = GetUpdates(timeout=polling_timeout, allowed_updates=allowed_updates)
        kwargs = {}
        if bot.session.timeout:
            # A long poll answers after up to polling_timeout: wait longer than that.
            kwargs["request_timeout"] = int(bot.session.timeout + polling_timeout)
        while True:
            try:
                batch = await bot(get_updates, **kwargs)
                new = set(await self.inbox.store(bot.id, batch)) if batch else set()
                self.inbox.stored.update(new)
            except Exception as exc:  # noqa: BLE001 - Telegram or the database away: retry
                log.error("fetching or storing updates failed - %s: %s", type(exc).__name__, exc)
                await backoff.asleep()
                continue
            backoff.reset()
            if batch:
                # Confirmed by the next getUpdates, which comes only after this store.
                get_updates.offset = max(u.update_id for u in batch) + 1
            for update in batch:
                if update.update_id in new:
                    yield update


def make_once_dispatcher(app: App, storage: BaseStorage) -> OnceDispatcher:
    dispatcher = OnceDispatcher(storage=storage, app=app)
    dispatcher.inbox = Inbox(app)
    dispatcher.update.outer_middleware(OnceMiddleware(dispatcher.inbox))
    dispatcher.startup.register(replay_unfinished)
    return dispatcher


async def replay_unfinished(bot: Bot, dispatcher: Dispatcher) -> None:
    """At start-up, before any new update: what a previous run stored and never finished
    (killed mid-handler, or right after a batch was fetched), in the order it came."""
    if not isinstance(dispatcher, OnceDispatcher):
        return
    inbox = dispatcher.inbox
    async with inbox.app.sessions.begin() as session:
        await updates.prune(session, inbox.app.now())
        payloads = await updates.unfinished(session, bot.id)
    if payloads:
        log.info("handling %d updates a previous run stored and never finished", len(payloads))
    for payload in payloads:
        update = Update.model_validate(payload, context={"bot": bot})
        inbox.stored.add(update.update_id)
        result = await dispatcher.feed_update(bot, update)
        if isinstance(result, TelegramMethod):
            await dispatcher.silent_call_request(bot, result)
        await asyncio.sleep(0)
