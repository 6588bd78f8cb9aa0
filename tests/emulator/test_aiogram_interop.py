"""An unmodified aiogram Bot and a raw HTTP client sharing one emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandStart
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from emulator import EmulatorClient, EmulatorServer

from .conftest import RawApi

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="已读", callback_data="read:42")]]
)


def aiogram_bot(emu: EmulatorServer, token: str | None = None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emu.url))
    return Bot(token or emu.token, session=session)


@pytest.fixture
async def bot(emu: EmulatorServer) -> AsyncIterator[Bot]:
    instance = aiogram_bot(emu)
    yield instance
    await instance.session.close()


async def test_aiogram_and_raw_http_share_one_emulator(
    bot: Bot, api: RawApi, client: EmulatorClient
) -> None:
    parent = await client.create_user("李家长", username="li_parent")
    await client.send_text(parent["id"], "/start child_42")

    # The raw client sees the deep link exactly as Telegram would deliver it.
    [start] = await api.ok("getUpdates")
    assert start["message"]["text"] == "/start child_42"
    assert start["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]

    sent = await bot.send_message(
        parent["id"], "<b>放学通知</b>：请确认", parse_mode="HTML", reply_markup=KEYBOARD
    )
    assert sent.text == "放学通知：请确认"
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "read:42"
    assert sent.from_user is not None and sent.from_user.id == bot.id

    query = await client.press_button(parent["id"], parent["id"], sent.message_id, "read:42")
    updates = await bot.get_updates(offset=start["update_id"] + 1, timeout=2)
    [update] = updates
    assert update.callback_query is not None
    callback = update.callback_query
    assert (callback.id, callback.data, callback.from_user.id) == (
        query["id"],
        "read:42",
        parent["id"],
    )
    assert isinstance(callback.message, Message)
    assert callback.message.message_id == sent.message_id

    assert await bot.answer_callback_query(callback.id, text="已确认") is True
    edited = await bot.edit_message_text(
        "放学通知：已确认 ✅", chat_id=parent["id"], message_id=sent.message_id
    )
    assert isinstance(edited, Message) and edited.edit_date is not None

    record = await client.callback_answer(query["id"])
    assert record["answer"]["text"] == "已确认"
    [stored] = await client.bot_messages(parent["id"])
    assert stored["text"] == "放学通知：已确认 ✅"
    assert stored["edits"][0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "read:42"
    # The raw client confirms that aiogram consumed the callback update.
    assert await api.ok("getUpdates", {"offset": update.update_id + 1}) == []


async def test_aiogram_exceptions_map_from_emulator_errors(
    bot: Bot, emu: EmulatorServer, client: EmulatorClient
) -> None:
    parent = await client.create_user("Ming")
    stranger = await client.create_user("Stranger")
    await client.send_text(parent["id"], "/start")

    await client.set_flood(enabled=True, private_limit=1, private_window=5.0)
    await bot.send_message(parent["id"], "first")
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(parent["id"], "second")
    assert retry.value.retry_after == 5
    await client.set_flood(enabled=False)

    with pytest.raises(TelegramForbiddenError, match="can't initiate"):
        await bot.send_message(stranger["id"], "hi")
    await client.block(parent["id"])
    with pytest.raises(TelegramForbiddenError, match="blocked by the user"):
        await bot.send_message(parent["id"], "hi")
    await client.unblock(parent["id"])

    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(parent["id"], "长" * 4097)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(
            parent["id"],
            "x",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="b", callback_data="安" * 22)]]
            ),
        )

    impostor = aiogram_bot(emu, token="42:unknown-token")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await impostor.get_me()
    finally:
        await impostor.session.close()

    await client.add_fault("status", "sendMessage", status=502, times=1)
    with pytest.raises(TelegramServerError):
        await bot.send_message(parent["id"], "x")
    await client.add_fault("drop", "sendMessage", times=1)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(parent["id"], "x")

    await bot.set_webhook("http://127.0.0.1:9/hook")
    with pytest.raises(TelegramConflictError):
        await bot.get_updates()
    await bot.delete_webhook()


async def test_aiogram_uploads_and_downloads_files(bot: Bot, client: EmulatorClient) -> None:
    parent = await client.create_user("Zhao")
    await client.send_text(parent["id"], "/start")
    report = "日期,班级,人数\n2024-05-01,一(2),41\n".encode()
    sent = await bot.send_document(
        parent["id"], BufferedInputFile(report, filename="日报.csv"), caption="今日报表"
    )
    assert sent.document is not None and sent.document.file_name == "日报.csv"
    downloaded = await bot.download(sent.document.file_id)
    assert downloaded is not None and downloaded.read() == report
    with pytest.raises(TelegramBadRequest):
        await bot.get_file("missing")


async def test_aiogram_dispatcher_polling_end_to_end(
    emu: EmulatorServer, client: EmulatorClient
) -> None:
    dispatcher = Dispatcher()

    @dispatcher.message(CommandStart())
    async def on_start(message: Message) -> None:
        await message.answer("欢迎使用安全助手", reply_markup=KEYBOARD)

    @dispatcher.callback_query(F.data == "read:42")
    async def on_read(callback: CallbackQuery) -> None:
        await callback.answer("收到")
        if isinstance(callback.message, Message):
            await callback.message.edit_text("已读")

    polling_bot = aiogram_bot(emu)
    polling = asyncio.create_task(
        dispatcher.start_polling(polling_bot, polling_timeout=1, handle_signals=False)
    )
    try:
        parent = await client.create_user("Qian")
        await client.send_text(parent["id"], "/start")
        [welcome] = await client.wait_for_messages(parent["id"], 1, timeout=5)
        assert welcome["text"] == "欢迎使用安全助手"
        query = await client.press_button(
            parent["id"], parent["id"], welcome["message_id"], "read:42"
        )
        answer = await client.wait_for_callback_answer(query["id"], timeout=5)
        assert answer["answer"]["text"] == "收到"
        for _ in range(100):
            [message] = await client.bot_messages(parent["id"])
            if message["text"] == "已读":
                break
            await asyncio.sleep(0.02)
        assert message["text"] == "已读" and len(message["edits"]) == 1
    finally:
        await dispatcher.stop_polling()
        await asyncio.wait_for(polling, 5)
        await polling_bot.session.close()
