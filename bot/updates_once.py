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

While another process holds SQLite's write lock (storage/sqlite_lock.py), an update cannot
be stored: it is kept (``Inbox.hold``: in memory, and in a spool file beside the database
that a restart reads first) and handled at once, so /help and anything else that only reads
still answers; one whose handler needed to write is handled again when the lock is gone.
Once it is, the kept updates are stored with what became of them.

A second delivery of a stored update changes nothing. A message is ignored silently (its
sender sent it once and saw the bot's answer, or will); a button press is answered empty,
so that the button stops spinning without a second toast.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.methods import AnswerCallbackQuery, GetUpdates, TelegramMethod
from aiogram.types import TelegramObject, Update
from aiogram.utils.backoff import Backoff, BackoffConfig

from bot.app import App
from bot.core.i18n import t
from storage import sqlite_lock, updates

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
PRUNE_EVERY = dt.timedelta(days=1)
POLL_BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)
DONE = ""  # a kept update's outcome: handled
RETRY = "retry"  # a kept update's outcome: its handler met the lock; handled again after it


@dataclass
class Held:
    """An update kept while the database was locked, and what became of it: ``None`` (not
    handled yet), ``DONE``, ``RETRY``, or the error its handler raised."""

    bot: Bot
    update: Update
    outcome: str | None = None


class Inbox:
    """What this process knows beyond the table: updates stored by the poller (or found
    unfinished at start-up) that the middleware must not store again, and those being
    handled right now (a webhook retried while its first delivery is still running). Both
    by (bot id, update id): a district's process serves several bots, each with its own
    update ids."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.stored: set[tuple[int, int]] = set()
        self.in_flight: set[tuple[int, int]] = set()
        self._prune_after = app.now() + PRUNE_EVERY
        self.held: dict[tuple[int, int], Held] = {}
        self.dispatcher: Dispatcher | None = None
        self.spool = spool_path(app)
        self._storing: asyncio.Task[None] | None = None

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

    def hold(self, bot: Bot, batch: list[Update], outcome: str | None = None) -> None:
        """The database is locked by another process: keep these updates (and their outcome)
        here and in the spool file until they can be stored."""
        lines = []
        for update in batch:
            once = (bot.id, update.update_id)
            held = self.held.get(once)
            if held is None:
                held = self.held[once] = Held(bot, update)
            held.outcome = outcome
            lines.append(_spooled(held))
        self._append_spool(lines)
        if self._storing is None or self._storing.done():
            self._storing = asyncio.create_task(self._store_held(), name="store-kept-updates")

    async def _store_held(self) -> None:
        """Once the lock is gone: store the kept updates with their outcome, then handle
        again those whose handler met the lock, in the order they came."""
        lock = sqlite_lock.watch_of(self.app.sessions)
        while self.held:
            await lock.until_free()
            ready = [h for h in self.held.values() if h.outcome is not None]
            if not ready:  # still being handled
                await asyncio.sleep(0.05)
                continue
            try:
                async with self.app.sessions.begin() as session:
                    await _store_outcomes(session, ready, self.app.now())
            except Exception as exc:
                if sqlite_lock.is_locked(exc):
                    lock.met()
                else:
                    log.exception("storing the updates kept while the database was locked failed")
                    await asyncio.sleep(1.0)
                continue
            for held in ready:
                self.held.pop((held.bot.id, held.update.update_id), None)
            self._rewrite_spool()
            again = sorted(
                (h for h in ready if h.outcome == RETRY), key=lambda h: h.update.update_id
            )
            if ready:
                log.info(
                    "stored %d updates kept while the database was locked; handling %d again",
                    len(ready),
                    len(again),
                )
            for held in again:
                await self._handle_again(held)

    async def _handle_again(self, held: Held) -> None:
        if self.dispatcher is None:
            return
        self.stored.add((held.bot.id, held.update.update_id))
        try:
            result = await self.dispatcher.feed_update(held.bot, held.update)
            # A press was answered when it was kept (``_kept``): Telegram takes one answer.
            if isinstance(result, TelegramMethod) and not isinstance(result, AnswerCallbackQuery):
                await self.dispatcher.silent_call_request(held.bot, result)
        except Exception:
            log.exception("handling kept update %s failed", held.update.update_id)

    def _append_spool(self, lines: list[str]) -> None:
        if self.spool is None or not lines:
            return
        with self.spool.open("a", encoding="utf-8") as file:
            file.write("".join(lines))
            file.flush()
            os.fsync(file.fileno())

    def _rewrite_spool(self) -> None:
        if self.spool is None:
            return
        if not self.held:
            self.spool.unlink(missing_ok=True)
            return
        fresh = self.spool.with_suffix(".tmp")
        fresh.write_text("".join(_spooled(h) for h in self.held.values()), encoding="utf-8")
        fresh.replace(self.spool)


def spool_path(app: App) -> Path | None:
    """Where updates kept while SQLite was locked wait for a restart, should one come first
    (beside the database file; none in memory or on PostgreSQL)."""
    path = sqlite_lock.watch_of(app.sessions).path
    return Path(path + "-kept-updates.jsonl") if path else None


def _spooled(held: Held) -> str:
    payload = held.update.model_dump(mode="json", exclude_none=True)
    return json.dumps({"bot": held.bot.id, "update": payload, "outcome": held.outcome}) + "\n"


async def _store_outcomes(session: Any, kept: list[Held], now: dt.datetime) -> None:
    await updates.receive(session, [_received(h.bot.id, h.update) for h in kept], now)
    for held in kept:
        if held.outcome is not None and held.outcome != RETRY:
            await updates.finish(session, held.bot.id, held.update.update_id, held.outcome or None)


async def store_spooled(inbox: Inbox) -> int:
    """At start-up: the updates a previous run kept while the database was locked, stored
    with what became of them (those not handled yet are then replayed as unfinished)."""
    path = inbox.spool
    if path is None or not path.exists():
        return 0
    kept: dict[tuple[int, int], tuple[int, dict[str, Any], str | None]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
            kept[(item["bot"], item["update"]["update_id"])] = (
                item["bot"],
                item["update"],
                item["outcome"],
            )
        except (ValueError, KeyError, TypeError):  # a line cut short by the crash
            continue
    async with inbox.app.sessions.begin() as session:
        received = [_received(bot_id, Update.model_validate(p)) for bot_id, p, _ in kept.values()]
        await updates.receive(session, received, inbox.app.now())
        for bot_id, payload, outcome in kept.values():
            if outcome is not None and outcome != RETRY:
                await updates.finish(session, bot_id, payload["update_id"], outcome or None)
    path.unlink(missing_ok=True)
    if kept:
        log.info("stored %d updates a previous run kept while the database was locked", len(kept))
    return len(kept)


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
        once = (bot.id, update_id)
        if once in inbox.in_flight:
            return _already_handled(event)
        held = inbox.held.get(once)
        if held is not None:  # kept while the database was locked
            if held.outcome is not None:  # handled, or to be handled once it is free
                return _already_handled(event)
        elif once in inbox.stored:
            inbox.stored.discard(once)
        elif not await self._store(bot, event):
            log.info("update %s was delivered again: already handled, ignored", update_id)
            return _already_handled(event)
        inbox.in_flight.add(once)
        try:
            result = await handler(event, data)
        except Exception as exc:
            if sqlite_lock.is_locked(exc):
                # Rolled back, nothing changed: handled again once the lock is gone.
                inbox.hold(bot, [event], RETRY)
                return _kept(event, data.get("lang") or self.app.settings.school.language)
            log.exception("handling update %s failed; it is kept", update_id)
            await self._finish_quietly(bot, event, f"{type(exc).__name__}: {exc}")
            await self._tell(event, data)
            return None
        finally:
            inbox.in_flight.discard(once)
        await self._finish(bot, event)
        return result

    async def _store(self, bot: Bot, update: Update) -> bool:
        """Stores the update; False if it was stored before. While another process holds the
        database's lock, keeps it instead, and it is handled at once all the same."""
        try:
            return bool(await self.inbox.store(bot.id, [update]))
        except Exception as exc:
            if not sqlite_lock.is_locked(exc):
                raise
            self.inbox.hold(bot, [update])
            return True

    async def _finish(self, bot: Bot, update: Update, error: str | None = None) -> None:
        if (bot.id, update.update_id) in self.inbox.held:
            self.inbox.hold(bot, [update], error or DONE)
            return
        try:
            await self.inbox.finish(bot.id, update.update_id, error)
        except Exception as exc:
            if not sqlite_lock.is_locked(exc):
                raise
            self.inbox.hold(bot, [update], error or DONE)

    async def _finish_quietly(self, bot: Bot, update: Update, error: str) -> None:
        try:
            await self._finish(bot, update, error)
        except Exception:
            log.exception("could not mark failed update %s", update.update_id)

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


def _kept(update: Update, lang: str) -> TelegramMethod[Any] | None:
    """A press that met the locked database: the button stops spinning with a word that it
    was received (its answer comes once the database is free)."""
    if update.callback_query is not None:
        return AnswerCallbackQuery(
            callback_query_id=update.callback_query.id, text=t(lang, "common.kept_while_busy")
        )
    return None


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
                new = set(await self._store(bot, batch)) if batch else set()
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

    async def _store(self, bot: Bot, batch: list[Update]) -> list[int]:
        """Stores a batch; returns the new ids. While another process holds the database's
        lock, the batch is kept instead (bot/updates_once.py's spool file survives a crash)
        and confirmed: the bot goes on answering."""
        try:
            new = await self.inbox.store(bot.id, batch)
        except Exception as exc:
            if not sqlite_lock.is_locked(exc):
                raise
            self.inbox.hold(bot, batch)
            return [update.update_id for update in batch]
        self.inbox.stored.update((bot.id, update_id) for update_id in new)
        return new


def make_once_dispatcher(app: App, storage: BaseStorage) -> OnceDispatcher:
    dispatcher = OnceDispatcher(storage=storage, app=app)
    dispatcher.inbox = Inbox(app)
    dispatcher.inbox.dispatcher = dispatcher
    dispatcher.update.outer_middleware(OnceMiddleware(dispatcher.inbox))
    dispatcher.startup.register(replay_unfinished)
    return dispatcher


async def replay_unfinished(bot: Bot, dispatcher: Dispatcher, bots: Sequence[Bot] = ()) -> None:
    """At start-up, before any new update: what a previous run stored and never finished
    (killed mid-handler, or right after a batch was fetched), in the order it came; for
    each bot of a district's process."""
    if not isinstance(dispatcher, OnceDispatcher):
        return
    await store_spooled(dispatcher.inbox)
    for one in bots or [bot]:
        await _replay(one, dispatcher)


async def _replay(bot: Bot, dispatcher: OnceDispatcher) -> None:
    inbox = dispatcher.inbox
    async with inbox.app.sessions.begin() as session:
        await updates.prune(session, inbox.app.now())
        payloads = await updates.unfinished(session, bot.id)
    if payloads:
        log.info("handling %d updates a previous run stored and never finished", len(payloads))
    for payload in payloads:
        update = Update.model_validate(payload, context={"bot": bot})
        inbox.stored.add((bot.id, update.update_id))
        result = await dispatcher.feed_update(bot, update)
        if isinstance(result, TelegramMethod):
            await dispatcher.silent_call_request(bot, result)
        await asyncio.sleep(0)
