"""EmulatorClient: an async client of the control API (and raw Bot API calls) over HTTP."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

import aiohttp


class EmulatorError(Exception):
    """The control API refused a request (400 bad arguments, 404 unknown object)."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(f"{status}: {description}")
        self.status = status
        self.description = description


def _query(values: Mapping[str, Any]) -> dict[str, str]:
    query: dict[str, str] = {}
    for name, value in values.items():
        if value is None:
            continue
        query[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return query


def _body(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


async def _payload(response: aiohttp.ClientResponse) -> dict[str, Any]:
    """The control API's JSON answer, or EmulatorError for a refusal or a non-JSON reply."""
    try:
        payload = await response.json(content_type=None)
    except ValueError:
        raise EmulatorError(response.status, (await response.text())[:200]) from None
    if not isinstance(payload, dict) or not payload.get("ok"):
        description = payload.get("description") if isinstance(payload, dict) else None
        raise EmulatorError(response.status, str(description or payload))
    return payload


class EmulatorClient:
    """Drives the emulator as the simulated people and reads back what the bot did.

    ``token`` is the bot used by the raw Bot API helpers (``bot_api``, ``get_updates``).
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._session = session
        self._owns_session = session is None

    async def __aenter__(self) -> EmulatorClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session

    async def _call(
        self,
        http_method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
    ) -> Any:
        async with self._http().request(
            http_method,
            f"{self.base_url}/_control{path}",
            json=dict(body) if body is not None else None,
            params=_query(query or {}),
        ) as response:
            payload = await _payload(response)
        return payload["result"]

    # ------------------------------------------------------------- Bot API

    async def bot_api(
        self, method: str, params: Mapping[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """Call a Bot API method with a JSON body; the full Telegram response, errors included."""
        bot_token = token or self.token
        if bot_token is None:
            raise ValueError("no bot token: pass token= here or to EmulatorClient")
        async with self._http().post(
            f"{self.base_url}/bot{bot_token}/{method}", json=dict(params or {})
        ) as response:
            result: dict[str, Any] = await response.json()
            return result

    async def get_updates(
        self,
        offset: int | None = None,
        *,
        limit: int | None = None,
        poll_seconds: int = 0,
        allowed_updates: list[str] | None = None,
        token: str | None = None,
    ) -> list[dict[str, Any]]:
        response = await self.bot_api(
            "getUpdates",
            _body(
                offset=offset, limit=limit, timeout=poll_seconds, allowed_updates=allowed_updates
            ),
            token=token,
        )
        if not response["ok"]:
            raise EmulatorError(response["error_code"], response["description"])
        updates: list[dict[str, Any]] = response["result"]
        return updates

    # ---------------------------------------------------------------- world

    async def reset(self) -> None:
        await self._call("POST", "/reset")

    async def create_bot(
        self,
        token: str,
        *,
        first_name: str | None = None,
        username: str | None = None,
        can_join_groups: bool | None = None,
        can_read_all_group_messages: bool | None = None,
    ) -> dict[str, Any]:
        body = _body(
            token=token,
            first_name=first_name,
            username=username,
            can_join_groups=can_join_groups,
            can_read_all_group_messages=can_read_all_group_messages,
        )
        result: dict[str, Any] = await self._call("POST", "/bots", body=body)
        return result

    async def list_bots(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("GET", "/bots")
        return result

    async def update_bot(self, bot_id: int, **settings: bool) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", f"/bots/{bot_id}", body=settings)
        return result

    async def set_can_read_all_group_messages(
        self, value: bool, *, bot_id: int | None = None
    ) -> dict[str, Any]:
        if bot_id is None:
            bot_id = (await self.list_bots())[0]["id"]
        return await self.update_bot(bot_id, can_read_all_group_messages=value)

    async def create_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> dict[str, Any]:
        body = _body(first_name=first_name, last_name=last_name, username=username)
        body["language_code"] = language_code
        result: dict[str, Any] = await self._call("POST", "/users", body=body)
        return result

    async def list_users(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("GET", "/users")
        return result

    async def create_group(
        self,
        title: str,
        *,
        type: str = "group",  # noqa: A002 - Telegram's field name
        member_ids: Iterable[int] = (),
        creator_id: int | None = None,
        username: str | None = None,
    ) -> dict[str, Any]:
        body = _body(
            title=title,
            type=type,
            member_ids=list(member_ids),
            creator_id=creator_id,
            username=username,
        )
        result: dict[str, Any] = await self._call("POST", "/groups", body=body)
        return result

    async def get_chat(self, chat_id: int, *, bot_id: int | None = None) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "GET", f"/chats/{chat_id}", query={"bot_id": bot_id}
        )
        return result

    async def add_members(
        self, chat_id: int, user_ids: Iterable[int], *, by_user_id: int | None = None
    ) -> dict[str, Any]:
        body = _body(user_ids=list(user_ids), by_user_id=by_user_id)
        result: dict[str, Any] = await self._call("POST", f"/chats/{chat_id}/members", body=body)
        return result

    async def add_bot(
        self,
        chat_id: int,
        by_user_id: int,
        *,
        bot_id: int | None = None,
        as_admin: bool = False,
    ) -> dict[str, Any]:
        body = _body(by_user_id=by_user_id, bot_id=bot_id, as_admin=as_admin)
        result: dict[str, Any] = await self._call("POST", f"/chats/{chat_id}/bot", body=body)
        return result

    async def remove_member(
        self, chat_id: int, user_id: int, *, by_user_id: int | None = None
    ) -> dict[str, Any]:
        body = _body(user_id=user_id, by_user_id=by_user_id)
        result: dict[str, Any] = await self._call(
            "POST", f"/chats/{chat_id}/members/remove", body=body
        )
        return result

    async def set_member_status(self, chat_id: int, user_id: int, status: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "POST", f"/chats/{chat_id}/members/status", body={"user_id": user_id, "status": status}
        )
        return result

    # ------------------------------------------------------ acting as people

    async def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
        bot_id: int | None = None,
    ) -> dict[str, Any]:
        body = _body(
            user_id=user_id,
            text=text,
            chat_id=chat_id,
            reply_to_message_id=reply_to_message_id,
            bot_id=bot_id,
        )
        result: dict[str, Any] = await self._call("POST", "/messages/text", body=body)
        return result

    async def send_photo(
        self,
        user_id: int,
        data: bytes,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
        media_group_id: str | None = None,
        file_name: str | None = None,
        reply_to_message_id: int | None = None,
        bot_id: int | None = None,
    ) -> dict[str, Any]:
        body = _body(
            user_id=user_id,
            data=_b64(data),
            caption=caption,
            chat_id=chat_id,
            media_group_id=media_group_id,
            file_name=file_name,
            reply_to_message_id=reply_to_message_id,
            bot_id=bot_id,
        )
        result: dict[str, Any] = await self._call("POST", "/messages/photo", body=body)
        return result

    async def send_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
        bot_id: int | None = None,
    ) -> dict[str, Any]:
        body = _body(
            user_id=user_id,
            data=_b64(data),
            file_name=file_name,
            mime_type=mime_type,
            caption=caption,
            chat_id=chat_id,
            reply_to_message_id=reply_to_message_id,
            bot_id=bot_id,
        )
        result: dict[str, Any] = await self._call("POST", "/messages/document", body=body)
        return result

    async def send_sticker(
        self,
        user_id: int,
        *,
        emoji: str = "👍",
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
        bot_id: int | None = None,
    ) -> dict[str, Any]:
        body = _body(
            user_id=user_id,
            emoji=emoji,
            chat_id=chat_id,
            reply_to_message_id=reply_to_message_id,
            bot_id=bot_id,
        )
        result: dict[str, Any] = await self._call("POST", "/messages/sticker", body=body)
        return result

    async def press_button(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        callback_data: str,
        *,
        bot_id: int | None = None,
        check_button: bool = True,
    ) -> dict[str, Any]:
        """Press a button; ``check_button=False`` sends data the keyboard does not have."""
        body = _body(
            user_id=user_id,
            chat_id=chat_id,
            message_id=message_id,
            callback_data=callback_data,
            bot_id=bot_id,
            check_button=check_button,
        )
        result: dict[str, Any] = await self._call("POST", "/callbacks", body=body)
        return result

    async def block(self, user_id: int, *, bot_id: int | None = None) -> None:
        await self._call("POST", f"/users/{user_id}/block", body=_body(bot_id=bot_id))

    async def unblock(self, user_id: int, *, bot_id: int | None = None) -> None:
        await self._call("POST", f"/users/{user_id}/unblock", body=_body(bot_id=bot_id))

    # --------------------------------------------------------------- reading

    async def bot_messages(
        self,
        chat_id: int,
        *,
        bot_id: int | None = None,
        after_message_id: int | None = None,
    ) -> list[dict[str, Any]]:
        """What the bot sent to the chat: current state, full reply_markup, ``edits``, ``deleted``."""
        result: list[dict[str, Any]] = await self._call(
            "GET",
            f"/chats/{chat_id}/bot_messages",
            query={"bot_id": bot_id, "after_message_id": after_message_id},
        )
        return result

    async def bot_message_count(self, chat_id: int, *, bot_id: int | None = None) -> int:
        result: int = await self._call(
            "GET", f"/chats/{chat_id}/bot_messages/count", query={"bot_id": bot_id}
        )
        return result

    async def chat_messages(
        self, chat_id: int, *, bot_id: int | None = None
    ) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call(
            "GET", f"/chats/{chat_id}/messages", query={"bot_id": bot_id}
        )
        return result

    async def callback_answers(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call(
            "GET", "/callbacks", query={"chat_id": chat_id}
        )
        return result

    async def callback_answer(self, query_id: str) -> dict[str, Any]:
        """The callback query record: ``answered`` and ``answer`` (text, show_alert, url, ...)."""
        result: dict[str, Any] = await self._call("GET", f"/callbacks/{query_id}")
        return result

    async def commands(self, *, bot_id: int | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call(
            "GET", "/commands", query={"bot_id": bot_id}
        )
        return result

    async def webhook_info(self, *, bot_id: int | None = None) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "/webhook", query={"bot_id": bot_id})
        return result

    async def pending_updates(self, *, bot_id: int | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("GET", "/updates", query={"bot_id": bot_id})
        return result

    async def file_info(self, file_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", f"/files/{file_id}")
        return result

    async def file_content(self, file_id: str) -> bytes:
        async with self._http().get(
            f"{self.base_url}/_control/files/{file_id}/content"
        ) as response:
            if response.status != 200:
                await _payload(response)
            return await response.read()

    async def stats(self, *, timestamps: bool = True) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "/stats", query={"timestamps": timestamps})
        return result

    async def reset_stats(self) -> None:
        await self._call("POST", "/stats/reset")

    # -------------------------------------------------------------- steering

    async def get_flood(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "/flood")
        return result

    async def set_flood(self, enabled: bool | None = None, **limits: float) -> dict[str, Any]:
        """Switch flood limits and/or change them, e.g. ``private_limit=2, private_window=0.5``."""
        result: dict[str, Any] = await self._call(
            "POST", "/flood", body=_body(enabled=enabled, **limits)
        )
        return result

    async def add_fault(
        self,
        action: str,
        method: str = "*",
        *,
        chat_id: int | None = None,
        status: int | None = None,
        retry_after: int | None = None,
        times: int | None = None,
        seconds: float | None = None,
        for_seconds: float | None = None,
        probability: float | None = None,
    ) -> dict[str, Any]:
        """``process_drop`` and ``delay`` let the call happen, then lose or delay its answer."""
        body = _body(
            action=action,
            method=method,
            chat_id=chat_id,
            status=status,
            retry_after=retry_after,
            times=times,
            seconds=seconds,
            for_seconds=for_seconds,
            probability=probability,
        )
        result: dict[str, Any] = await self._call("POST", "/faults", body=body)
        return result

    async def list_faults(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("GET", "/faults")
        return result

    async def clear_faults(self, seed: int | None = None) -> None:
        """Remove every rule; a seed restarts the draws of ``probability`` rules."""
        await self._call("POST", "/faults/clear", body=_body(seed=seed))

    async def remove_fault(self, rule_id: int) -> None:
        await self._call("POST", f"/faults/{rule_id}/remove")

    async def batch(self, calls: Iterable[tuple[str, Mapping[str, Any]]]) -> list[Any]:
        """Run many control operations in one request: ``[("create_user", {...}), ...]``."""
        body = {"calls": [{"op": op, "args": dict(args)} for op, args in calls]}
        async with self._http().post(f"{self.base_url}/_control/batch", json=body) as response:
            payload = await _payload(response)
        results: list[Any] = payload["result"]
        return results

    # --------------------------------------------------------------- waiting

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - polling deadline, not a cancellation timeout
        *,
        bot_id: int | None = None,
        interval: float = 0.02,
    ) -> list[dict[str, Any]]:
        """Poll until the bot has sent at least ``count`` messages to the chat; return them all."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            seen = await self.bot_message_count(chat_id, bot_id=bot_id)
            if seen >= count:
                return await self.bot_messages(chat_id, bot_id=bot_id)
            if loop.time() >= deadline:
                raise TimeoutError(
                    f"the bot sent {seen} of {count} expected messages to chat {chat_id} "
                    f"within {timeout} s"
                )
            await asyncio.sleep(interval)

    async def wait_for_callback_answer(
        self,
        query_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109 - polling deadline, not a cancellation timeout
        *,
        interval: float = 0.02,
    ) -> dict[str, Any]:
        """Poll until the bot answered the callback query; return the record."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            record = await self.callback_answer(query_id)
            if record["answered"]:
                return record
            if loop.time() >= deadline:
                raise TimeoutError(f"callback query {query_id} not answered within {timeout} s")
            await asyncio.sleep(interval)
