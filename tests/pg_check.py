"""`make test` runs this first: PostgreSQL tests were asked for, so an unreachable server is an
error with a clear message, never a silent skip."""

from __future__ import annotations

import asyncio
import sys

import asyncpg


async def check(url: str) -> None:
    connection = await asyncpg.connect(
        url.replace("postgresql+asyncpg://", "postgresql://"), timeout=10
    )
    await connection.close()


def main() -> int:
    url = sys.argv[1]
    try:
        asyncio.run(check(url))
    except Exception as exc:
        print(
            f"PostgreSQL tests were requested but the server is unreachable ({url}): {exc}\n"
            "Start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)"
            " or run `make test PG=0` to test on SQLite only.",
            file=sys.stderr,
        )
        return 1
    print("PostgreSQL reachable: storage and end-to-end suites run on SQLite and PostgreSQL")
    return 0


if __name__ == "__main__":
    sys.exit(main())
