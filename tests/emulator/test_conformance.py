"""Everything the emulator returns must be a valid instance of the type the spec promises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emulator import EmulatorClient, EmulatorServer
from emulator.spec import ApiSpec

from .conftest import RawApi

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x08\x00\x00\x00\x08\x08\x02\x00\x00\x00"


async def test_results_and_updates_match_the_spec(
    spec_path: Path, emu: EmulatorServer, api: RawApi, client: EmulatorClient
) -> None:
    spec = ApiSpec.load(spec_path)
    owner = await client.create_user("Owner", username="owner1")
    parent = await client.create_user("Parent")
    group = await client.create_group(
        "Group", type="supergroup", member_ids=[owner["id"], parent["id"]]
    )
    await client.add_bot(group["id"], by_user_id=owner["id"], as_admin=True)
    await client.send_text(parent["id"], "/start")
    await client.send_photo(parent["id"], PNG, caption="photo")
    await client.send_document(parent["id"], b"doc", "a.txt")
    await client.send_sticker(parent["id"])
    keyboard = {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}
    results: list[tuple[str, Any]] = []

    async def call(method: str, params: dict[str, Any] | None = None) -> Any:
        result = await api.ok(method, params)
        method_spec = spec.method(method)
        assert method_spec is not None
        results.append((method, result))
        problems = [spec.check_object(t, result) for t in method_spec.returns]
        assert not all(problems), (method, problems)
        return result

    chat = parent["id"]
    await call("getMe")
    sent = await call(
        "sendMessage",
        {"chat_id": chat, "text": "<i>x</i>", "parse_mode": "HTML", "reply_markup": keyboard},
    )
    await client.press_button(parent["id"], chat, sent["message_id"], "ok")
    await client.block(parent["id"])
    await client.unblock(parent["id"])
    await client.send_text(owner["id"], "/report", chat_id=group["id"])
    await client.remove_member(group["id"], parent["id"], by_user_id=owner["id"])
    updates = await call("getUpdates")
    kinds = {next(k for k in u if k != "update_id") for u in updates}
    assert kinds == {"message", "my_chat_member", "callback_query"}
    await call("editMessageText", {"chat_id": chat, "message_id": sent["message_id"], "text": "y"})
    user_photo = next(u["message"]["photo"] for u in updates if "photo" in u.get("message", {}))
    photo = await call("sendPhoto", {"chat_id": chat, "photo": user_photo[0]["file_id"]})
    await call(
        "editMessageCaption", {"chat_id": chat, "message_id": photo["message_id"], "caption": "c"}
    )
    await call(
        "copyMessage", {"chat_id": chat, "from_chat_id": chat, "message_id": sent["message_id"]}
    )
    await call(
        "forwardMessage",
        {"chat_id": group["id"], "from_chat_id": chat, "message_id": sent["message_id"]},
    )
    await call("getFile", {"file_id": photo["photo"][0]["file_id"]})
    await call("getChat", {"chat_id": group["id"]})
    await call("getChat", {"chat_id": chat})
    for user_id in (owner["id"], parent["id"], emu.world.bot().id):
        await call("getChatMember", {"chat_id": group["id"], "user_id": user_id})
    await call("getChatAdministrators", {"chat_id": group["id"]})
    await call("getChatMemberCount", {"chat_id": group["id"]})
    await call("setMyCommands", {"commands": [{"command": "start", "description": "s"}]})
    await call("getMyCommands")
    await call("getWebhookInfo")
    await call("getChatMenuButton")
    await call("deleteMessage", {"chat_id": chat, "message_id": sent["message_id"]})
    assert len(results) >= 20
