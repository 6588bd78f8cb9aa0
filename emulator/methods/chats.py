"""Chat information, membership, chat actions and callback query answers."""

from __future__ import annotations

from typing import Any

from ..errors import bad_request
from ..models import ADMIN_STATUSES, PRESENT_STATUSES, User, chat_member_api
from .registry import CallContext, method

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
MAX_CALLBACK_ANSWER = 200
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


@method("getChat")
async def get_chat(ctx: CallContext) -> dict[str, Any]:
    chat = ctx.target_chat(sending=False)
    return {
        **chat.to_api(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


def _person(ctx: CallContext, user_id: int) -> User:
    world = ctx.world
    if user_id in world.bots:
        return world.bots[user_id].user
    user = world.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    return user


@method("getChatMember")
async def get_chat_member(ctx: CallContext) -> dict[str, Any]:
    chat = ctx.target_chat(sending=False)
    person = _person(ctx, ctx.params.required_int("user_id"))
    return chat_member_api(person.to_api(), chat.status_of(person.id))


@method("getChatAdministrators")
async def get_chat_administrators(ctx: CallContext) -> list[dict[str, Any]]:
    chat = ctx.target_chat(sending=False)
    if chat.private_user is not None:
        raise bad_request("there are no administrators in the private chat")
    return [
        chat_member_api(_person(ctx, user_id).to_api(), member.status)
        for user_id, member in chat.members.items()
        if member.status in ADMIN_STATUSES
    ]


@method("getChatMemberCount")
async def get_chat_member_count(ctx: CallContext) -> int:
    chat = ctx.target_chat(sending=False)
    if chat.private_user is not None:
        return 2
    return sum(1 for member in chat.members.values() if member.status in PRESENT_STATUSES)


@method("leaveChat")
async def leave_chat(ctx: CallContext) -> bool:
    chat = ctx.target_chat(sending=False)
    if chat.private_user is not None:
        raise bad_request("chat member status can't be changed in private chats")
    ctx.world.leave_chat(ctx.bot, chat)
    return True


@method("sendChatAction")
async def send_chat_action(ctx: CallContext) -> bool:
    ctx.target_chat()
    if ctx.params.required_str("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


@method("answerCallbackQuery")
async def answer_callback_query(ctx: CallContext) -> bool:
    params = ctx.params
    record = ctx.world.callbacks.get(params.required_str("callback_query_id"))
    if record is None or record.bot_id != ctx.bot.id or record.answered:
        raise bad_request(QUERY_INVALID)
    text = params.string("text")
    if text is not None and len(text) > MAX_CALLBACK_ANSWER:
        raise bad_request("MESSAGE_TOO_LONG")
    record.answered = True
    record.answered_at = ctx.world.clock()
    record.answer = {
        "text": text,
        "show_alert": params.flag("show_alert"),
        "url": params.string("url"),
        "cache_time": params.integer("cache_time", default=0),
    }
    return True
