"""``safety-bot run``: the long-running process."""

from __future__ import annotations

import logging

from aiogram.fsm.storage.base import BaseStorage

from bot.app import close_app, make_bot, open_app
from bot.core.settings import Secrets, Settings
from bot.dispatching import make_dispatcher
from bot.roles import Role, refusal, stop_sender, wait_for_stop_signal
from bot.runner import (
    StartupError,
    check_bot,
    register_commands,
    serve_polling,
    serve_webhook,
    setup_code_if_needed,
    start_background,
)
from storage.leader import NeverLeads

log = logging.getLogger(__name__)


async def run_bot(
    settings: Settings,
    secrets: Secrets,
    token: str,
    api_base: str,
    webhook: bool,
    tick_seconds: float,
    fsm_storage: BaseStorage | None = None,
    role: Role = Role.ALL,
) -> int:
    app = await open_app(settings, secrets)
    # With Redis: the replies of this process take turns from the bot's one flood budget.
    bot = make_bot(token, api_base, flood=app.flood)
    try:
        why_not = refusal(role, app.engine)
        if why_not:
            raise StartupError(why_not)
        await check_bot(app, bot)
        if role.takes_updates:
            code = await setup_code_if_needed(app)
            if code:
                # Printed for the operator on stdout, not logged: it is a credential.
                print(
                    f"No admin yet. The first admin sends the bot:  /start {code}  (valid 24 h)",
                    flush=True,
                )
            await register_commands(bot)
        sender_task = None
        if role.works:
            sender_task = await start_background(app, bot, tick_seconds)
        else:
            app.leader = NeverLeads()  # a worker ticks; this process only takes updates
        log.info("running as --role %s", role.value)
        if not role.takes_updates:
            await wait_for_stop_signal()
        elif webhook:
            assert secrets.webhook_secret is not None
            await serve_webhook(
                settings.telegram,
                bot,
                make_dispatcher(app, fsm_storage),
                secrets.webhook_secret.get_secret_value(),
            )
        else:
            await serve_polling(app, bot, make_dispatcher(app, fsm_storage))
        if sender_task is not None:
            await stop_sender(app, sender_task)
        log.info("stopped cleanly")
        return 0
    except StartupError as exc:
        log.error("cannot start: %s", exc)
        print(f"Cannot start: {exc}", flush=True)
        return 2
    finally:
        await close_app(app)
        await bot.session.close()
