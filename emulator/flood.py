"""Telegram's broadcast limits as sliding windows over message-sending calls.

Documented limits: about 30 messages per second per bot overall, one message
per second in a private chat, 20 messages per minute in a group. The numbers
are configurable so tests can use small windows, and the clock is injectable
so unit tests never sleep.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

Clock = Callable[[], float]


@dataclass
class FloodConfig:
    enabled: bool = True
    global_limit: int = 30
    global_window: float = 1.0
    private_limit: int = 1
    private_window: float = 1.0
    group_limit: int = 20
    group_window: float = 60.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def updated(self, changes: dict[str, Any]) -> FloodConfig:
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ValueError(f"unknown flood settings: {', '.join(sorted(unknown))}")
        merged = self.to_dict()
        for name, value in changes.items():
            if value is None:
                continue
            if name == "enabled":
                if not isinstance(value, bool):
                    raise ValueError("enabled must be a boolean")
                merged[name] = value
                continue
            merged[name] = type(merged[name])(value)
            if merged[name] <= 0:
                raise ValueError(f"{name} must be positive")
        return FloodConfig(**merged)


class SlidingWindow:
    """At most ``limit`` hits in any half-open interval of ``window`` seconds."""

    __slots__ = ("_hits",)

    def __init__(self) -> None:
        self._hits: deque[float] = deque()

    def wait_time(self, now: float, limit: int, window: float) -> float:
        """Seconds until one more hit would be allowed (0 when it is allowed now)."""
        hits = self._hits
        horizon = now - window
        while hits and hits[0] <= horizon:
            hits.popleft()
        if len(hits) < limit:
            return 0.0
        # The hit that must expire before another fits is `limit` places from the end.
        return hits[len(hits) - limit] + window - now

    def record(self, now: float) -> None:
        self._hits.append(now)


class FloodLimiter:
    """Decides whether a message-sending call is allowed now, and records it if so."""

    def __init__(self, config: FloodConfig | None = None, clock: Clock = time.monotonic) -> None:
        self.config = config or FloodConfig()
        self.clock = clock
        self._global: dict[int, SlidingWindow] = {}
        self._per_chat: dict[tuple[int, int], SlidingWindow] = {}

    def configure(self, **changes: Any) -> FloodConfig:
        self.config = self.config.updated(changes)
        self.reset()
        return self.config

    def reset(self) -> None:
        self._global.clear()
        self._per_chat.clear()

    def acquire(self, bot_id: int, chat_id: int) -> int | None:
        """Record one message to ``chat_id`` and return None, or return retry_after seconds.

        Private chats have positive ids; groups, supergroups and channels negative ones.
        """
        config = self.config
        if not config.enabled:
            return None
        now = self.clock()
        global_window = self._global.setdefault(bot_id, SlidingWindow())
        chat_window = self._per_chat.setdefault((bot_id, chat_id), SlidingWindow())
        if chat_id > 0:
            chat_limit, chat_span = config.private_limit, config.private_window
        else:
            chat_limit, chat_span = config.group_limit, config.group_window
        wait = max(
            global_window.wait_time(now, config.global_limit, config.global_window),
            chat_window.wait_time(now, chat_limit, chat_span),
        )
        if wait > 0:
            return max(1, math.ceil(wait))
        global_window.record(now)
        chat_window.record(now)
        return None
