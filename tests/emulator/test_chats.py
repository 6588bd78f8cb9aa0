"""Who the bot may write to, groups and membership updates, privacy mode, blocking."""

from __future__ import annotations

from typing import Any

import pytest

from emulator import EmulatorClient, EmulatorError, EmulatorServer

from .conftest import RawApi


async def updates_of(api: RawApi) -> list[dict[str, Any]]:
    """All pending updates, confirmed so the next call starts fresh."""
    updates: list[dict[str, Any]] = await api.ok("getUpdates")
    if updates:
        await api.ok("getUpdates", {"offset": updates[-1]["update_id"] + 1})
    return updates


def kinds(updates: list[dict[str, Any]]) -> list[str]:
    return [next(key for key in update if key != "update_id") for update in updates]


async def test_send_refusals_use_telegram_wording(api: RawApi, client: EmulatorClient) -> None:
    stranger = await client.create_user("Stranger")
    status, body = await api.json("sendMessage", {"chat_id": stranger["id"], "text": "hi"})
    assert (status, body["description"]) == (
        403,
        "Forbidden: bot can't initiate conversation with a user",
    )
    status, body = await api.json("sendMessage", {"chat_id": 987654321987, "text": "hi"})
    assert (status, body["description"]) == (400, "Bad Request: chat not found")
    group = await client.create_group("三年级二班", member_ids=[stranger["id"]])
    status, body = await api.json("sendMessage", {"chat_id": group["id"], "text": "hi"})
    assert (status, body["description"]) == (
        403,
        "Forbidden: bot is not a member of the group chat",
    )


async def test_blocking_and_restarting_the_bot(api: RawApi, client: EmulatorClient) -> None:
    user = await client.create_user("Pia")
    await client.send_text(user["id"], "/start")
    await client.block(user["id"])
    status, body = await api.json("sendMessage", {"chat_id": user["id"], "text": "hi"})
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")
    await client.send_text(user["id"], "/start")  # the app's "Restart" unblocks
    assert (await api.json("sendMessage", {"chat_id": user["id"], "text": "hi"}))[0] == 200
    updates = await updates_of(api)
    assert kinds(updates) == ["message", "my_chat_member", "my_chat_member", "message"]
    statuses = [
        (
            u["my_chat_member"]["old_chat_member"]["status"],
            u["my_chat_member"]["new_chat_member"]["status"],
        )
        for u in updates
        if "my_chat_member" in u
    ]
    assert statuses == [("member", "kicked"), ("kicked", "member")]


async def test_adding_the_bot_to_a_group(
    api: RawApi, client: EmulatorClient, emu: EmulatorServer
) -> None:
    teacher = await client.create_user("王老师")
    parent = await client.create_user("家长")
    group = await client.create_group(
        "一年级", type="supergroup", member_ids=[teacher["id"], parent["id"]]
    )
    assert group["id"] < -1_000_000_000_000 and group["type"] == "supergroup"
    service = await client.add_bot(group["id"], by_user_id=teacher["id"])
    assert service["new_chat_members"][0]["id"] == emu.world.bot().id

    updates = await updates_of(api)
    assert kinds(updates) == ["my_chat_member", "message"]
    change = updates[0]["my_chat_member"]
    assert change["from"]["id"] == teacher["id"]
    assert (change["old_chat_member"]["status"], change["new_chat_member"]["status"]) == (
        "left",
        "member",
    )
    assert updates[1]["message"]["new_chat_members"][0]["is_bot"] is True

    members = await api.ok("getChatMemberCount", {"chat_id": group["id"]})
    assert members == 3
    admins = await api.ok("getChatAdministrators", {"chat_id": group["id"]})
    assert [(a["user"]["id"], a["status"]) for a in admins] == [(teacher["id"], "creator")]
    member = await api.ok("getChatMember", {"chat_id": group["id"], "user_id": parent["id"]})
    assert member["status"] == "member"
    chat = await api.ok("getChat", {"chat_id": group["id"]})
    assert chat["title"] == "一年级"
    sent = await api.ok("sendMessage", {"chat_id": group["id"], "text": "大家好"})
    assert sent["chat"]["type"] == "supergroup"


async def test_privacy_mode_decides_which_group_messages_the_bot_sees(
    api: RawApi, client: EmulatorClient, emu: EmulatorServer
) -> None:
    teacher = await client.create_user("Teacher")
    group = await client.create_group("Class", member_ids=[teacher["id"]])
    await client.add_bot(group["id"], by_user_id=teacher["id"])
    await updates_of(api)
    bot_name = emu.world.bot().username
    chat = {"chat_id": group["id"]}
    await client.send_text(teacher["id"], "just chatting", **chat)
    await client.send_text(teacher["id"], "/report", **chat)
    await client.send_text(teacher["id"], f"/report@{bot_name} now", **chat)
    await client.send_text(teacher["id"], "/report@some_other_bot", **chat)
    bot_message = await api.ok("sendMessage", {**chat, "text": "请回复"})
    await client.send_text(
        teacher["id"], "a reply", reply_to_message_id=bot_message["message_id"], **chat
    )
    seen = [u["message"]["text"] for u in await updates_of(api)]
    assert seen == ["/report", f"/report@{bot_name} now", "a reply"]

    await client.set_can_read_all_group_messages(True)
    assert (await api.ok("getMe"))["can_read_all_group_messages"] is True
    await client.send_text(teacher["id"], "now everything", **chat)
    assert [u["message"]["text"] for u in await updates_of(api)] == ["now everything"]


async def test_removing_members_and_leaving(
    api: RawApi, client: EmulatorClient, emu: EmulatorServer
) -> None:
    owner = await client.create_user("Owner")
    guest = await client.create_user("Guest")
    group = await client.create_group("G", member_ids=[owner["id"]])
    await client.add_bot(group["id"], by_user_id=owner["id"])
    await client.add_members(group["id"], [guest["id"]], by_user_id=owner["id"])
    await client.remove_member(group["id"], guest["id"], by_user_id=owner["id"])
    updates = await updates_of(api)
    assert updates[-2]["message"]["new_chat_members"][0]["id"] == guest["id"]
    assert updates[-1]["message"]["left_chat_member"]["id"] == guest["id"]
    member = await api.ok("getChatMember", {"chat_id": group["id"], "user_id": guest["id"]})
    assert member["status"] == "kicked"

    assert await api.ok("leaveChat", {"chat_id": group["id"]}) is True
    [left] = await updates_of(api)
    assert left["my_chat_member"]["new_chat_member"]["status"] == "left"
    status, body = await api.json("sendMessage", {"chat_id": group["id"], "text": "x"})
    assert status == 403
    with pytest.raises(EmulatorError) as caught:
        await client.send_text(guest["id"], "let me in", chat_id=group["id"])
    assert caught.value.status == 400


async def test_kicked_bot_and_admin_rights(
    api: RawApi, client: EmulatorClient, emu: EmulatorServer
) -> None:
    owner = await client.create_user("Owner")
    group = await client.create_group("G", member_ids=[owner["id"]])
    await client.add_bot(group["id"], by_user_id=owner["id"], as_admin=True)
    admins = await api.ok("getChatAdministrators", {"chat_id": group["id"]})
    assert {a["status"] for a in admins} == {"creator", "administrator"}
    await client.remove_member(group["id"], emu.world.bot().id, by_user_id=owner["id"])
    status, body = await api.json("sendMessage", {"chat_id": group["id"], "text": "x"})
    assert (status, body["description"]) == (403, "Forbidden: bot was kicked from the group chat")


async def test_bots_that_cannot_join_groups(client: EmulatorClient, emu: EmulatorServer) -> None:
    owner = await client.create_user("Owner")
    group = await client.create_group("G", member_ids=[owner["id"]])
    await client.update_bot(emu.world.bot().id, can_join_groups=False)
    with pytest.raises(EmulatorError, match="can_join_groups"):
        await client.add_bot(group["id"], by_user_id=owner["id"])
