"""Counters the control API exposes so tests and benchmarks can assert on traffic."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Stats:
    requests: Counter[str] = field(default_factory=Counter)  # per Bot API method
    responses: Counter[int] = field(default_factory=Counter)  # per HTTP status
    flood_rejections: int = 0
    faults_injected: int = 0
    messages_sent: int = 0
    # Clock readings (the emulator's monotonic clock) of every message a bot sent.
    send_times: list[float] = field(default_factory=list)
    sent_per_chat: Counter[int] = field(default_factory=Counter)
    updates_created: int = 0
    webhook_deliveries: int = 0
    webhook_failures: int = 0
    webhook_dropped: int = 0
    # Methods a bot answered a webhook delivery with, per Bot API method.
    webhook_replies: Counter[str] = field(default_factory=Counter)
    accepted_without_effect: Counter[str] = field(default_factory=Counter)

    def record_send(self, chat_id: int, at: float) -> None:
        self.messages_sent += 1
        self.send_times.append(at)
        self.sent_per_chat[chat_id] += 1

    def to_dict(self, *, include_times: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "requests": dict(self.requests),
            "responses": {str(status): count for status, count in self.responses.items()},
            "rate_limited": self.responses.get(429, 0),
            "flood_rejections": self.flood_rejections,
            "faults_injected": self.faults_injected,
            "messages_sent": self.messages_sent,
            "sent_per_chat": {str(chat): count for chat, count in self.sent_per_chat.items()},
            "updates_created": self.updates_created,
            "webhook_deliveries": self.webhook_deliveries,
            "webhook_failures": self.webhook_failures,
            "webhook_dropped": self.webhook_dropped,
            "webhook_replies": dict(self.webhook_replies),
            "accepted_without_effect": dict(self.accepted_without_effect),
        }
        if include_times:
            data["send_times"] = list(self.send_times)
        return data
