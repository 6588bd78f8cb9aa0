"""`make test` runs this first when REDIS=1 (the default): Redis tests were asked for, so an
unreachable server is an error with a clear message, never a silent skip. The tests read
SAFETY_BOT_TEST_REDIS_URL and skip without it (``make test REDIS=0``)."""

from __future__ import annotations

import asyncio
import sys


async def check(url: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=5)
    try:
        await client.ping()
    finally:
        await client.aclose()


def main() -> int:
    url = sys.argv[1]
    try:
        asyncio.run(check(url))
    except Exception as exc:
        print(
            f"Redis tests were requested but the server is unreachable ({url}): {exc}\n"
            'Start it (redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save ""'
            " --appendonly no) or run `make test REDIS=0` to skip the Redis tests.",
            file=sys.stderr,
        )
        return 1
    print("Redis reachable: the shared flood budget and the workers' FSM are tested against it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
