"""SQLite's write lock held by another process: the bot goes on answering, loses nothing.

    python -m bench.sqlite_lock [seconds ...]      (default: 8 40, the issue's two holds)

For each hold, a school runs against the emulator (polling, as ``safety-bot run`` does; the
clock at 14:30, a head teacher asked for the daily report). Another process (``python -c``
with sqlite3's ``BEGIN EXCLUSIVE``, as ``sqlite3 db 'BEGIN EXCLUSIVE'`` in a shell or a
backup would) takes the write lock and keeps it that long. Meanwhile the teacher presses
零报告 and, every half second, someone sends /help.

Per hold: ``help_max_s`` (the longest a /help waited for its answer while the lock was
held; before, the whole bot froze for the lock's length), ``press_stored_s`` (from the
press to its report stored: the lock's remaining time, then under a second), ``lost``
(updates sent and not stored as handled afterwards), ``errors`` (lines logged at ERROR), and
the lock's log lines. The last line printed is one JSON object.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.broadcast import bench_settings
from bot.core.clock import FakeClock
from bot.simulation import SimulatedSchool, simulated_school
from emulator.spec import BUNDLED_SPEC
from storage.models import Inbound, Submission

HOLD = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("ROLLBACK")
"""


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def count(school: SimulatedSchool, statement: Any) -> int:
    async with school.app.sessions() as session:
        return int(await session.scalar(statement) or 0)


def zero_button(school: SimulatedSchool, chat_id: int) -> tuple[int, str]:
    for message in reversed(school.world.chat(chat_id).messages_of_bot(school.world.bot().id)):
        view = message.view()
        for row in (view.get("reply_markup") or {}).get("inline_keyboard", []):
            for key in row:
                if key.get("callback_data", "").endswith(":zero"):
                    return int(view["message_id"]), str(key["callback_data"])
    raise LookupError("no 零报告 button")


async def one_hold(hold_s: float, folder: Path) -> dict[str, Any]:
    settings = bench_settings(folder)
    database = settings.database_url.split(":///", 1)[1]
    clock = FakeClock(dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC))
    lines = Lines()
    logging.getLogger().addHandler(lines)
    logging.getLogger().setLevel(logging.INFO)
    try:
        async with simulated_school(settings, clock, spec_path=BUNDLED_SPEC) as school:
            await school.admin("校长")
            teacher = await school.join("teacher", "3-1", "王老师")
            askers = [school.user(f"家长{n}") for n in range(int(hold_s * 2) + 2)]
            await school.at("2026-11-25 14:30")
            message_id, zero = zero_button(school, teacher.chat_id)
            inbound_before = await count(school, select(func.count(Inbound.id)))

            holder = subprocess.Popen(  # noqa: ASYNC220 - its start only: it prints at once
                [sys.executable, "-c", HOLD, database, str(hold_s)],
                stdout=subprocess.PIPE,
                text=True,
            )
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            started = time.monotonic()
            school.world.press_button(teacher.user_id, teacher.chat_id, message_id, zero)
            pressed = time.monotonic()
            waits: list[float] = []
            sent_n = 1  # the press
            for asker in askers:
                if holder.poll() is not None:
                    break
                asked = time.monotonic()
                school.world.user_send_text(asker.user_id, "/help")
                sent_n += 1
                while not school.sent_texts(asker.chat_id):
                    if time.monotonic() - asked > hold_s + 30:
                        break
                    await asyncio.sleep(0.005)
                if holder.poll() is None:  # answered while the lock was still held
                    waits.append(time.monotonic() - asked)
                await asyncio.sleep(max(0.0, 0.5 - (time.monotonic() - asked)))
            stored_at = None
            while time.monotonic() - started < hold_s + 60:
                if await count(school, select(func.count(Submission.id))) >= 1:
                    stored_at = time.monotonic()
                    break
                await asyncio.sleep(0.02)
            holder.wait(timeout=60)
            deadline = time.monotonic() + 30
            handled = 0
            while time.monotonic() < deadline:
                handled = await count(
                    school,
                    select(func.count(Inbound.id)).where(Inbound.handled.is_(True)),
                )
                if handled - inbound_before >= sent_n:
                    break
                await asyncio.sleep(0.05)
    finally:
        logging.getLogger().removeHandler(lines)
    asked_n = len(waits)
    lock_lines = [r.getMessage()[:160] for r in lines.records if r.name == "storage.sqlite_lock"]
    return {
        "hold_s": hold_s,
        "helps_during_lock": asked_n,
        "help_max_s": round(max(waits), 3) if waits else None,
        "help_p50_s": round(sorted(waits)[len(waits) // 2], 3) if waits else None,
        "press_stored_s": round(stored_at - pressed, 2) if stored_at else None,
        "updates_sent": sent_n,
        "lost": max(sent_n - (handled - inbound_before), 0),
        "errors": sum(r.levelno >= logging.ERROR for r in lines.records),
        "lock_log": lock_lines,
    }


async def main(holds: list[float]) -> list[dict[str, Any]]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, hold in enumerate(holds):
            row = await one_hold(hold, Path(tmp) / f"hold{n}")
            print(
                f"lock held {hold:.0f} s: {row['helps_during_lock']} /help answered meanwhile, "
                f"slowest {row['help_max_s']} s; the press stored {row['press_stored_s']} s "
                f"after it; lost {row['lost']}; errors logged {row['errors']}"
            )
            for line in row["lock_log"]:
                print("   ", line)
            results.append(row)
    return results


if __name__ == "__main__":
    shown = logging.StreamHandler()
    shown.setLevel(logging.WARNING)
    shown.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(handlers=[shown])
    holds = [float(a) for a in sys.argv[1:]] or [8.0, 40.0]
    rows = asyncio.run(main(holds))
    print(json.dumps({"holds": rows}, ensure_ascii=False))
