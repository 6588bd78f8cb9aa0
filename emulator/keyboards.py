"""Semantic checks of reply_markup beyond field types: Telegram's documented keyboard limits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .errors import bad_request

# Exactly one of these must be set on an inline button (text is the label, not an action).
INLINE_ACTION_FIELDS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100


def parse_reply_markup(
    markup: dict[str, Any] | None, *, inline_only: bool = False
) -> dict[str, Any] | None:
    """Validate a reply_markup object; an empty inline keyboard means "no keyboard"."""
    if markup is None:
        return None
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"])
        return markup if markup["inline_keyboard"] else None
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        _check_reply_keyboard(markup["keyboard"])
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")


def _rows(keyboard: Any, what: str) -> list[list[Any]]:
    if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
        raise bad_request(f"can't parse {what}: field must be an Array of Array")
    return keyboard


def _check_inline_keyboard(keyboard: Any) -> None:
    rows = _rows(keyboard, "inline keyboard")
    if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
        raise bad_request("reply markup is too long")
    for row in rows:
        for button in row:
            _check_inline_button(button)


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    actions = [name for name in INLINE_ACTION_FIELDS if button.get(name) is not None]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields must be used, "
            f"got {', '.join(actions)}"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        size = len(data.encode("utf-8")) if isinstance(data, str) else 0
        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button and not str(button["url"]).strip():
        raise bad_request("BUTTON_URL_INVALID")


def _check_reply_keyboard(keyboard: Any) -> None:
    for row in _rows(keyboard, "reply keyboard"):
        for button in row:
            text = button if isinstance(button, str) else (button or {}).get("text")
            if not isinstance(text, str) or not text:
                raise bad_request(
                    'can\'t parse keyboard button: Field "text" must be of type String'
                )


def inline_buttons(markup: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
    if not markup:
        return
    for row in markup.get("inline_keyboard") or []:
        yield from row


def has_callback_button(markup: dict[str, Any] | None, callback_data: str) -> bool:
    return any(button.get("callback_data") == callback_data for button in inline_buttons(markup))
