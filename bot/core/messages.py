"""Platform-neutral outgoing messages, as stored in the outbox and rendered by a connector.

Buttons carry short ASCII callback ids (Telegram allows 64 bytes; one Chinese character is 3),
so a connector for WeCom or DingTalk can render the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from bot.core.callbacks import MAX_CALLBACK_BYTES


@dataclass(frozen=True)
class Button:
    text: str
    data: str = ""  # callback id, e.g. "t:123:done"
    url: str = ""

    def __post_init__(self) -> None:
        if bool(self.data) == bool(self.url):
            raise ValueError("a button needs exactly one of data or url")
        if self.data and (not self.data.isascii() or len(self.data.encode()) > MAX_CALLBACK_BYTES):
            raise ValueError(f"callback data must be ASCII and at most 64 bytes: {self.data!r}")


@dataclass(frozen=True)
class OutMessage:
    text: str
    kind: Literal["text", "photo", "document"] = "text"
    media_path: str = ""  # a file on disk (media store or export) for photo/document
    file_id: str = ""  # a file the platform already has
    filename: str = ""
    buttons: tuple[tuple[Button, ...], ...] = field(default_factory=tuple)
    # Edit a message this bot sent earlier instead of sending a new one (progress lines).
    edit_message_id: int | None = None

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"kind": self.kind, "text": self.text}
        if self.media_path:
            payload["media_path"] = self.media_path
        if self.file_id:
            payload["file_id"] = self.file_id
        if self.filename:
            payload["filename"] = self.filename
        if self.buttons:
            payload["buttons"] = [
                [{"text": b.text, "data": b.data, "url": b.url} for b in row]
                for row in self.buttons
            ]
        if self.edit_message_id is not None:
            payload["edit_message_id"] = self.edit_message_id
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> OutMessage:
        rows = tuple(
            tuple(Button(b["text"], b.get("data", ""), b.get("url", "")) for b in row)
            for row in payload.get("buttons", [])
        )
        return cls(
            text=payload.get("text", ""),
            kind=payload.get("kind", "text"),
            media_path=payload.get("media_path", ""),
            file_id=payload.get("file_id", ""),
            filename=payload.get("filename", ""),
            buttons=rows,
            edit_message_id=payload.get("edit_message_id"),
        )


def single_button(text: str, data: str) -> tuple[tuple[Button, ...], ...]:
    return ((Button(text, data),),)
