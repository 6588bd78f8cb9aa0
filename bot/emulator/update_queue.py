"""A bot's pending updates with Telegram's getUpdates offset semantics and long-poll waiting."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import deque
from typing import Any


class UpdateQueue:
    """Updates waiting to be fetched (getUpdates) or delivered (webhook), oldest first.

    The id counter never goes backwards, not even across ``clear()``: a bot
    that keeps polling with an old offset would otherwise silently lose updates.
    """

    def __init__(self) -> None:
        self._items: deque[dict[str, Any]] = deque()
        self._ids = itertools.count(1)
        self._waiters: list[asyncio.Future[None]] = []

    def __len__(self) -> int:
        return len(self._items)

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._ids), kind: payload}
        self._items.append(update)
        self.wake()
        return update

    def wake(self) -> None:
        """Release every waiter, e.g. because a newer getUpdates call replaces them."""
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def confirm(self, offset: int) -> None:
        """Forget updates the way getUpdates' ``offset`` does.

        A positive offset confirms every update with a smaller id; a negative
        one keeps only the last ``-offset`` updates.
        """
        items = self._items
        if offset > 0:
            while items and items[0]["update_id"] < offset:
                items.popleft()
        elif offset < 0:
            while len(items) > -offset:
                items.popleft()

    def peek(self, limit: int | None = None) -> list[dict[str, Any]]:
        if limit is None or limit >= len(self._items):
            return list(self._items)
        return list(itertools.islice(self._items, limit))

    def first(self) -> dict[str, Any] | None:
        return self._items[0] if self._items else None

    def discard(self, update_id: int) -> None:
        """Remove a delivered update if it is still at the head of the queue."""
        if self._items and self._items[0]["update_id"] == update_id:
            self._items.popleft()

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
