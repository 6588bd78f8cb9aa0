"""File uploads (multipart), file_id reuse, getFile and download round trips."""

from __future__ import annotations

import os
import struct
from typing import Any

import aiohttp

from emulator import EmulatorClient, EmulatorServer

from .conftest import RawApi


def png(width: int, height: int) -> bytes:
    header = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR"
    return header + struct.pack(">II", width, height) + b"\x08\x02\x00\x00\x00" + os.urandom(64)


async def download(emu: EmulatorServer, file_path: str) -> tuple[int, bytes]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{emu.url}/file/bot{emu.token}/{file_path}") as response,
    ):
        return response.status, await response.read()


async def test_document_upload_round_trip_is_byte_identical(
    emu: EmulatorServer, api: RawApi, alice: dict[str, Any]
) -> None:
    content = os.urandom(200_000) + "安全日报".encode()
    form = aiohttp.FormData()
    form.add_field("chat_id", str(alice["id"]))
    form.add_field("caption", "周报")
    # aiogram's way: the field names a part with attach://.
    form.add_field("document", "attach://upload1")
    form.add_field("upload1", content, filename="周报.xlsx")
    status, body = await api.form("sendDocument", form)
    assert status == 200, body
    document = body["result"]["document"]
    assert document["file_name"] == "周报.xlsx"
    assert document["mime_type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert document["file_size"] == len(content)
    assert body["result"]["caption"] == "周报"

    file = await api.ok("getFile", {"file_id": document["file_id"]})
    assert file["file_unique_id"] == document["file_unique_id"]
    assert await download(emu, file["file_path"]) == (200, content)


async def test_photo_upload_has_its_real_size_and_reuses_file_id(
    emu: EmulatorServer, api: RawApi, alice: dict[str, Any]
) -> None:
    image = png(640, 480)
    form = aiohttp.FormData()
    form.add_field("chat_id", str(alice["id"]))
    form.add_field("photo", image, filename="p.png", content_type="image/png")
    status, body = await api.form("sendPhoto", form)
    assert status == 200, body
    [size] = body["result"]["photo"]
    assert (size["width"], size["height"], size["file_size"]) == (640, 480, len(image))

    files_before = len(emu.world.files)
    again = await api.ok("sendPhoto", {"chat_id": alice["id"], "photo": size["file_id"]})
    assert again["photo"] == [size]
    assert len(emu.world.files) == files_before  # reused, not stored again

    status, body = await api.json(
        "sendDocument", {"chat_id": alice["id"], "document": size["file_id"]}
    )
    assert (status, body["description"]) == (
        400,
        "Bad Request: can't use file of type Photo as Document",
    )


async def test_a_photo_sent_by_a_user_can_be_downloaded_by_the_bot(
    emu: EmulatorServer, api: RawApi, client: EmulatorClient
) -> None:
    user = await client.create_user("Olga")
    image = png(32, 16)
    message = await client.send_photo(user["id"], image, caption="隐患照片")
    assert message["caption"] == "隐患照片"
    [update] = await api.ok("getUpdates")
    file_id = update["message"]["photo"][-1]["file_id"]
    file = await api.ok("getFile", {"file_id": file_id})
    assert await download(emu, file["file_path"]) == (200, image)
    assert await client.file_content(file_id) == image


async def test_unknown_files(emu: EmulatorServer, api: RawApi, alice: dict[str, Any]) -> None:
    status, body = await api.json("getFile", {"file_id": "nope"})
    assert (status, body["description"]) == (400, "Bad Request: invalid file_id")
    status, body = await api.json("sendPhoto", {"chat_id": alice["id"], "photo": "nope"})
    assert (status, body["description"]) == (
        400,
        "Bad Request: wrong file identifier/HTTP URL specified",
    )
    status, body = await api.json("sendPhoto", {"chat_id": alice["id"], "photo": "attach://x"})
    assert status == 400
    assert (await download(emu, "documents/none.pdf"))[0] == 404


async def test_media_group_of_uploaded_photos(api: RawApi, alice: dict[str, Any]) -> None:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(alice["id"]))
    form.add_field(
        "media",
        '[{"type":"photo","media":"attach://a","caption":"一"},'
        '{"type":"photo","media":"attach://b"}]',
    )
    form.add_field("a", png(10, 10), filename="a.png")
    form.add_field("b", png(20, 20), filename="b.png")
    status, body = await api.form("sendMediaGroup", form)
    assert status == 200, body
    messages = body["result"]
    assert len(messages) == 2
    assert messages[0]["media_group_id"] == messages[1]["media_group_id"]
    assert messages[0]["caption"] == "一"
    assert messages[1]["photo"][0]["width"] == 20
