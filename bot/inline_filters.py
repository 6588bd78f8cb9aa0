"""Synchronous filters run on the event loop, not in a thread.

aiogram calls every filter that is not a coroutine (each ``F.data.regexp(...)``,
``F.photo``, ``~F.text.startswith("/")``) through ``asyncio.to_thread``: a thread wake-up
for every filter of every handler an update is checked against before one matches. The
filters only look at the update (a regexp on 20 bytes of callback data), so the hop costs
far more than the check; on this project's machines, where waking a thread took ~190 µs,
it was a third of the bot's time per update (py-spy on bench/ingest.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject


def run_filters_inline(routers: Iterable[Router]) -> None:
    """Makes each router's (and sub-router's) synchronous filters plain awaitables."""
    for router in routers:
        for observer in router.observers.values():
            # The observer's own filters (``router.message.filter(...)``), then each handler's.
            for handler in (observer._handler, *observer.handlers):  # noqa: SLF001
                for event_filter in handler.filters or ():
                    _inline(event_filter)
        run_filters_inline(router.sub_routers)


def _inline(event_filter: FilterObject) -> None:
    if event_filter.awaitable:
        return
    check: Callable[..., Any] = event_filter.callback

    async def run(*args: Any, **kwargs: Any) -> Any:
        return check(*args, **kwargs)

    # ``params`` (which of the handler's data the filter takes) stay those of ``check``.
    event_filter.callback = run
    event_filter.awaitable = True
