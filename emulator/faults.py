"""Fault injection: rules that make matching Bot API calls fail in a chosen way.

Some faults refuse the call (``status``, ``block``, ``retry_after``, ``drop``: nothing
happens); two let the call happen first, as Telegram's worst cases do: ``process_drop``
executes it and then closes the socket (the client cannot know it was delivered), and
``delay`` executes it and answers ``seconds`` later. ``for_seconds`` limits a rule to a
period (an outage that ends), ``probability`` to a share of the matching calls (seeded).
"""

from __future__ import annotations

import itertools
import random
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, NoReturn, get_args

from .errors import (
    BLOCKED_BY_USER,
    ApiError,
    DropConnection,
    forbidden,
    server_error,
    too_many_requests,
)

FaultAction = Literal["status", "drop", "block", "retry_after", "process_drop", "delay"]
FAULT_ACTIONS: tuple[str, ...] = get_args(FaultAction)
# Applied after the method has run: the call has its effect, only the answer goes wrong.
AFTER_ACTIONS = ("process_drop", "delay")


@dataclass
class FaultRule:
    """``action`` applies to calls of ``method`` ("*" = any), optionally only for ``chat_id``.

    ``times`` is how many matching calls it still applies to; None means forever.
    ``seconds`` is the answer's delay for ``delay``; ``for_seconds`` ends the rule that long
    after it was added; ``probability`` applies it to that share of matching calls.
    """

    action: FaultAction
    method: str = "*"
    chat_id: int | None = None
    status: int = 500
    retry_after: int = 1
    times: int | None = None
    seconds: float = 0.0
    for_seconds: float | None = None
    probability: float = 1.0
    id: int = 0
    hits: int = 0
    until: float | None = field(default=None, repr=False)  # time.monotonic() it ends at

    def __post_init__(self) -> None:
        if self.action not in FAULT_ACTIONS:
            raise ValueError(f"action must be one of {', '.join(FAULT_ACTIONS)}")
        if self.action == "status" and not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if self.retry_after < 1:
            raise ValueError("retry_after must be at least 1")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be positive or null")
        if self.seconds < 0 or (self.action == "delay" and self.seconds <= 0):
            raise ValueError("seconds must be positive for a delay")
        if self.for_seconds is not None:
            if self.for_seconds <= 0:
                raise ValueError("for_seconds must be positive or null")
            self.until = time.monotonic() + self.for_seconds
        if not 0 < self.probability <= 1:
            raise ValueError("probability must be in (0, 1]")

    @property
    def after(self) -> bool:
        """True when the call is executed before the fault applies."""
        return self.action in AFTER_ACTIONS

    def expired(self, now: float) -> bool:
        return self.until is not None and now >= self.until

    def matches(self, method: str, chat_id: int | str | None) -> bool:
        if self.method != "*" and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("until")
        return data

    def raise_fault(self) -> NoReturn:
        if self.action in ("drop", "process_drop"):
            raise DropConnection()
        if self.action == "block":
            raise forbidden(BLOCKED_BY_USER)
        if self.action == "retry_after":
            raise too_many_requests(self.retry_after)
        if self.status >= 500:
            raise server_error(self.status)
        raise ApiError(self.status, f"Injected error {self.status}")


class FaultInjector:
    """Ordered rules; the first matching rule with uses left wins."""

    def __init__(self, seed: int = 0) -> None:
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self._random = random.Random(seed)  # same seed, same calls hit: reproducible benches

    def add(
        self,
        action: FaultAction,
        method: str = "*",
        *,
        chat_id: int | None = None,
        status: int = 500,
        retry_after: int = 1,
        times: int | None = None,
        seconds: float = 0.0,
        for_seconds: float | None = None,
        probability: float = 1.0,
    ) -> FaultRule:
        rule = FaultRule(
            action=action,
            method=method,
            chat_id=chat_id,
            status=status,
            retry_after=retry_after,
            times=times,
            seconds=seconds,
            for_seconds=for_seconds,
            probability=probability,
            id=next(self._ids),
        )
        self._rules.append(rule)
        return rule

    def rules(self) -> list[FaultRule]:
        self._drop_expired()
        return list(self._rules)

    def clear(self, seed: int | None = None) -> None:
        self._rules.clear()
        if seed is not None:
            self._random.seed(seed)

    def _drop_expired(self) -> None:
        now = time.monotonic()
        self._rules = [rule for rule in self._rules if not rule.expired(now)]

    def remove(self, rule_id: int) -> bool:
        before = len(self._rules)
        self._rules = [rule for rule in self._rules if rule.id != rule_id]
        return len(self._rules) != before

    def take(self, method: str, chat_id: int | str | None) -> FaultRule | None:
        """The rule to apply to this call, consuming one of its uses."""
        if not self._rules:
            return None
        self._drop_expired()
        for rule in self._rules:
            if rule.matches(method, chat_id):
                if rule.probability < 1 and self._random.random() >= rule.probability:
                    continue  # this call escapes the rule
                rule.hits += 1
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times == 0:
                        self._rules.remove(rule)
                return rule
        return None
