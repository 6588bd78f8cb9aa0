"""Fault injection: rules that make matching Bot API calls fail in a chosen way."""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Any, Literal, NoReturn, get_args

from .errors import (
    BLOCKED_BY_USER,
    ApiError,
    DropConnection,
    forbidden,
    server_error,
    too_many_requests,
)

FaultAction = Literal["status", "drop", "block", "retry_after"]
FAULT_ACTIONS: tuple[str, ...] = get_args(FaultAction)


@dataclass
class FaultRule:
    """``action`` applies to calls of ``method`` ("*" = any), optionally only for ``chat_id``.

    ``times`` is how many matching calls it still applies to; None means forever.
    """

    action: FaultAction
    method: str = "*"
    chat_id: int | None = None
    status: int = 500
    retry_after: int = 1
    times: int | None = None
    id: int = 0
    hits: int = 0

    def __post_init__(self) -> None:
        if self.action not in FAULT_ACTIONS:
            raise ValueError(f"action must be one of {', '.join(FAULT_ACTIONS)}")
        if self.action == "status" and not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if self.retry_after < 1:
            raise ValueError("retry_after must be at least 1")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be positive or null")

    def matches(self, method: str, chat_id: int | str | None) -> bool:
        if self.method != "*" and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def raise_fault(self) -> NoReturn:
        if self.action == "drop":
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

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)

    def add(
        self,
        action: FaultAction,
        method: str = "*",
        *,
        chat_id: int | None = None,
        status: int = 500,
        retry_after: int = 1,
        times: int | None = None,
    ) -> FaultRule:
        rule = FaultRule(
            action=action,
            method=method,
            chat_id=chat_id,
            status=status,
            retry_after=retry_after,
            times=times,
            id=next(self._ids),
        )
        self._rules.append(rule)
        return rule

    def rules(self) -> list[FaultRule]:
        return list(self._rules)

    def clear(self) -> None:
        self._rules.clear()

    def remove(self, rule_id: int) -> bool:
        before = len(self._rules)
        self._rules = [rule for rule in self._rules if rule.id != rule_id]
        return len(self._rules) != before

    def take(self, method: str, chat_id: int | str | None) -> FaultRule | None:
        """The rule to apply to this call, consuming one of its uses."""
        if not self._rules:
            return None
        for rule in self._rules:
            if rule.matches(method, chat_id):
                rule.hits += 1
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times == 0:
                        self._rules.remove(rule)
                return rule
        return None
