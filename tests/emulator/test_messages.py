"""Message lifecycle: markup, edits with history, deletion, replies, copies, commands, callbacks."""

from __future__ import annotations

from typing import Any

import pytest

from emulator import EmulatorClient, EmulatorError

from .conftest import RawApi

BUTTONS = {"inline_keyboard": [[{"text": "已读", "callback_data": "ack:1"}]]}


async def send(api: RawApi, chat_id: int, text: str, **extra: Any) -> dict[str, Any]:
    message: dict[str, Any] = await api.ok(
        "sendMessage", {"chat_id": chat_id, "text": text, **extra}
    )
    return message


async def test_bot_messages_get_increasing_ids_and_the_bot_as_sender(
    api: RawApi, client: EmulatorClient, alice: dict[str, Any]
) -> None:
    first = await send(api, alice["id"], "one")
    second = await send(api, alice["id"], "two")
    # Message ids are per chat and shared with the user's messages (/start was 1).
    assert (first["message_id"], second["message_id"]) == (2, 3)
    me = await api.ok("getMe")
    assert first["from"]["id"] == me["id"] and first["from"]["is_bot"] is True
    assert [m["text"] for m in await client.bot_messages(alice["id"])] == ["one", "two"]
    assert [m["text"] for m in await client.chat_messages(alice["id"])] == ["/start", "one", "two"]


async def test_reply_keyboards_are_kept_for_tests_but_not_echoed(
    api: RawApi, client: EmulatorClient, alice: dict[str, Any]
) -> None:
    keyboard = {"keyboard": [["上报", {"text": "请假"}]], "resize_keyboard": True}
    message = await send(api, alice["id"], "menu", reply_markup=keyboard)
    assert "reply_markup" not in message  # Telegram only echoes inline keyboards
    [stored] = await client.bot_messages(alice["id"])
    assert stored["reply_markup"] == keyboard
    removed = await send(api, alice["id"], "bye", reply_markup={"remove_keyboard": True})
    assert "reply_markup" not in removed


async def test_edits_update_the_message_and_keep_history(
    api: RawApi, client: EmulatorClient, alice: dict[str, Any]
) -> None:
    message = await send(api, alice["id"], "v1", reply_markup=BUTTONS)
    where = {"chat_id": alice["id"], "message_id": message["message_id"]}
    edited = await api.ok("editMessageText", {**where, "text": "v2", "reply_markup": BUTTONS})
    assert edited["text"] == "v2" and edited["reply_markup"] == BUTTONS
    assert "edit_date" in edited

    status, body = await api.json(
        "editMessageText", {**where, "text": "v2", "reply_markup": BUTTONS}
    )
    assert status == 400
    assert body["description"].startswith("Bad Request: message is not modified")

    # Editing the text without passing reply_markup removes the keyboard, as in Telegram.
    edited = await api.ok("editMessageText", {**where, "text": "v3"})
    assert "reply_markup" not in edited
    restored = await api.ok("editMessageReplyMarkup", {**where, "reply_markup": BUTTONS})
    assert restored["reply_markup"] == BUTTONS

    [stored] = await client.bot_messages(alice["id"])
    assert stored["text"] == "v3" and stored["reply_markup"] == BUTTONS
    assert [version["text"] for version in stored["edits"]] == ["v1", "v2", "v3"]
    assert stored["edits"][0]["reply_markup"] == BUTTONS


async def test_edit_refusals(api: RawApi, client: EmulatorClient, alice: dict[str, Any]) -> None:
    status, body = await api.json(
        "editMessageText", {"chat_id": alice["id"], "message_id": 999, "text": "x"}
    )
    assert (status, body["description"]) == (400, "Bad Request: message to edit not found")
    status, body = await api.json(
        "editMessageText", {"chat_id": alice["id"], "message_id": 1, "text": "x"}
    )  # message 1 is Alice's /start
    assert (status, body["description"]) == (400, "Bad Request: message can't be edited")
    text = await send(api, alice["id"], "text only")
    status, body = await api.json(
        "editMessageCaption",
        {"chat_id": alice["id"], "message_id": text["message_id"], "caption": "c"},
    )
    assert (status, body["description"]) == (
        400,
        "Bad Request: there is no caption in the message to edit",
    )
    status, body = await api.json(
        "editMessageText",
        {
            "chat_id": alice["id"],
            "message_id": text["message_id"],
            "text": "x",
            "reply_markup": {"keyboard": [["a"]]},
        },
    )
    assert status == 400  # edits only take inline keyboards


async def test_delete_message(api: RawApi, client: EmulatorClient, alice: dict[str, Any]) -> None:
    message = await send(api, alice["id"], "oops")
    where = {"chat_id": alice["id"], "message_id": message["message_id"]}
    assert await api.ok("deleteMessage", where) is True
    status, body = await api.json("deleteMessage", where)
    assert (status, body["description"]) == (400, "Bad Request: message to delete not found")
    [stored] = await client.bot_messages(alice["id"])
    assert stored["deleted"] is True
    status, _ = await api.json("editMessageText", {**where, "text": "x"})
    assert status == 400


async def test_replies_copies_and_forwards(
    api: RawApi, client: EmulatorClient, alice: dict[str, Any]
) -> None:
    question = await client.send_text(alice["id"], "今天几点放学？")
    reply = await send(
        api, alice["id"], "16:30", reply_parameters={"message_id": question["message_id"]}
    )
    assert reply["reply_to_message"]["text"] == "今天几点放学？"
    legacy = await send(api, alice["id"], "ok", reply_to_message_id=question["message_id"])
    assert legacy["reply_to_message"]["message_id"] == question["message_id"]
    status, body = await api.json(
        "sendMessage",
        {"chat_id": alice["id"], "text": "x", "reply_parameters": {"message_id": 999}},
    )
    assert (status, body["description"]) == (400, "Bad Request: message to be replied not found")

    copy = await api.ok(
        "copyMessage",
        {"chat_id": alice["id"], "from_chat_id": alice["id"], "message_id": question["message_id"]},
    )
    forward = await api.ok(
        "forwardMessage",
        {"chat_id": alice["id"], "from_chat_id": alice["id"], "message_id": question["message_id"]},
    )
    assert set(copy) == {"message_id"}
    assert forward["forward_origin"]["sender_user"]["id"] == alice["id"]
    copied = (await client.bot_messages(alice["id"]))[-2]
    assert copied["message_id"] == copy["message_id"] and copied["text"] == "今天几点放学？"


async def test_user_reply_to_a_bot_message(
    api: RawApi, client: EmulatorClient, alice: dict[str, Any]
) -> None:
    prompt = await send(api, alice["id"], "请上传照片", reply_markup={"force_reply": True})
    answer = await client.send_text(alice["id"], "收到", reply_to_message_id=prompt["message_id"])
    assert answer["reply_to_message"]["text"] == "请上传照片"
    with pytest.raises(EmulatorError) as caught:
        await client.send_text(alice["id"], "x", reply_to_message_id=12345)
    assert caught.value.status == 404


async def test_commands_per_scope_and_language(api: RawApi, client: EmulatorClient) -> None:
    commands = [
        {"command": "start", "description": "开始"},
        {"command": "report", "description": "上报"},
    ]
    assert await api.ok("setMyCommands", {"commands": commands}) is True
    admin_scope = {"type": "all_chat_administrators"}
    await api.ok(
        "setMyCommands", {"commands": commands[:1], "scope": admin_scope, "language_code": "zh"}
    )
    assert await api.ok("getMyCommands") == commands
    assert (
        await api.ok("getMyCommands", {"scope": admin_scope, "language_code": "zh"}) == commands[:1]
    )
    registered = await client.commands()
    assert {(r["scope"]["type"], r["language_code"]) for r in registered} == {
        ("default", ""),
        ("all_chat_administrators", "zh"),
    }
    status, body = await api.json(
        "setMyCommands", {"commands": [{"command": "Start", "description": "x"}]}
    )
    assert (status, body["description"]) == (400, "Bad Request: BOT_COMMAND_INVALID")
    assert await api.ok("deleteMyCommands") is True
    assert await api.ok("getMyCommands") == []


async def test_callback_queries_and_answers(
    api: RawApi, client: EmulatorClient, alice: dict[str, Any]
) -> None:
    message = await send(api, alice["id"], "确认？", reply_markup=BUTTONS)
    with pytest.raises(EmulatorError) as caught:
        await client.press_button(alice["id"], alice["id"], message["message_id"], "ack:2")
    assert caught.value.status == 400  # no such button

    query = await client.press_button(alice["id"], alice["id"], message["message_id"], "ack:1")
    updates = await api.ok("getUpdates", {"allowed_updates": []})
    delivered = updates[-1]["callback_query"]
    assert delivered["id"] == query["id"]
    assert delivered["data"] == "ack:1"
    assert delivered["message"]["message_id"] == message["message_id"]

    params = {"callback_query_id": query["id"], "text": "已确认", "show_alert": True}
    assert await api.ok("answerCallbackQuery", params) is True
    record = await client.callback_answer(query["id"])
    assert record["answered"] is True
    assert record["answer"]["text"] == "已确认" and record["answer"]["show_alert"] is True
    status, body = await api.json("answerCallbackQuery", params)  # only once
    assert status == 400 and "query is too old" in body["description"]
    assert [r["id"] for r in await client.callback_answers(alice["id"])] == [query["id"]]

    # A stale or tampered client can still send data the keyboard does not have.
    forged = await client.press_button(
        alice["id"], alice["id"], message["message_id"], "ack:999", check_button=False
    )
    [update] = await api.ok("getUpdates", {"offset": updates[-1]["update_id"] + 1})
    assert update["callback_query"]["id"] == forged["id"]
    assert update["callback_query"]["data"] == "ack:999"


async def test_chat_action_and_menu_button(api: RawApi, alice: dict[str, Any]) -> None:
    assert await api.ok("sendChatAction", {"chat_id": alice["id"], "action": "typing"}) is True
    status, _ = await api.json("sendChatAction", {"chat_id": alice["id"], "action": "dancing"})
    assert status == 400
    assert await api.ok("setChatMenuButton", {"menu_button": {"type": "commands"}}) is True
    assert await api.ok("getChatMenuButton") == {"type": "commands"}
