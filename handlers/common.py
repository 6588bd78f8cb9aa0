"""Small helpers every router uses: role checks with a polite refusal, the actor's language."""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import TYPE_CHECKING, TypedDict

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import CallbackQuery, Message

from bot.core.i18n import t
from bot.core.text import clean_text
from scheduler.actors import Person, has_role
from scheduler.routine import Context

if TYPE_CHECKING:
    from scheduler.app import App
    from scheduler.calendar import SchoolCalendar

ADMIN = ("admin",)
# Commands keep working in the middle of a conversation (/cancel, /duty, /help …).
NOT_COMMAND = ~F.text.startswith("/")
_ALBUMS_ANSWERED: OrderedDict[str, None] = OrderedDict()
LEADERS = ("admin", "duty_leader")
MAX_TEXT = 4000
# An id typed after a command: at most 9 digits, so a forged one is simply not found instead
# of overflowing a database integer (PostgreSQL's is 32-bit). A button's id is read by the
# callback codec (bot/core/callbacks.py), with the same limit.
_ID_TYPED = re.compile(r"#?([0-9]{1,9})")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def ctx_of(app: App) -> Context:
    """The school as the services take it (the same as its engine's ``ctx``)."""
    return Context(app.school_id, app.settings.school.language, app.tz)


def first_of_album(media_group_id: str | None) -> bool:
    """An album arrives as several messages: it gets one answer (per process, bounded)."""
    if media_group_id is None:
        return True
    if media_group_id in _ALBUMS_ANSWERED:
        return False
    _ALBUMS_ANSWERED[media_group_id] = None
    while len(_ALBUMS_ANSWERED) > 1000:
        _ALBUMS_ANSWERED.popitem(last=False)
    return True


async def school_calendar(app: App) -> SchoolCalendar:
    """The school's calendar (admins' /calendar days included): every command that reads a
    date passes it, so 本学期, 开学第三天 and 下个上学日 mean this school's."""
    assert app.ticker is not None
    return await app.ticker.calendar()


async def refuse_unless(
    event: Message | CallbackQuery, actor: Person | None, lang: str, *roles: str
) -> bool:
    """True when the actor has one of the roles; otherwise answers why not and returns False."""
    if has_role(actor, *roles):
        return True
    chat = (
        event.message.chat
        if isinstance(event, CallbackQuery) and event.message
        else (event.chat if isinstance(event, Message) else None)
    )
    if actor is None and chat is not None and chat.type != "private":
        return False  # a stranger in some group: answering would only add noise there
    key = "common.unknown_user" if actor is None else "common.not_allowed"
    text = t(lang, key)
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    else:
        await event.answer(text)
    return False


def display_name(first: str | None, last: str | None, username: str | None) -> str:
    """A Telegram name as the bot keeps it (control characters dropped: see bot.core.text)."""
    name = clean_text(" ".join(part for part in (first, last) if part)).strip()
    return name or (username or "?")


def parse_id(text: str) -> int | None:
    """A number typed after a command (12, #12, １２); None for anything else (², 10 digits)."""
    found = _ID_TYPED.fullmatch(text.strip().translate(_FULL_WIDTH_DIGITS))
    return int(found.group(1)) if found else None


class PressedAt(TypedDict):
    """Where a button was pressed, as a service keeps it with the press."""

    tg_chat_id: int | None
    tg_message_id: int | None


def pressed_message(query: CallbackQuery) -> Message | None:
    """The message whose button was pressed, when the bot can still edit it."""
    return query.message if isinstance(query.message, Message) else None


def pressed_at(message: Message | None) -> PressedAt:
    return PressedAt(
        tg_chat_id=message.chat.id if message else None,
        tg_message_id=message.message_id if message else None,
    )


async def draft_id(state: FSMContext, field: str) -> int:
    """The id of the draft a conversation is filling in (0: none)."""
    return int(str((await state.get_data()).get(field, 0)))


async def off_step(
    query: CallbackQuery,
    state: FSMContext,
    step: State,
    field: str,
    pressed_id: int,
    lang: str,
    keys: str,
) -> AnswerCallbackQuery | None:
    """A conversation's button counts only at its own step of its own draft (the ``field``
    of the conversation's data): otherwise the answer that says why, ``<keys>.draft_gone``
    or ``<keys>.step_passed``."""
    if await draft_id(state, field) != pressed_id:
        return query.answer(t(lang, f"{keys}.draft_gone"), show_alert=True)
    if await state.get_state() != step.state:
        return query.answer(t(lang, f"{keys}.step_passed"), show_alert=True)
    return None
