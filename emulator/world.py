"""The emulated Telegram's state and the things people and bots do in it.

People-side operations (create users and groups, send messages, press
buttons, block the bot) raise ValueError for impossible requests and
NotFoundError for unknown objects; the control API maps them to 400/404.
Bot-side helpers raise ApiError with Telegram's wording.
"""

from __future__ import annotations

import itertools
import random
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from .errors import (
    BLOCKED_BY_USER,
    CANT_INITIATE,
    CHAT_NOT_FOUND,
    NotFoundError,
    bad_request,
    forbidden,
)
from .files import FileStore
from .formatting import detect_entities
from .keyboards import has_callback_button
from .models import (
    ADMIN_STATUSES,
    SERVICE_FIELDS,
    BotAccount,
    CallbackRecord,
    Chat,
    Member,
    StoredMessage,
    User,
    chat_member_api,
)
from .stats import Stats

Clock = Callable[[], float]

DEFAULT_LANGUAGE = "zh-hans"
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
_TOKEN_RE = re.compile(r"^(\d{1,20}):[A-Za-z0-9_-]{1,100}$")
_FIRST_USER_ID = 1_000_000_001
_FIRST_BASIC_GROUP = 4_000_000_001
_FIRST_SUPERGROUP = 1_000_000_001
# Placeholder content so a simulated sticker is a real, downloadable file.
_STICKER_PLACEHOLDER = b"RIFF\x0c\x00\x00\x00WEBPVP8 \x00\x00\x00\x00"


def bot_id_from_token(token: str) -> int:
    match = _TOKEN_RE.match(token)
    if match is None:
        raise ValueError("a bot token looks like '<digits>:<letters, digits, _ or ->'")
    return int(match.group(1))


class World:
    """All state of the emulated Telegram, shared by the Bot API and the control API."""

    def __init__(self, clock: Clock = time.monotonic, wall_clock: Clock = time.time) -> None:
        self.clock = clock
        self.wall_clock = wall_clock
        self.users: dict[int, User] = {}
        self.bots: dict[int, BotAccount] = {}
        self._bots_by_token: dict[str, BotAccount] = {}
        self.default_bot_id: int | None = None
        self.groups: dict[int, Chat] = {}
        self._groups_by_username: dict[str, Chat] = {}
        self._private: dict[tuple[int, int], Chat] = {}
        self.files = FileStore()
        self.callbacks: dict[str, CallbackRecord] = {}
        self.stats = Stats()
        self._user_ids = itertools.count(_FIRST_USER_ID)
        self._group_numbers = itertools.count(0)
        self._callback_ids = itertools.count(1)
        self._random = random.Random()

    def now(self) -> int:
        """Unix time for message dates."""
        return int(self.wall_clock())

    def reset(self) -> None:
        """Forget every person, chat, message and file; bots stay registered with fresh state."""
        self.users.clear()
        self.groups.clear()
        self._groups_by_username.clear()
        self._private.clear()
        self.files.clear()
        self.callbacks.clear()
        self.stats = Stats()
        for bot in self.bots.values():
            bot.reset_state()

    # ------------------------------------------------------------------ bots

    def create_bot(
        self,
        token: str,
        *,
        first_name: str = "Safety Bot",
        username: str | None = None,
        can_join_groups: bool = True,
        can_read_all_group_messages: bool = False,
        supports_inline_queries: bool = False,
    ) -> BotAccount:
        existing = self._bots_by_token.get(token)
        if existing is not None:
            return existing
        bot_id = bot_id_from_token(token)
        if bot_id in self.bots or bot_id in self.users:
            raise ValueError(f"id {bot_id} is already taken by another bot or user")
        user = User(
            id=bot_id,
            first_name=first_name,
            username=username or f"emu{bot_id}_bot",
            is_bot=True,
        )
        bot = BotAccount(
            user=user,
            token=token,
            can_join_groups=can_join_groups,
            can_read_all_group_messages=can_read_all_group_messages,
            supports_inline_queries=supports_inline_queries,
        )
        self.bots[bot_id] = bot
        self._bots_by_token[token] = bot
        if self.default_bot_id is None:
            self.default_bot_id = bot_id
        return bot

    def bot_by_token(self, token: str) -> BotAccount | None:
        return self._bots_by_token.get(token)

    def bot(self, bot_id: int | None = None) -> BotAccount:
        if bot_id is None:
            bot_id = self.default_bot_id
        bot = self.bots.get(bot_id) if bot_id is not None else None
        if bot is None:
            raise NotFoundError(f"no bot with id {bot_id}")
        return bot

    # ---------------------------------------------------------------- people

    def create_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = DEFAULT_LANGUAGE,
        is_premium: bool | None = None,
    ) -> User:
        if not first_name:
            raise ValueError("first_name must not be empty")
        user_id = next(self._user_ids)
        while user_id in self.bots:
            user_id = next(self._user_ids)
        user = User(
            id=user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            is_premium=is_premium,
        )
        self.users[user_id] = user
        return user

    def user(self, user_id: int) -> User:
        user = self.users.get(user_id)
        if user is None:
            raise NotFoundError(f"no user with id {user_id}")
        return user

    def _person(self, user_id: int) -> User:
        """A user or a bot's user record."""
        if user_id in self.bots:
            return self.bots[user_id].user
        return self.user(user_id)

    def create_group(
        self,
        title: str,
        type: str = "group",  # noqa: A002 - Telegram's field name
        member_ids: Iterable[int] = (),
        creator_id: int | None = None,
        username: str | None = None,
    ) -> Chat:
        if type not in ("group", "supergroup"):
            raise ValueError("type must be 'group' or 'supergroup'")
        if not title:
            raise ValueError("title must not be empty")
        members = [self.user(user_id) for user_id in member_ids]
        creator = self.user(creator_id) if creator_id is not None else None
        number = next(self._group_numbers)
        if type == "supergroup":
            chat_id = int(f"-100{_FIRST_SUPERGROUP + number}")
        else:
            chat_id = -(_FIRST_BASIC_GROUP + number)
        if username and username.lower() in self._groups_by_username:
            raise ValueError(f"username @{username} is taken")
        chat = Chat(
            id=chat_id,
            type=type,
            title=title,
            username=username,
            instance=str(self._random.getrandbits(62)),
        )
        if creator is None and members:
            creator = members[0]
        if creator is not None:
            chat.members[creator.id] = Member("creator")
        for user in members:
            chat.members.setdefault(user.id, Member("member"))
        self.groups[chat_id] = chat
        if username:
            self._groups_by_username[username.lower()] = chat
        return chat

    def group(self, chat_id: int) -> Chat:
        chat = self.groups.get(chat_id)
        if chat is None:
            raise NotFoundError(f"no group with id {chat_id}")
        return chat

    def private_chat(self, bot_id: int, user_id: int) -> Chat | None:
        return self._private.get((bot_id, user_id))

    def _open_private_chat(self, bot: BotAccount, user: User) -> Chat:
        chat = self._private.get((bot.id, user.id))
        if chat is None:
            chat = Chat(
                id=user.id,
                type="private",
                private_user=user,
                bot_id=bot.id,
                instance=str(self._random.getrandbits(62)),
            )
            self._private[(bot.id, user.id)] = chat
        return chat

    def chat(self, chat_id: int, bot_id: int | None = None) -> Chat:
        """A chat as the control API names it: positive ids are private chats with the bot."""
        if chat_id < 0:
            return self.group(chat_id)
        bot = self.bot(bot_id)
        chat = self._private.get((bot.id, chat_id))
        if chat is None:
            raise NotFoundError(f"user {chat_id} has no private chat with bot {bot.id}")
        return chat

    def chats(self) -> list[Chat]:
        return [*self.groups.values(), *self._private.values()]

    # --------------------------------------------------------- group members

    def add_members(
        self, chat_id: int, user_ids: Iterable[int], by_user_id: int | None = None
    ) -> StoredMessage:
        chat = self.group(chat_id)
        users = [self.user(user_id) for user_id in user_ids]
        if not users:
            raise ValueError("user_ids must not be empty")
        actor = self.user(by_user_id) if by_user_id is not None else users[0]
        if by_user_id is not None and not chat.is_present(actor.id):
            raise ValueError(f"user {actor.id} is not a member of chat {chat.id}")
        already = [user.id for user in users if chat.is_present(user.id)]
        if already:
            raise ValueError(f"already members of chat {chat.id}: {already}")
        for user in users:
            old_status = chat.status_of(user.id)
            chat.members[user.id] = Member("member")
            self._notify_chat_member(chat, actor, user, old_status, "member")
        return self._service_message(
            chat, actor, {"new_chat_members": [user.to_api() for user in users]}
        )

    def add_bot_to_group(
        self,
        chat_id: int,
        by_user_id: int,
        bot_id: int | None = None,
        as_admin: bool = False,
    ) -> StoredMessage:
        chat = self.group(chat_id)
        actor = self.user(by_user_id)
        bot = self.bot(bot_id)
        if not chat.is_present(actor.id):
            raise ValueError(f"user {actor.id} is not a member of chat {chat.id}")
        if not bot.can_join_groups:
            raise ValueError("this bot can't be added to groups (can_join_groups is off)")
        if chat.is_present(bot.id):
            raise ValueError(f"bot {bot.id} is already a member of chat {chat.id}")
        old_status = chat.status_of(bot.id)
        new_status = "administrator" if as_admin else "member"
        chat.members[bot.id] = Member(new_status)
        chat.member_bot_ids.add(bot.id)
        self._notify_my_chat_member(bot, chat, actor, old_status, new_status)
        return self._service_message(chat, actor, {"new_chat_members": [bot.user.to_api()]})

    def remove_member(
        self, chat_id: int, user_id: int, by_user_id: int | None = None
    ) -> StoredMessage:
        """A member leaves (``by_user_id`` None or themselves) or is kicked by someone else."""
        chat = self.group(chat_id)
        target = self._person(user_id)
        if not chat.is_present(target.id):
            raise ValueError(f"{target.id} is not a member of chat {chat.id}")
        actor = self._person(by_user_id) if by_user_id is not None else target
        self._set_status(chat, target, actor, "left" if actor is target else "kicked")
        return self._service_message(chat, actor, {"left_chat_member": target.to_api()})

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> dict[str, Any]:
        """Promote, demote or restrict a member directly (as an owner would in the app)."""
        allowed = ("administrator", "member", "restricted", "creator")
        if status not in allowed:
            raise ValueError(f"status must be one of {', '.join(allowed)}")
        chat = self.group(chat_id)
        target = self._person(user_id)
        if not chat.is_present(target.id):
            raise ValueError(f"{target.id} is not a member of chat {chat.id}")
        owner = next(
            (self._person(uid) for uid, m in chat.members.items() if m.status == "creator"),
            target,
        )
        self._set_status(chat, target, owner, status)
        return chat_member_api(target.to_api(), status)

    def _set_status(self, chat: Chat, target: User, actor: User, status: str) -> None:
        old_status = chat.status_of(target.id)
        chat.members[target.id] = Member(status)
        if target.id in self.bots:
            self._notify_my_chat_member(self.bots[target.id], chat, actor, old_status, status)
        else:
            self._notify_chat_member(chat, actor, target, old_status, status)

    def _member_updated(
        self, chat: Chat, actor: User, target: User, old_status: str, new_status: str
    ) -> dict[str, Any]:
        user = target.to_api()
        return {
            "chat": chat.to_api(),
            "from": actor.to_api(),
            "date": self.now(),
            "old_chat_member": chat_member_api(user, old_status),
            "new_chat_member": chat_member_api(user, new_status),
        }

    def _notify_my_chat_member(
        self, bot: BotAccount, chat: Chat, actor: User, old_status: str, new_status: str
    ) -> None:
        payload = self._member_updated(chat, actor, bot.user, old_status, new_status)
        self._enqueue(bot, "my_chat_member", payload)

    def _notify_chat_member(
        self, chat: Chat, actor: User, target: User, old_status: str, new_status: str
    ) -> None:
        # Telegram only tells administrator bots that opted in via allowed_updates.
        payload: dict[str, Any] | None = None
        for bot in self._bots_in(chat):
            if chat.status_of(bot.id) in ADMIN_STATUSES and bot.accepts("chat_member"):
                payload = payload or self._member_updated(
                    chat, actor, target, old_status, new_status
                )
                self._enqueue(bot, "chat_member", payload)

    def _bots_in(self, chat: Chat) -> list[BotAccount]:
        return [
            self.bots[bot_id]
            for bot_id in chat.member_bot_ids
            if bot_id in self.bots and chat.is_present(bot_id)
        ]

    # ------------------------------------------------------ people's messages

    def _service_message(self, chat: Chat, actor: User, content: dict[str, Any]) -> StoredMessage:
        data = {
            "message_id": chat.allocate_message_id(),
            "from": actor.to_api(),
            "chat": chat.to_api(),
            "date": self.now(),
            **content,
        }
        stored = chat.add_message(
            StoredMessage(data, None, sender_id=actor.id, sent_by_bot=actor.is_bot)
        )
        self._deliver(chat, stored)
        return stored

    def user_send(
        self,
        user_id: int,
        content: dict[str, Any],
        *,
        chat_id: int | None = None,
        bot_id: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> StoredMessage:
        """A person posts ``content`` in a chat; private chat with the bot when chat_id is None."""
        user = self.user(user_id)
        if chat_id is None or chat_id > 0:
            if chat_id is not None and chat_id != user.id:
                raise ValueError("a user can only write to the bot in their own private chat")
            bot = self.bot(bot_id)
            chat = self._open_private_chat(bot, user)
            if user.id in bot.blocked_by:
                # Writing to a bot you blocked is the app's "Restart" button: it unblocks first.
                self.unblock_bot(user.id, bot.id)
        else:
            chat = self.group(chat_id)
            if not chat.is_present(user.id):
                raise ValueError(f"user {user.id} is not a member of chat {chat.id}")
        data: dict[str, Any] = {
            "message_id": chat.allocate_message_id(),
            "from": user.to_api(),
            "chat": chat.to_api(),
            "date": self.now(),
        }
        if reply_to_message_id is not None:
            replied = chat.messages.get(reply_to_message_id)
            if replied is None or replied.deleted:
                raise NotFoundError(f"no message {reply_to_message_id} in chat {chat.id}")
            data["reply_to_message"] = reply_snapshot(replied)
        data.update(content)
        stored = chat.add_message(StoredMessage(data, None, sender_id=user.id, sent_by_bot=False))
        self._deliver(chat, stored)
        return stored

    def user_send_text(self, user_id: int, text: str, **where: Any) -> StoredMessage:
        if not text.strip():
            raise ValueError("text must not be empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise ValueError(f"text is longer than {MAX_TEXT_LENGTH} characters")
        content: dict[str, Any] = {"text": text}
        entities = detect_entities(text)
        if entities:
            content["entities"] = entities
        return self.user_send(user_id, content, **where)

    def user_send_photo(
        self,
        user_id: int,
        data: bytes,
        *,
        caption: str | None = None,
        media_group_id: str | None = None,
        file_name: str | None = None,
        **where: Any,
    ) -> StoredMessage:
        if not data:
            raise ValueError("photo data must not be empty")
        stored = self.files.add(data, "photo", file_name=file_name)
        content: dict[str, Any] = {"photo": stored.as_photo()}
        if media_group_id:
            content["media_group_id"] = str(media_group_id)
        content.update(_caption(caption))
        return self.user_send(user_id, content, **where)

    def user_send_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        **where: Any,
    ) -> StoredMessage:
        if not data:
            raise ValueError("document data must not be empty")
        stored = self.files.add(data, "document", file_name=file_name, mime_type=mime_type)
        content: dict[str, Any] = {"document": stored.as_document()}
        content.update(_caption(caption))
        return self.user_send(user_id, content, **where)

    def user_send_sticker(
        self, user_id: int, *, emoji: str | None = "👍", data: bytes | None = None, **where: Any
    ) -> StoredMessage:
        stored = self.files.add(data or _STICKER_PLACEHOLDER, "sticker")
        return self.user_send(user_id, {"sticker": stored.as_sticker(emoji)}, **where)

    def press_button(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        callback_data: str,
        bot_id: int | None = None,
        *,
        check_button: bool = True,
    ) -> dict[str, Any]:
        """A person presses an inline button; the bot that sent the message gets callback_query.

        ``check_button=False`` sends data the message has no button for, as a modified
        client or a stale keyboard can; the bot must cope with that too.
        """
        user = self.user(user_id)
        chat = self.chat(chat_id, bot_id)
        if not chat.is_present(user.id):
            raise ValueError(f"user {user.id} can't see chat {chat.id}")
        stored = chat.messages.get(message_id)
        if stored is None or stored.deleted:
            raise NotFoundError(f"no message {message_id} in chat {chat.id}")
        if not stored.sent_by_bot or (
            check_button and not has_callback_button(stored.data.get("reply_markup"), callback_data)
        ):
            raise ValueError(
                f"message {message_id} has no inline button with callback_data {callback_data!r}"
            )
        bot = self.bots[stored.sender_id]
        query_id = str(4_200_000_000_000_000_000 + next(self._callback_ids))
        query = {
            "id": query_id,
            "from": user.to_api(),
            "message": stored.data,
            "chat_instance": chat.instance,
            "data": callback_data,
        }
        self.callbacks[query_id] = CallbackRecord(
            query=query,
            bot_id=bot.id,
            chat_id=chat.id,
            message_id=message_id,
            created_at=self.clock(),
        )
        self._enqueue(bot, "callback_query", query)
        return query

    def block_bot(self, user_id: int, bot_id: int | None = None) -> None:
        user = self.user(user_id)
        bot = self.bot(bot_id)
        if user.id in bot.blocked_by:
            return
        bot.blocked_by.add(user.id)
        chat = self._private.get((bot.id, user.id))
        if chat is not None:
            self._notify_my_chat_member(bot, chat, user, "member", "kicked")

    def unblock_bot(self, user_id: int, bot_id: int | None = None) -> None:
        user = self.user(user_id)
        bot = self.bot(bot_id)
        if user.id not in bot.blocked_by:
            return
        bot.blocked_by.discard(user.id)
        chat = self._private.get((bot.id, user.id))
        if chat is not None:
            self._notify_my_chat_member(bot, chat, user, "kicked", "member")

    # -------------------------------------------------------------- delivery

    def _deliver(self, chat: Chat, stored: StoredMessage) -> None:
        if chat.private_user is not None:
            assert chat.bot_id is not None
            if not stored.sent_by_bot:
                self._enqueue(self.bots[chat.bot_id], "message", stored.data)
            return
        for bot in self._bots_in(chat):
            if bot.id != stored.sender_id and self._bot_sees(bot, chat, stored):
                self._enqueue(bot, "message", stored.data)

    def _bot_sees(self, bot: BotAccount, chat: Chat, stored: StoredMessage) -> bool:
        """Privacy mode: which group messages a bot receives."""
        data = stored.data
        if SERVICE_FIELDS.intersection(data):
            return True
        if stored.sent_by_bot:
            return False  # bots never see other bots' messages
        if bot.can_read_all_group_messages or chat.status_of(bot.id) in ADMIN_STATUSES:
            return True
        replied = data.get("reply_to_message")
        if replied and replied.get("from", {}).get("id") == bot.id:
            return True
        text = data.get("text") or data.get("caption") or ""
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            _, _, addressee = command.partition("@")
            return not addressee or addressee.lower() == bot.username.lower()
        return False

    def _enqueue(self, bot: BotAccount, kind: str, payload: dict[str, Any]) -> None:
        if bot.accepts(kind):
            bot.updates.push(kind, payload)
            self.stats.updates_created += 1

    # ------------------------------------------------------- bot-side access

    def chat_for_bot(self, bot: BotAccount, chat_id: int | str, *, sending: bool) -> Chat:
        """The chat a bot addresses, or the ApiError Telegram would answer with."""
        if isinstance(chat_id, str):
            chat = self._groups_by_username.get(chat_id.strip().lstrip("@").lower())
            if chat is None:
                raise bad_request(CHAT_NOT_FOUND)
            return self._group_for_bot(bot, chat)
        if chat_id > 0:
            if chat_id not in self.users:
                raise bad_request(CHAT_NOT_FOUND)
            if sending and chat_id in bot.blocked_by:
                raise forbidden(BLOCKED_BY_USER)
            chat = self._private.get((bot.id, chat_id))
            if chat is None:
                if sending:
                    raise forbidden(CANT_INITIATE)
                raise bad_request(CHAT_NOT_FOUND)
            return chat
        group = self.groups.get(chat_id)
        if group is None:
            raise bad_request(CHAT_NOT_FOUND)
        return self._group_for_bot(bot, group)

    @staticmethod
    def _group_for_bot(bot: BotAccount, chat: Chat) -> Chat:
        status = chat.status_of(bot.id)
        if status == "kicked":
            raise forbidden(f"bot was kicked from the {chat.type} chat")
        if not chat.is_present(bot.id):
            raise forbidden(f"bot is not a member of the {chat.type} chat")
        return chat

    def post_bot_message(
        self,
        bot: BotAccount,
        chat: Chat,
        content: dict[str, Any],
        reply_markup: dict[str, Any] | None = None,
        reply_to: StoredMessage | None = None,
    ) -> StoredMessage:
        data: dict[str, Any] = {
            "message_id": chat.allocate_message_id(),
            "from": bot.user.to_api(),
            "chat": chat.to_api(),
            "date": self.now(),
        }
        if reply_to is not None:
            data["reply_to_message"] = reply_snapshot(reply_to)
        data.update(content)
        if reply_markup is not None and "inline_keyboard" in reply_markup:
            data["reply_markup"] = reply_markup
        stored = chat.add_message(
            StoredMessage(data, reply_markup, sender_id=bot.id, sent_by_bot=True)
        )
        self.stats.record_send(chat.id, self.clock())
        self._deliver(chat, stored)
        return stored

    def leave_chat(self, bot: BotAccount, chat: Chat) -> None:
        self._set_status(chat, bot.user, bot.user, "left")
        self._service_message(chat, bot.user, {"left_chat_member": bot.user.to_api()})


def reply_snapshot(message: StoredMessage) -> dict[str, Any]:
    """A replied-to message as embedded in a reply: Telegram nests only one level."""
    snapshot = dict(message.data)
    snapshot.pop("reply_to_message", None)
    return snapshot


def _caption(caption: str | None) -> dict[str, Any]:
    if not caption:
        return {}
    if len(caption) > MAX_CAPTION_LENGTH:
        raise ValueError(f"caption is longer than {MAX_CAPTION_LENGTH} characters")
    content: dict[str, Any] = {"caption": caption}
    entities = detect_entities(caption)
    if entities:
        content["caption_entities"] = entities
    return content
