"""The emulated Telegram's entities: users, bots, chats, members, stored messages, callbacks.

Message payloads are kept as Telegram-shaped dicts and treated as immutable:
an edit stores a new dict. Updates can therefore share them without copying.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .update_queue import UpdateQueue

# Updates Telegram does not send unless the bot asks for them in allowed_updates.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
PRESENT_STATUSES = frozenset({"creator", "administrator", "member", "restricted"})
ADMIN_STATUSES = frozenset({"creator", "administrator"})
SERVICE_FIELDS = frozenset(
    {
        "new_chat_members",
        "left_chat_member",
        "new_chat_title",
        "new_chat_photo",
        "delete_chat_photo",
        "group_chat_created",
        "supergroup_chat_created",
        "migrate_to_chat_id",
        "migrate_from_chat_id",
        "pinned_message",
    }
)


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    is_premium: bool | None = None

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for name in ("last_name", "username", "language_code", "is_premium"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return data


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str = "127.0.0.1"
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class BotAccount:
    user: User
    token: str
    can_join_groups: bool = True
    can_read_all_group_messages: bool = False
    supports_inline_queries: bool = False
    updates: UpdateQueue = field(default_factory=UpdateQueue)
    allowed_updates: list[str] | None = None
    webhook: WebhookConfig | None = None
    # (canonical scope JSON, language_code) -> list of BotCommand dicts
    commands: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    menu_buttons: dict[int | None, dict[str, Any]] = field(default_factory=dict)
    blocked_by: set[int] = field(default_factory=set)
    # Bumped by every getUpdates call so an older long poll can tell it was superseded.
    poll_generation: int = 0

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def username(self) -> str:
        return self.user.username or ""

    def get_me(self) -> dict[str, Any]:
        return {
            **self.user.to_api(),
            "can_join_groups": self.can_join_groups,
            "can_read_all_group_messages": self.can_read_all_group_messages,
            "supports_inline_queries": self.supports_inline_queries,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def describe(self) -> dict[str, Any]:
        """The control API's view of a bot; never includes the token."""
        return {
            **self.get_me(),
            "webhook_url": self.webhook.url if self.webhook else None,
            "pending_update_count": len(self.updates),
        }

    def accepts(self, kind: str) -> bool:
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in OPT_IN_UPDATES

    def reset_state(self) -> None:
        # Same queue object: a long poll in flight keeps waiting on it after a reset.
        self.updates.clear()
        self.allowed_updates = None
        self.webhook = None
        self.commands.clear()
        self.menu_buttons.clear()
        self.blocked_by.clear()


@dataclass
class Member:
    status: str  # creator | administrator | member | restricted | left | kicked

    @property
    def present(self) -> bool:
        return self.status in PRESENT_STATUSES


def chat_member_api(user: dict[str, Any], status: str) -> dict[str, Any]:
    """A ChatMember object for ``status`` with every field its variant requires."""
    if status == "creator":
        return {"status": status, "user": user, "is_anonymous": False}
    if status == "administrator":
        rights = dict.fromkeys(
            (
                "can_manage_chat",
                "can_delete_messages",
                "can_manage_video_chats",
                "can_restrict_members",
                "can_change_info",
                "can_invite_users",
                "can_pin_messages",
                "can_send_welcome_messages",
            ),
            True,
        )
        rights.update(
            dict.fromkeys(
                (
                    "can_be_edited",
                    "is_anonymous",
                    "can_promote_members",
                    "can_post_stories",
                    "can_edit_stories",
                    "can_delete_stories",
                    "can_manage_topics",
                ),
                False,
            )
        )
        return {"status": status, "user": user, **rights}
    if status == "restricted":
        permissions = dict.fromkeys(
            (
                "can_send_messages",
                "can_send_audios",
                "can_send_documents",
                "can_send_photos",
                "can_send_videos",
                "can_send_video_notes",
                "can_send_voice_notes",
                "can_send_polls",
                "can_send_other_messages",
                "can_add_web_page_previews",
                "can_react_to_messages",
                "can_edit_tag",
                "can_change_info",
                "can_invite_users",
                "can_pin_messages",
                "can_manage_topics",
            ),
            False,
        )
        return {"status": status, "user": user, "is_member": True, **permissions, "until_date": 0}
    if status == "kicked":
        return {"status": status, "user": user, "until_date": 0}
    return {"status": status, "user": user}


@dataclass
class StoredMessage:
    data: dict[str, Any]
    # The full markup the sender attached; Telegram only echoes inline keyboards
    # in Message objects, but tests want to see reply keyboards too.
    reply_markup: dict[str, Any] | None
    sender_id: int
    sent_by_bot: bool
    edits: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False

    @property
    def message_id(self) -> int:
        return int(self.data["message_id"])

    def snapshot(self) -> dict[str, Any]:
        view = dict(self.data)
        view.pop("reply_markup", None)
        if self.reply_markup is not None:
            view["reply_markup"] = self.reply_markup
        return view

    def view(self) -> dict[str, Any]:
        """The control API's view: current state, full markup, edit history, deletion flag."""
        return {**self.snapshot(), "edits": list(self.edits), "deleted": self.deleted}

    def replace(self, data: dict[str, Any], reply_markup: dict[str, Any] | None, when: int) -> None:
        self.edits.append({**self.snapshot(), "replaced_at": when})
        self.data = data
        self.reply_markup = reply_markup


@dataclass
class Chat:
    id: int
    type: str  # private | group | supergroup
    title: str | None = None
    username: str | None = None
    private_user: User | None = None  # the human side of a private chat
    bot_id: int | None = None  # the bot side of a private chat
    instance: str = ""  # callback_query.chat_instance
    members: dict[int, Member] = field(default_factory=dict)
    member_bot_ids: set[int] = field(default_factory=set)
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    bot_message_ids: dict[int, list[int]] = field(default_factory=dict)
    next_message_id: int = 1

    def to_api(self) -> dict[str, Any]:
        if self.private_user is not None:
            data = {"id": self.id, "type": "private", "first_name": self.private_user.first_name}
            if self.private_user.last_name:
                data["last_name"] = self.private_user.last_name
            if self.private_user.username:
                data["username"] = self.private_user.username
            return data
        data = {"id": self.id, "type": self.type, "title": self.title}
        if self.username:
            data["username"] = self.username
        return data

    def status_of(self, user_id: int) -> str:
        if self.private_user is not None:
            return "member" if user_id in (self.private_user.id, self.bot_id) else "left"
        member = self.members.get(user_id)
        return member.status if member else "left"

    def is_present(self, user_id: int) -> bool:
        return self.status_of(user_id) in PRESENT_STATUSES

    def allocate_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def add_message(self, message: StoredMessage) -> StoredMessage:
        self.messages[message.message_id] = message
        if message.sent_by_bot:
            self.bot_message_ids.setdefault(message.sender_id, []).append(message.message_id)
        return message

    def messages_of_bot(self, bot_id: int) -> list[StoredMessage]:
        return [self.messages[mid] for mid in self.bot_message_ids.get(bot_id, [])]

    def describe(self) -> dict[str, Any]:
        info = self.to_api()
        if self.private_user is None:
            info["members"] = [
                {"user_id": user_id, "status": member.status}
                for user_id, member in self.members.items()
            ]
        info["message_count"] = len(self.messages)
        return info


@dataclass
class CallbackRecord:
    query: dict[str, Any]
    bot_id: int
    chat_id: int
    message_id: int
    created_at: float
    answered: bool = False
    answer: dict[str, Any] | None = None
    answered_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.query["id"],
            "data": self.query.get("data"),
            "user_id": self.query["from"]["id"],
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "answered": self.answered,
            "answer": self.answer,
        }
