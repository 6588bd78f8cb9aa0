"""The shared flood budget in Redis (scheduler/flood.py): what one send costs.

    python -m bench.flood_redis [--url redis://127.0.0.1:6379/0] [--sends 5000]

One client takes and records turns for ``sends`` messages to distinct chats as fast as it
can, with a budget too large to make it wait: that is the script's cost per send (two round
trips: acquire before the request, record after its answer). Where the ``limits`` library is
installed (it is not a dependency), the same number of sends through its async Redis moving
window is timed for comparison: a send needs three of its ``hit`` calls (the bot's second,
the chat's interval, a group's minute; checked one by one, not atomically).

``--parents N`` also runs bench/broadcast.py's outbox run (a notice to N parents through the
emulator with Telegram's limits on) with the sender taking its turns from Redis: one
process's rate through the shared budget, to set beside ``python -m bench.broadcast``'s.

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from typing import Any

from scheduler.flood import Budget, RedisFlood


async def bench_script(url: str, sends: int) -> dict[str, Any]:
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    prefix = f"bench-flood:{uuid.uuid4().hex[:8]}:"
    flood = RedisFlood(client, Budget(messages_per_second=10**9), prefix).for_bot(1)
    latencies = []
    try:
        started = time.perf_counter()
        for chat in range(sends):
            t0 = time.perf_counter()
            ticket = await flood.acquire(chat)
            await flood.record(ticket, chat)
            latencies.append(time.perf_counter() - t0)
        seconds = time.perf_counter() - started
    finally:
        keys = [key async for key in client.scan_iter(match=prefix + "*")]
        for start in range(0, len(keys), 500):
            await client.delete(*keys[start : start + 500])
        await client.aclose()
    return _figures(sends, seconds, latencies)


async def bench_limits(url: str, sends: int) -> dict[str, Any] | None:
    try:
        from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
        from limits.aio.storage import RedisStorage
        from limits.aio.strategies import MovingWindowRateLimiter
    except ImportError:
        return None
    prefix = f"bench-limits-{uuid.uuid4().hex[:8]}"
    storage = RedisStorage(
        url.replace("redis://", "async+redis://"), implementation="redispy", key_prefix=prefix
    )
    limiter = MovingWindowRateLimiter(storage)
    bot = RateLimitItemPerSecond(10**9)
    chat = RateLimitItemPerSecond(1)
    group = RateLimitItemPerMinute(20)
    latencies = []
    started = time.perf_counter()
    for n in range(sends):
        t0 = time.perf_counter()
        await limiter.hit(bot, "bot")
        await limiter.hit(chat, "chat", str(n))
        await limiter.hit(group, "group", str(n))
        latencies.append(time.perf_counter() - t0)
    seconds = time.perf_counter() - started
    await storage.reset()
    return _figures(sends, seconds, latencies)


def _figures(sends: int, seconds: float, latencies: list[float]) -> dict[str, Any]:
    latencies.sort()
    return {
        "sends_per_s": round(sends / seconds),
        "ms_per_send_median": round(1000 * statistics.median(latencies), 3),
        "ms_per_send_p99": round(1000 * latencies[int(len(latencies) * 0.99)], 3),
    }


async def bench_broadcast(url: str, parents: int) -> dict[str, Any]:
    """bench.broadcast's outbox run, the sender's budget in Redis."""
    import tempfile
    from pathlib import Path

    from bench.broadcast import TOKEN, bench_settings, run_outbox, seed_parents
    from bot.app import close_app, open_app
    from emulator.server import EmulatorServer
    from emulator.spec import BUNDLED_SPEC

    prefix = f"bench-broadcast-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="bench-flood-") as folder:
        settings = bench_settings(Path(folder))
        settings = settings.model_copy(
            update={"redis": settings.redis.model_copy(update={"url": url, "prefix": prefix})}
        )
        async with EmulatorServer(spec_path=BUNDLED_SPEC, token=TOKEN, flood=True) as emu:
            app = await open_app(settings)
            try:
                assert app.flood is not None
                seeded = await seed_parents(app, emu.world, parents)
                figures = await run_outbox(app, emu, seeded, 300.0)
                keys = [key async for key in app.redis.scan_iter(match=prefix + ":*")]
                if keys:
                    await app.redis.delete(*keys)
            finally:
                await close_app(app)
    return {**figures.as_json(), "duplicates": figures.duplicates}


async def run(url: str, sends: int, parents: int = 0) -> dict[str, Any]:
    result: dict[str, Any] = {"sends": sends, "lua_script": await bench_script(url, sends)}
    result["limits_moving_window"] = await bench_limits(url, sends)
    if parents:
        result["broadcast_via_redis"] = await bench_broadcast(url, parents)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.flood_redis")
    parser.add_argument("--url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--sends", type=int, default=5000)
    parser.add_argument("--parents", type=int, default=0, help="also a broadcast to N parents")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.url, args.sends, args.parents))
    script = result["lua_script"]
    print(
        f"Lua script, acquire + record: {script['sends_per_s']} sends/s per connection, "
        f"{script['ms_per_send_median']} ms a send (p99 {script['ms_per_send_p99']} ms)"
    )
    other = result["limits_moving_window"]
    if other is None:
        print("limits: not installed (pip install 'limits[async-redis]' to compare)")
    else:
        print(
            f"limits moving window, 3 hits a send: {other['sends_per_s']} sends/s, "
            f"{other['ms_per_send_median']} ms a send (p99 {other['ms_per_send_p99']} ms)"
        )
    broadcast = result.get("broadcast_via_redis")
    if broadcast:
        print(
            f"broadcast, the sender's budget in Redis: {broadcast['delivered']}/"
            f"{broadcast['total']} in {broadcast['seconds']} s = {broadcast['msgs_per_s']} msg/s, "
            f"{broadcast['http_429']} × 429, {broadcast['duplicates']} duplicates"
        )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
