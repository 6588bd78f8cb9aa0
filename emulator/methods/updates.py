"""Getting updates: getUpdates long polling and webhook configuration."""

from __future__ import annotations

import re
from typing import Any

from ..errors import bad_request, conflict
from ..models import BotAccount, WebhookConfig
from .registry import CallContext, method

MAX_LIMIT = 100
MAX_POLL_SECONDS = 600
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
WEBHOOK_ACTIVE = (
    "can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
    "webhook first"
)
SUPERSEDED = (
    "terminated by other getUpdates request; make sure that only one bot instance is running"
)


def _allowed_updates(ctx: CallContext) -> None:
    allowed = ctx.params.json_array("allowed_updates")
    if allowed is not None:
        # An empty list means "the default set", not "nothing".
        ctx.bot.allowed_updates = [str(kind) for kind in allowed] or None


@method("getUpdates")
async def get_updates(ctx: CallContext) -> list[dict[str, Any]]:
    bot = ctx.bot
    if bot.webhook is not None:
        raise conflict(WEBHOOK_ACTIVE)
    params = ctx.params
    offset = params.integer("offset")
    limit = min(max(params.integer("limit", default=MAX_LIMIT) or MAX_LIMIT, 1), MAX_LIMIT)
    seconds = min(max(params.integer("timeout", default=0) or 0, 0), MAX_POLL_SECONDS)
    _allowed_updates(ctx)
    bot.poll_generation += 1
    generation = bot.poll_generation
    bot.updates.wake()  # an older long poll of this bot ends with 409, as in Telegram
    if offset:
        bot.updates.confirm(offset)
    if seconds and not len(bot.updates):
        await bot.updates.wait(seconds)
        if bot.poll_generation != generation:
            raise conflict(WEBHOOK_ACTIVE if bot.webhook is not None else SUPERSEDED)
    return bot.updates.peek(limit)


@method("setWebhook")
async def set_webhook(ctx: CallContext) -> bool:
    bot = ctx.bot
    params = ctx.params
    url = params.text("url").strip()
    if not url:
        return await delete_webhook(ctx)
    if not url.startswith(("http://", "https://")) or len(url) > 2048:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.string("secret_token")
    if secret is not None and not _SECRET_RE.match(secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = params.integer("max_connections", default=40) or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    _allowed_updates(ctx)
    if params.flag("drop_pending_updates"):
        bot.updates.clear()
    bot.webhook = WebhookConfig(url=url, secret_token=secret, max_connections=max_connections)
    bot.poll_generation += 1
    bot.updates.wake()
    ctx.webhook_changed(bot)
    return True


@method("deleteWebhook")
async def delete_webhook(ctx: CallContext) -> bool:
    bot = ctx.bot
    if ctx.params.flag("drop_pending_updates"):
        bot.updates.clear()
    if bot.webhook is not None:
        bot.webhook = None
        ctx.webhook_changed(bot)
    return True


@method("getWebhookInfo")
async def get_webhook_info(ctx: CallContext) -> dict[str, Any]:
    return webhook_info(ctx.bot)


def webhook_info(bot: BotAccount) -> dict[str, Any]:
    """A WebhookInfo object."""
    hook = bot.webhook
    info: dict[str, Any] = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(bot.updates),
    }
    if hook is not None:
        info["max_connections"] = hook.max_connections
        info["ip_address"] = hook.ip_address
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    if bot.allowed_updates:
        info["allowed_updates"] = list(bot.allowed_updates)
    return info
