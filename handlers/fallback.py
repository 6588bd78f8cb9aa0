"""The last router: whatever nobody else handled gets a polite answer, and nothing changes."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.core.i18n import t
from handlers.common import MAX_TEXT
from scheduler import inbox
from scheduler.actors import Person
from scheduler.app import App

router = Router(name="fallback")


@router.message(F.text.startswith("/"))
async def unknown_command(message: Message, actor: Person | None, lang: str) -> None:
    if message.chat.type != "private" and actor is None:
        return  # strangers' commands in groups the bot happens to be in: stay quiet
    await message.answer(
        t(lang, "common.unknown_user" if actor is None else "common.unknown_command")
    )


@router.message(F.chat.type == "private")
async def anything_else(message: Message, app: App, actor: Person | None, lang: str) -> None:
    if actor is None:
        await message.answer(t(lang, "common.unknown_user"))
        return
    if message.text:
        # Nothing a registered person wrote is lost, even when no routine understood it.
        await inbox.keep_text(
            app.sessions,
            app.school_id,
            actor,
            message.text,
            app.now(),
            tg_chat_id=message.chat.id,
            tg_message_id=message.message_id,
        )
    if message.text and len(message.text) > MAX_TEXT:
        await message.answer(t(lang, "common.too_long", limit=MAX_TEXT))
    else:
        await message.answer(t(lang, "common.not_understood"))


@router.callback_query()
async def stale_button(query: CallbackQuery, lang: str) -> None:
    """An old button nobody handles any more, or forged data (an id too long to be ours)."""
    await query.answer(t(lang, "common.stale_button"), show_alert=True)
