"""Parameter groups shared by sending and editing methods: text, caption, markup, reply target."""

from __future__ import annotations

from typing import Any

from ..errors import bad_request
from ..formatting import format_text
from ..keyboards import parse_reply_markup
from ..models import Chat, StoredMessage
from ..params import CoercionError, Params, as_bool, as_int
from ..world import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH
from .registry import CallContext

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
MEDIA_FIELDS = ("photo", "document", "sticker", "video", "audio", "voice", "animation")
# What copyMessage/forwardMessage carry over from the original message.
CONTENT_FIELDS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    *MEDIA_FIELDS,
    "location",
    "contact",
    "venue",
    "poll",
    "dice",
)


def _explicit_entities(params: Params, name: str) -> list[dict[str, Any]] | None:
    entities = params.json_array(name)
    if entities is not None and not all(isinstance(e, dict) for e in entities):
        raise bad_request("can't parse entities JSON object")
    return entities


def message_text(params: Params) -> tuple[str, list[dict[str, Any]] | None]:
    text, entities = format_text(
        params.text("text"), params.string("parse_mode"), _explicit_entities(params, "entities")
    )
    if not text.strip():
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    return text, entities


def caption_content(params: Params) -> dict[str, Any]:
    """``caption`` and ``caption_entities`` fields of a media message (empty when no caption)."""
    if not params.has("caption"):
        return {}
    caption, entities = format_text(
        params.text("caption"),
        params.string("parse_mode"),
        _explicit_entities(params, "caption_entities"),
    )
    if len(caption) > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    content: dict[str, Any] = {}
    if caption:
        content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
    return content


def reply_markup(params: Params, *, inline_only: bool = False) -> dict[str, Any] | None:
    return parse_reply_markup(params.json_object("reply_markup"), inline_only=inline_only)


def reply_target(ctx: CallContext, chat: Chat) -> StoredMessage | None:
    """The message a send replies to, from reply_parameters or the legacy reply_to_message_id."""
    params = ctx.params
    allow_without = params.flag("allow_sending_without_reply")
    reply = params.json_object("reply_parameters")
    target_chat = chat
    if reply is not None:
        try:
            message_id: int | None = as_int(reply.get("message_id"))
            allow_without = as_bool(reply.get("allow_sending_without_reply", allow_without))
        except CoercionError:
            raise bad_request("can't parse reply parameters JSON object") from None
        if reply.get("chat_id") is not None:
            other = Params({"chat_id": reply["chat_id"]}).chat_id()
            assert other is not None
            target_chat = ctx.world.chat_for_bot(ctx.bot, other, sending=False)
    else:
        message_id = params.integer("reply_to_message_id")
    if message_id is None:
        return None
    target = target_chat.messages.get(message_id)
    if target is None or target.deleted:
        if allow_without:
            return None
        raise bad_request("message to be replied not found")
    return target


def common_send_fields(params: Params) -> dict[str, Any]:
    """Optional send flags that show up in the resulting Message."""
    content: dict[str, Any] = {}
    if params.flag("protect_content"):
        content["has_protected_content"] = True
    preview = params.json_object("link_preview_options")
    if preview is not None:
        content["link_preview_options"] = preview
    return content


def sent_message(ctx: CallContext, chat: Chat, content: dict[str, Any]) -> dict[str, Any]:
    """Post a bot message with the call's reply markup and reply target; the Message object."""
    markup = reply_markup(ctx.params)
    reply_to = reply_target(ctx, chat)
    content.update(common_send_fields(ctx.params))
    stored = ctx.world.post_bot_message(ctx.bot, chat, content, markup, reply_to)
    return stored.data
