"""Methods that change or remove existing messages."""

from __future__ import annotations

from typing import Any

from ..errors import bad_request
from ..models import ADMIN_STATUSES, Chat, StoredMessage
from .content import MEDIA_FIELDS, NOT_MODIFIED, caption_content, message_text, reply_markup
from .registry import CallContext, method

MAX_DELETE_BATCH = 100


def _message_to_edit(ctx: CallContext) -> StoredMessage:
    if ctx.params.has("inline_message_id"):
        raise bad_request("inline messages are not supported by the emulator")
    chat = ctx.target_chat(sending=False)
    stored = chat.messages.get(ctx.params.required_int("message_id"))
    if stored is None or stored.deleted:
        raise bad_request("message to edit not found")
    if not stored.sent_by_bot or stored.sender_id != ctx.bot.id:
        raise bad_request("message can't be edited")
    return stored


def _apply_edit(
    ctx: CallContext,
    stored: StoredMessage,
    replaced: tuple[str, ...],
    content: dict[str, Any],
) -> dict[str, Any]:
    """Store the new version (keeping the old one in the history) and return the Message.

    Telegram drops the inline keyboard when an edit does not pass reply_markup
    again; bots that forget it lose their buttons, so the emulator does the same.
    """
    markup = reply_markup(ctx.params, inline_only=True)
    old = stored.data
    unchanged = all(old.get(key) == content.get(key) for key in replaced)
    if unchanged and old.get("reply_markup") == markup:
        raise bad_request(NOT_MODIFIED)
    data = {k: v for k, v in old.items() if k not in replaced and k != "reply_markup"}
    data.update({k: v for k, v in content.items() if v is not None})
    if markup is not None:
        data["reply_markup"] = markup
    now = ctx.world.now()
    data["edit_date"] = now
    # A reply keyboard lives on the user's side and survives edits of the message.
    kept = (
        stored.reply_markup
        if stored.reply_markup and "inline_keyboard" not in stored.reply_markup
        else None
    )
    stored.replace(data, markup if markup is not None else kept, now)
    return data


@method("editMessageText")
async def edit_message_text(ctx: CallContext) -> dict[str, Any]:
    stored = _message_to_edit(ctx)
    if "text" not in stored.data:
        raise bad_request("there is no text in the message to edit")
    text, entities = message_text(ctx.params)
    return _apply_edit(ctx, stored, ("text", "entities"), {"text": text, "entities": entities})


@method("editMessageCaption")
async def edit_message_caption(ctx: CallContext) -> dict[str, Any]:
    stored = _message_to_edit(ctx)
    if not any(field in stored.data for field in MEDIA_FIELDS):
        raise bad_request("there is no caption in the message to edit")
    content = caption_content(ctx.params)
    return _apply_edit(
        ctx,
        stored,
        ("caption", "caption_entities"),
        {"caption": content.get("caption"), "caption_entities": content.get("caption_entities")},
    )


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(ctx: CallContext) -> dict[str, Any]:
    stored = _message_to_edit(ctx)
    return _apply_edit(ctx, stored, (), {})


def _may_delete(ctx: CallContext, chat: Chat, stored: StoredMessage) -> bool:
    if stored.sent_by_bot and stored.sender_id == ctx.bot.id:
        return True
    if chat.private_user is not None:
        return True  # bots may delete incoming messages in private chats
    return chat.status_of(ctx.bot.id) in ADMIN_STATUSES


@method("deleteMessage")
async def delete_message(ctx: CallContext) -> bool:
    chat = ctx.target_chat(sending=False)
    stored = chat.messages.get(ctx.params.required_int("message_id"))
    if stored is None or stored.deleted:
        raise bad_request("message to delete not found")
    if not _may_delete(ctx, chat, stored):
        raise bad_request("message can't be deleted")
    stored.deleted = True
    return True


@method("deleteMessages")
async def delete_messages(ctx: CallContext) -> bool:
    chat = ctx.target_chat(sending=False)
    ids = ctx.params.json_array("message_ids", required=True) or []
    if not 1 <= len(ids) <= MAX_DELETE_BATCH:
        raise bad_request("message_ids must contain 1-100 identifiers")
    # Like Telegram, messages that are missing or not deletable are skipped silently.
    for message_id in ids:
        stored = chat.messages.get(message_id) if isinstance(message_id, int) else None
        if stored is not None and not stored.deleted and _may_delete(ctx, chat, stored):
            stored.deleted = True
    return True
