"""``python -m emulator``: run the Telegram Bot API emulator standalone."""

from __future__ import annotations

import argparse
import logging
import os

from .server import DEFAULT_TOKEN
from .spec import BUNDLED_SPEC
from .standalone import main


def run() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m emulator", description="Local Telegram Bot API emulator"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument(
        "--spec",
        dest="spec_path",
        default=str(BUNDLED_SPEC),
        help="path to the Bot API api.json (default: the bundled one)",
    )
    parser.add_argument("--no-flood", dest="flood", action="store_false", help="no 429s")
    parser.add_argument(
        "--verbose", action="store_true", help="log every request (tokens redacted)"
    )
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # The token comes from the environment, not argv, so it never shows in `ps` output.
    token = os.environ.get("SAFETY_BOT_EMULATOR_TOKEN", DEFAULT_TOKEN)
    main(args.host, args.port, args.spec_path, token, args.flood)


if __name__ == "__main__":
    run()
