"""One outbox sender worker, as a process of its own, for tests/e2e/test_flood_workers.py:

    python -m tests.e2e.flood_sender CONFIG API_BASE

It opens the school as ``safety-bot run`` does (BOT_TOKEN, and REDIS_URL when the workers
share Redis, from the environment), sends what the outbox holds with the bot's own sender
(the same flood budget and the same paced bot as handlers' replies) and stops once no row
is left to send, or after ``--max-seconds``. It takes nothing back from the others: several
run at once on one database, as a district's sender workers do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time

from sqlalchemy import func, select

from bot.app import attach_sender, close_app, make_bot, open_app
from bot.core.settings import Secrets, load_settings
from storage.models import Outbox


async def unsent(app) -> int:  # type: ignore[no-untyped-def]
    async with app.sessions() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(Outbox)
                .where(Outbox.status.in_(("pending", "sending")))
            )
            or 0
        )


async def main(config: str, api_base: str, max_seconds: float) -> int:
    settings = load_settings(config)
    secrets = Secrets()
    assert secrets.bot_token is not None
    app = await open_app(settings, secrets)
    bot = make_bot(secrets.bot_token.get_secret_value(), api_base, flood=app.flood)
    try:
        sender = attach_sender(app, bot)
        print(f"sender ready, shared budget: {app.flood is not None}", flush=True)
        running = asyncio.create_task(sender.run())
        deadline = time.monotonic() + max_seconds
        shown = time.monotonic()
        while time.monotonic() < deadline and (left := await unsent(app)):
            if time.monotonic() - shown > 5:
                shown = time.monotonic()
                print(f"sent {sender.sent}, {left} rows left", flush=True)
            await asyncio.sleep(0.3)
        sender.stop()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(running, 10)
        print(f"sent {sender.sent}", flush=True)
        return 0
    finally:
        await close_app(app)
        await bot.session.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.flood_sender")
    parser.add_argument("config")
    parser.add_argument("api_base")
    parser.add_argument("--max-seconds", type=float, default=120.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    sys.exit(asyncio.run(main(args.config, args.api_base, args.max_seconds)))
