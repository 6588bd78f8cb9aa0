"""One Bot API call from token and method name to Telegram's response body.

Order of checks: token (401) -> method exists (404) -> injected faults ->
spec validation (400) -> flood limits (429) -> the method itself -> faults that act after
it (process_drop, delay).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from .errors import ApiError, not_found, server_error, too_many_requests, unauthorized
from .faults import FaultInjector, FaultRule
from .flood import FloodLimiter
from .methods import REGISTRY, CallContext, MethodRegistry
from .models import BotAccount
from .params import CoercionError, Params, as_int
from .spec import ApiSpec
from .world import World

logger = logging.getLogger("emulator")


def _chat_hint(params: Params) -> int | str | None:
    """The call's chat_id, as well as it can be read before validation (for fault rules)."""
    raw = params.raw("chat_id")
    if raw is None:
        return None
    try:
        return as_int(raw)
    except CoercionError:
        return raw if isinstance(raw, str) else None


class ApiDispatcher:
    def __init__(
        self,
        world: World,
        *,
        spec: ApiSpec | None,
        flood: FloodLimiter,
        faults: FaultInjector,
        registry: MethodRegistry = REGISTRY,
        webhook_changed: Callable[[BotAccount], None] = lambda bot: None,
    ) -> None:
        self.world = world
        self.spec = spec
        self.flood = flood
        self.faults = faults
        self.registry = registry
        self.webhook_changed = webhook_changed

    async def call(
        self, token: str, method_name: str, params: Params, *, inject_faults: bool = True
    ) -> tuple[int, dict[str, Any]]:
        """HTTP status and response body for one call; DropConnection escapes to the caller."""
        after: list[FaultRule] = []
        try:
            result = await self._call(token, method_name, params, inject_faults, after)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as exc:
            status, body = exc.error_code, exc.to_payload()
        for rule in after:  # the call has had its effect; only its answer goes wrong
            if rule.action == "delay":
                await asyncio.sleep(rule.seconds)
            else:
                rule.raise_fault()
        self.world.stats.responses[status] += 1
        return status, body

    async def _call(
        self,
        token: str,
        method_name: str,
        params: Params,
        inject_faults: bool,
        after: list[FaultRule],
    ) -> Any:
        world = self.world
        bot = world.bot_by_token(token)
        if bot is None:
            raise unauthorized()
        entry = self.registry.get(method_name)
        spec_method = self.spec.method(method_name) if self.spec is not None else None
        if (self.spec is not None and spec_method is None) or (
            entry is None and spec_method is None
        ):
            raise not_found()
        name = entry.name if entry is not None else spec_method.name if spec_method else method_name
        world.stats.requests[name] += 1

        if inject_faults:
            rule = self.faults.take(name, _chat_hint(params))
            if rule is not None:
                world.stats.faults_injected += 1
                if not rule.after:
                    rule.raise_fault()
                after.append(rule)

        if self.spec is not None and spec_method is not None:
            self.spec.validate_call(spec_method, params)

        if entry is None:
            assert spec_method is not None
            if spec_method.returns == ("Boolean",):
                # Settings-style calls (setMyDescription, pinChatMessage...) succeed without effect.
                world.stats.accepted_without_effect[name] += 1
                return True
            raise ApiError(501, f"Not Implemented: the emulator does not implement {name}")

        if entry.sends_messages:
            self._check_flood(bot, params)

        context = CallContext(world, bot, params, name, self.webhook_changed)
        try:
            return await entry.handler(context)
        except ApiError:
            raise
        except Exception:
            logger.exception("emulator error in %s (bot %s)", name, bot.id)
            raise server_error(500) from None

    def _check_flood(self, bot: BotAccount, params: Params) -> None:
        if not self.flood.config.enabled:
            return
        chat_id = _chat_hint(params)
        if isinstance(chat_id, str):
            try:
                chat_id = self.world.chat_for_bot(bot, chat_id, sending=False).id
            except ApiError:
                return  # the method itself reports the unknown chat
        if chat_id is None:
            return
        retry_after = self.flood.acquire(bot.id, chat_id)
        if retry_after is not None:
            self.world.stats.flood_rejections += 1
            raise too_many_requests(retry_after)
