"""Request validation: against api.json, and the hand-coded Telegram limits that always apply."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from emulator import EmulatorServer
from emulator.spec import ApiSpec

from .conftest import RawApi


def keyboard(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"inline_keyboard": [list(buttons)]}


async def test_unknown_method_is_404(api: RawApi) -> None:
    status, body = await api.json("sendTelepathy", {"chat_id": 1})
    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_unknown_token_is_401(api: RawApi) -> None:
    status, body = await api.json("getMe", token="999:not-a-registered-token")
    assert status == 401
    assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_method_names_are_case_insensitive(api: RawApi) -> None:
    me = await api.ok("GETME")
    assert me["is_bot"] is True


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"text": "hi"}, "Bad Request: chat_id is empty"),
        ({"chat_id": 1}, "Bad Request: message text is empty"),
    ],
)
async def test_missing_required_field(
    api: RawApi, params: dict[str, Any], description: str
) -> None:
    status, body = await api.json("sendMessage", params)
    assert (status, body["description"]) == (400, description)


async def test_spec_required_field_of_a_method_the_emulator_only_accepts(api: RawApi) -> None:
    # setMyDescription is not implemented, but the spec still enforces its fields' types.
    status, body = await api.json("setMyDescription", {"description": ["not", "a", "string"]})
    assert status == 400
    assert 'parameter "description": expected String' in body["description"]
    assert await api.ok("setMyDescription", {"description": "学校安全助手"}) is True


async def test_unimplemented_method_with_a_result_says_so(api: RawApi) -> None:
    status, body = await api.json(
        "sendPoll", {"chat_id": 1, "question": "?", "options": [{"text": "a"}, {"text": "b"}]}
    )
    assert status == 501
    assert "does not implement sendPoll" in body["description"]


@pytest.mark.parametrize(
    ("method", "params", "fragment"),
    [
        ("sendMessage", {"chat_id": [1], "text": "x"}, 'parameter "chat_id"'),
        ("getUpdates", {"offset": "ten"}, 'parameter "offset": expected Integer'),
        ("sendMessage", {"chat_id": 1, "text": "x", "disable_notification": "maybe"}, "Boolean"),
        ("sendMessage", {"chat_id": 1, "text": "x", "reply_markup": "{not json"}, "reply keyboard"),
        ("sendMessage", {"chat_id": 1, "text": "x", "entities": "[{"}, "entities JSON"),
        (
            "sendMessage",
            {"chat_id": 1, "text": "x", "reply_markup": keyboard({"callback_data": "no label"})},
            "InlineKeyboardButton",
        ),
    ],
)
async def test_wrong_types_are_400(
    api: RawApi, method: str, params: dict[str, Any], fragment: str
) -> None:
    status, body = await api.json(method, params)
    assert status == 400, body
    assert body["description"].startswith("Bad Request: ")
    assert fragment in body["description"]


async def test_form_bodies_are_coerced_from_strings(api: RawApi, alice: dict[str, Any]) -> None:
    markup = json.dumps(keyboard({"text": "OK", "callback_data": "ok"}))
    status, body = await api.form(
        "sendMessage",
        {
            "chat_id": str(alice["id"]),
            "text": "hi",
            "disable_notification": "true",
            "reply_markup": markup,
        },
    )
    assert status == 200, body
    assert body["result"]["chat"]["id"] == alice["id"]
    assert body["result"]["reply_markup"] == json.loads(markup)


async def test_text_length_limits(api: RawApi, alice: dict[str, Any]) -> None:
    chat = alice["id"]
    assert (await api.json("sendMessage", {"chat_id": chat, "text": "长" * 4096}))[0] == 200
    status, body = await api.json("sendMessage", {"chat_id": chat, "text": "长" * 4097})
    assert (status, body["description"]) == (400, "Bad Request: message is too long")
    status, body = await api.json("sendMessage", {"chat_id": chat, "text": "   "})
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")


async def test_length_is_measured_after_entity_parsing(api: RawApi, alice: dict[str, Any]) -> None:
    text = "<b>" + "x" * 4096 + "</b>"
    status, body = await api.json(
        "sendMessage", {"chat_id": alice["id"], "text": text, "parse_mode": "HTML"}
    )
    assert status == 200, body
    status, body = await api.json(
        "sendMessage", {"chat_id": alice["id"], "text": "<b></b>", "parse_mode": "HTML"}
    )
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")


async def test_caption_limit(api: RawApi, alice: dict[str, Any]) -> None:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(alice["id"]))
    form.add_field("caption", "c" * 1025)
    form.add_field("photo", b"\x89PNG-ish", filename="p.png")
    status, body = await api.form("sendPhoto", form)
    assert (status, body["description"]) == (400, "Bad Request: message caption is too long")


@pytest.mark.parametrize(
    ("data", "accepted"),
    [
        ("x" * 64, True),
        ("x" * 65, False),
        ("安" * 21, True),  # 63 bytes
        ("安" * 22, False),  # 66 bytes: the limit counts UTF-8 bytes, not characters
        ("", False),
    ],
)
async def test_callback_data_is_1_to_64_bytes(
    api: RawApi, alice: dict[str, Any], data: str, accepted: bool
) -> None:
    status, body = await api.json(
        "sendMessage",
        {
            "chat_id": alice["id"],
            "text": "pick",
            "reply_markup": keyboard({"text": "b", "callback_data": data}),
        },
    )
    if accepted:
        assert status == 200, body
    else:
        assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")


@pytest.mark.parametrize(
    "button",
    [
        {"text": "no action"},
        {"text": "two actions", "url": "https://example.org", "callback_data": "x"},
    ],
)
async def test_inline_button_needs_exactly_one_action(
    api: RawApi, alice: dict[str, Any], button: dict[str, Any]
) -> None:
    status, body = await api.json(
        "sendMessage", {"chat_id": alice["id"], "text": "t", "reply_markup": keyboard(button)}
    )
    assert status == 400
    assert "inline keyboard button" in body["description"]


async def test_html_is_parsed_into_text_and_entities(api: RawApi, alice: dict[str, Any]) -> None:
    message = await api.ok(
        "sendMessage",
        {
            "chat_id": alice["id"],
            "text": '<b>安全</b> &lt;提醒&gt; <a href="https://x.org/?a=1&amp;b=2">链接</a>',
            "parse_mode": "HTML",
        },
    )
    assert message["text"] == "安全 <提醒> 链接"
    assert message["entities"] == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "text_link", "offset": 8, "length": 2, "url": "https://x.org/?a=1&b=2"},
    ]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", "Unmatched end tag"),
        ("<script>x</script>", 'Unsupported start tag "script"'),
    ],
)
async def test_bad_html_is_rejected(
    api: RawApi, alice: dict[str, Any], text: str, fragment: str
) -> None:
    status, body = await api.json(
        "sendMessage", {"chat_id": alice["id"], "text": text, "parse_mode": "HTML"}
    )
    assert status == 400
    assert body["description"].startswith("Bad Request: can't parse entities: ")
    assert fragment in body["description"]


async def test_markdown_v2_reserved_characters_must_be_escaped(
    api: RawApi, alice: dict[str, Any]
) -> None:
    status, body = await api.json(
        "sendMessage", {"chat_id": alice["id"], "text": "共 3.5 分", "parse_mode": "MarkdownV2"}
    )
    assert status == 400
    assert "Character '.' is reserved" in body["description"]
    message = await api.ok(
        "sendMessage", {"chat_id": alice["id"], "text": "*共* 3\\.5 分", "parse_mode": "MarkdownV2"}
    )
    assert message["text"] == "共 3.5 分"
    assert message["entities"] == [{"type": "bold", "offset": 0, "length": 1}]


async def test_hand_coded_limits_apply_without_the_spec() -> None:
    async with EmulatorServer() as emu, emu.client() as control, aiohttp.ClientSession() as http:
        user = await control.create_user("Bob")
        await control.send_text(user["id"], "/start")
        raw = RawApi(http, emu)
        status, body = await raw.json("sendMessage", {"chat_id": user["id"], "text": "x" * 4097})
        assert (status, body["description"]) == (400, "Bad Request: message is too long")
        status, body = await raw.json("sendMessage", {"chat_id": user["id"], "text": "x"})
        assert status == 200
        status, _ = await raw.json("setMyDescription", {"description": "x"})
        assert status == 200  # hand-implemented as an accepted no-op
        status, _ = await raw.json("sendTelepathy", {})
        assert status == 404
        status, body = await raw.json("editMessageText", {"chat_id": user["id"], "text": "y"})
        assert (status, body["description"]) == (
            400,
            "Bad Request: message identifier is not specified",
        )


def test_spec_describes_what_the_emulator_returns(spec_path: Path) -> None:
    spec = ApiSpec.load(spec_path)
    good = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}
    assert spec.check_object("Message", good) == []
    problems = spec.check_object("Message", {"message_id": "1", "chat": {"id": 1}})
    assert any("date" in problem for problem in problems)
    assert any("message_id" in problem for problem in problems)
    assert any("type" in problem for problem in problems)
