"""A bot's pending updates with Telegram's getUpdates offset semantics and long-poll waiting."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from typing import Any


class UpdateQueue:
    """Updates waiting to be fetched (getUpdates) or delivered (webhook), oldest first.

    The id counter never goes backwards, not even across ``clear()``: a bot
    that keeps polling with an old offset would otherwise silently lose updates.
    Updates are kept by id in arrival order, so a webhook delivery that finishes out of
    order (another chat's) can remove its update wherever it is.
    """

    def __init__(self) -> None:
        self._items: dict[int, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._waiters: list[asyncio.Future[None]] = []
        self._listeners: list[Callable[[], None]] = []

    def __len__(self) -> int:
        return len(self._items)

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update_id = next(self._ids)
        update = {"update_id": update_id, kind: payload}
        self._items[update_id] = update
        self.wake()
        return update

    def again(self, update: dict[str, Any]) -> None:
        """Queue an update a second time, with its own id: Telegram delivers one again when
        the bot's answer to its webhook was late or lost."""
        self._items[update["update_id"]] = dict(update)
        self.wake()

    def wake(self) -> None:
        """Release every waiter, e.g. because a newer getUpdates call replaces them."""
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
        for listener in self._listeners:
            listener()

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Calls ``listener`` on every push and wake; returns the unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def confirm(self, offset: int) -> None:
        """Forget updates the way getUpdates' ``offset`` does.

        A positive offset confirms every update with a smaller id; a negative
        one keeps only the last ``-offset`` updates.
        """
        if offset > 0:
            while self._items and (oldest := next(iter(self._items))) < offset:
                del self._items[oldest]
        elif offset < 0:
            for update_id in list(self._items)[: max(len(self._items) + offset, 0)]:
                del self._items[update_id]

    def peek(self, limit: int | None = None) -> list[dict[str, Any]]:
        if limit is None or limit >= len(self._items):
            return list(self._items.values())
        return list(itertools.islice(self._items.values(), limit))

    def first(self) -> dict[str, Any] | None:
        return next(iter(self._items.values()), None)

    def discard(self, update_id: int) -> None:
        """Remove a delivered (or dropped) update."""
        self._items.pop(update_id, None)

    def clear(self) -> None:
        self._items.clear()

    async def wait(self, seconds: float | None) -> None:
        """Return when an update is pending, ``wake()`` is called, or ``seconds`` pass."""
        if self._items:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter, seconds)
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
