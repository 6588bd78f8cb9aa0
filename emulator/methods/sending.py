"""Methods that post new messages: send*, copyMessage, forwardMessage."""

from __future__ import annotations

import secrets
from typing import Any

from ..errors import bad_request
from ..models import SERVICE_FIELDS, StoredMessage
from ..params import CoercionError, as_str
from .content import (
    CONTENT_FIELDS,
    caption_content,
    message_text,
    reply_markup,
    reply_target,
    sent_message,
)
from .registry import CallContext, method

MEDIA_GROUP_KINDS = ("photo", "document")
MIN_MEDIA_GROUP, MAX_MEDIA_GROUP = 2, 10


@method("sendMessage", sends_messages=True)
async def send_message(ctx: CallContext) -> dict[str, Any]:
    chat = ctx.target_chat()
    text, entities = message_text(ctx.params)
    content: dict[str, Any] = {"text": text}
    if entities:
        content["entities"] = entities
    return sent_message(ctx, chat, content)


def _file_content(ctx: CallContext, kind: str) -> dict[str, Any]:
    value = ctx.params.input_file(kind)
    assert value is not None
    stored = ctx.world.files.resolve(value, kind)
    if kind == "photo":
        return {"photo": stored.as_photo()}
    if kind == "sticker":
        return {"sticker": stored.as_sticker(ctx.params.string("emoji"))}
    return {kind: stored.as_document()}


@method("sendPhoto", sends_messages=True)
async def send_photo(ctx: CallContext) -> dict[str, Any]:
    chat = ctx.target_chat()
    caption = caption_content(ctx.params)  # validated before the upload is stored
    content = {**_file_content(ctx, "photo"), **caption}
    return sent_message(ctx, chat, content)


@method("sendDocument", sends_messages=True)
async def send_document(ctx: CallContext) -> dict[str, Any]:
    chat = ctx.target_chat()
    caption = caption_content(ctx.params)
    content = {**_file_content(ctx, "document"), **caption}
    return sent_message(ctx, chat, content)


@method("sendSticker", sends_messages=True)
async def send_sticker(ctx: CallContext) -> dict[str, Any]:
    chat = ctx.target_chat()
    return sent_message(ctx, chat, _file_content(ctx, "sticker"))


@method("sendMediaGroup", sends_messages=True)
async def send_media_group(ctx: CallContext) -> list[dict[str, Any]]:
    chat = ctx.target_chat()
    media = ctx.params.json_array("media", required=True) or []
    if not MIN_MEDIA_GROUP <= len(media) <= MAX_MEDIA_GROUP:
        raise bad_request("media group must contain 2-10 items")
    kinds = {item.get("type") if isinstance(item, dict) else None for item in media}
    unsupported = kinds - set(MEDIA_GROUP_KINDS)
    if unsupported:
        raise bad_request(f"unsupported media type in the group: {sorted(map(str, unsupported))}")
    if "document" in kinds and len(kinds) > 1:
        raise bad_request("document can't be mixed with other media types")
    group_id = str(secrets.randbelow(10**18))
    reply_to = reply_target(ctx, chat)
    # Validate every item before posting any, so a bad item leaves no half-sent album.
    contents = [_media_item_content(ctx, item) for item in media]
    sent: list[dict[str, Any]] = []
    for content in contents:
        content["media_group_id"] = group_id
        stored = ctx.world.post_bot_message(ctx.bot, chat, content, None, reply_to)
        sent.append(stored.data)
    return sent


def _media_item_content(ctx: CallContext, item: dict[str, Any]) -> dict[str, Any]:
    kind = item["type"]
    try:
        reference = as_str(item.get("media"))
    except CoercionError:
        raise bad_request("media must be a file_id, an HTTP URL or attach://<name>") from None
    stored = ctx.world.files.resolve(ctx.params.resolve_attach(reference), kind)
    content: dict[str, Any] = (
        {"photo": stored.as_photo()} if kind == "photo" else {"document": stored.as_document()}
    )
    caption = item.get("caption")
    if caption:
        if len(str(caption)) > 1024:
            raise bad_request("message caption is too long")
        content["caption"] = str(caption)
    return content


def _source_message(ctx: CallContext, verb: str, participle: str) -> StoredMessage:
    source_chat = ctx.target_chat("from_chat_id", sending=False)
    message_id = ctx.params.required_int("message_id")
    source = source_chat.messages.get(message_id)
    if source is None or source.deleted:
        raise bad_request(f"message to {verb} not found")
    if SERVICE_FIELDS.intersection(source.data):
        raise bad_request(f"message can't be {participle}")
    return source


@method("copyMessage", sends_messages=True)
async def copy_message(ctx: CallContext) -> dict[str, Any]:
    chat = ctx.target_chat()
    source = _source_message(ctx, "copy", "copied")
    content = {key: source.data[key] for key in CONTENT_FIELDS if key in source.data}
    if ctx.params.has("caption") or ctx.params.raw("caption") == "":
        content.pop("caption", None)
        content.pop("caption_entities", None)
        content.update(caption_content(ctx.params))
    sent = sent_message(ctx, chat, content)
    return {"message_id": sent["message_id"]}


@method("forwardMessage", sends_messages=True)
async def forward_message(ctx: CallContext) -> dict[str, Any]:
    chat = ctx.target_chat()
    source = _source_message(ctx, "forward", "forwarded")
    content = {key: source.data[key] for key in CONTENT_FIELDS if key in source.data}
    sender = source.data.get("from")
    if sender is not None:
        content["forward_origin"] = {
            "type": "user",
            "sender_user": sender,
            "date": source.data["date"],
        }
    stored = ctx.world.post_bot_message(ctx.bot, chat, content, reply_markup(ctx.params))
    return stored.data
