"""Faults benchmark: a notice to parents through the emulator while it misbehaves as Telegram
can, with the bot's real outbox sender over real HTTP.

    python -m bench.faults [--scale S] [--full] [--database-url URL]

One row per fault, each on a fresh emulator and database:

- ``ambiguous_drop``: 5 % of sendMessage calls are carried out, then the connection is
  dropped (Telegram's ambiguous timeout), 1,000 parents;
- ``slow_answer``: one answer comes after longer than the request timeout (Telegram's 65 s
  against our 20 s, scaled), while the others go on;
- ``outage_502``: every call answers 502 for a period (30 s here unless ``--outage-s``; the
  issue's 300 s with ``--full``, which also makes the slow answer the issue's 65 s; the suite
  replays it scaled to 1 s, tests/test_delivery_faults.py), then Telegram is back;
- ``outage_past_deadline``: 502 until the notice's deadline has passed: nothing can go;
- ``blocks``: 100 injected 403s and 20 parents who really blocked the bot.

Per row: ``delivered`` (parents with the notice), ``uncertain`` (rows held: sent, no
answer), ``duplicates`` (extra copies), ``lost`` (rows neither sent, uncertain, unreachable
nor expired with an admin alert; or marked sent with no copy arrived), ``failed_with_alert``,
``unreachable``, ``seconds``, ``stall_s`` (the longest gap between two deliveries) and
``fault_s`` (how long the outage or the slow answer lasted). The last line printed is one
JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import select

from bench.broadcast import TOKEN, bench_settings, queue_notice, seed_parents
from bot.app import App, close_app, make_bot, open_app
from bot.telegram_transport import REQUEST_TIMEOUT_S, TelegramTransport
from emulator.server import EmulatorServer
from emulator.spec import BUNDLED_SPEC
from scheduler.sender import MAX_BACKOFF_S, Limits, OutboxSender
from storage import people
from storage.models import Outbox

MARK = "寒假安全"  # in bench.broadcast.TEXT
ISSUE_OUTAGE_S = 300.0  # issue 15's table: 502 for 300 s
ISSUE_SLOW_ANSWER_S = 65.0  # one answer delayed 65 s


@dataclass(frozen=True)
class Timing:
    """Real figures by default; the test suite scales them down to run in seconds."""

    request_timeout_s: float = REQUEST_TIMEOUT_S
    slow_answer_s: float = 25.0  # > the request timeout, as 65 s is > aiogram's 60 s
    outage_s: float = 30.0
    max_backoff_s: float = MAX_BACKOFF_S
    deadline_s: float = 20.0  # outage_past_deadline: the notice's deadline from its sending
    flood: bool = True  # Telegram's limits on in the emulator, the sender's own limits
    settle_timeout_s: float = 300.0


@dataclass
class Row:
    fault: str
    parents: int
    delivered: int = 0
    uncertain: int = 0
    duplicates: int = 0
    lost: int = 0
    failed_with_alert: int = 0
    unreachable: int = 0
    seconds: float = 0.0
    stall_s: float = 0.0
    fault_s: float = 0.0


Inject = Callable[[EmulatorServer, list[int], Timing], Awaitable[None]]


async def _ambiguous_drop(emu: EmulatorServer, chats: list[int], timing: Timing) -> None:
    emu.faults.clear(seed=15)
    emu.add_fault("process_drop", "sendMessage", probability=0.05)


async def _slow_answer(emu: EmulatorServer, chats: list[int], timing: Timing) -> None:
    emu.add_fault("delay", "sendMessage", chat_id=chats[0], seconds=timing.slow_answer_s, times=1)


async def _outage(emu: EmulatorServer, chats: list[int], timing: Timing) -> None:
    emu.add_fault("status", "sendMessage", status=502, for_seconds=timing.outage_s)


async def _outage_forever(emu: EmulatorServer, chats: list[int], timing: Timing) -> None:
    emu.add_fault("status", "sendMessage", status=502)


async def _blocks(emu: EmulatorServer, chats: list[int], timing: Timing) -> None:
    injected, real = chats[:-20][:100], chats[-20:]
    for chat in injected:
        emu.add_fault("block", "sendMessage", chat_id=chat, times=1)
    for chat in real:
        emu.world.block_bot(chat)


FAULTS: dict[str, tuple[int, Inject]] = {
    "ambiguous_drop": (1000, _ambiguous_drop),
    "slow_answer": (100, _slow_answer),
    "outage_502": (100, _outage),
    "outage_past_deadline": (100, _outage_forever),
    "blocks": (120, _blocks),
}


async def run_fault(
    name: str, parents: int, folder: Path, timing: Timing = Timing(), database_url: str = ""
) -> Row:
    inject = FAULTS[name][1]
    settings = bench_settings(folder / name, database_url)
    (folder / name).mkdir(exist_ok=True)
    async with EmulatorServer(spec_path=BUNDLED_SPEC, token=TOKEN, flood=timing.flood) as emu:
        app = await open_app(settings)
        # Without the emulator's flood limits, the session's own 30-a-second pacing would be
        # the only stall measured (a 1 s gap after every 30th parent), not the fault's.
        bot = make_bot(TOKEN, emu.url, pace=timing.flood)
        try:
            seeded = await seed_parents(app, emu.world, parents)
            sender = app.sender = OutboxSender(
                app.sessions,
                TelegramTransport(bot, timing.request_timeout_s),
                app.clock,
                Limits() if timing.flood else Limits(1e6, 0.0, 20),
                lambda row: _unreachable(app, row),
                max_backoff_s=timing.max_backoff_s,
            )
            await inject(emu, seeded.parent_chat_ids, timing)
            deadline_s = timing.deadline_s if name == "outage_past_deadline" else 3 * 86400
            notice_id, _ = await queue_notice(
                app, seeded.admin_person_id, app.now() + dt.timedelta(seconds=deadline_s)
            )
            started = time.monotonic()
            sending = asyncio.create_task(sender.run())
            try:
                await _settled(app, notice_id, started + timing.settle_timeout_s)
            finally:
                sender.stop()
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(sending, timing.request_timeout_s + 5)
            await app.tick()  # the tick that tells the admins what expired unsent
            row = await _figures(app, emu, name, notice_id, seeded.parent_chat_ids)
            row.seconds = round(time.monotonic() - started, 2)
            row.fault_s = {"slow_answer": timing.slow_answer_s, "outage_502": timing.outage_s}.get(
                name, 0.0
            )
            return row
        finally:
            await bot.session.close()
            await close_app(app)


async def _unreachable(app: App, row: Outbox) -> None:
    async with app.sessions.begin() as session:
        await people.mark_unreachable(session, row.school_id, row.tg_chat_id)


async def _parent_rows(app: App, notice_id: int) -> list[Outbox]:
    async with app.sessions() as session:
        rows = await session.scalars(
            select(Outbox).where(
                Outbox.key.startswith(f"notice:{notice_id}:"), Outbox.person_id.is_not(None)
            )
        )
        return [r for r in rows.all() if r.key.count(":") == 2]


async def _settled(app: App, notice_id: int, give_up_at: float) -> None:
    while time.monotonic() < give_up_at:
        rows = await _parent_rows(app, notice_id)
        if rows and all(r.status not in ("pending", "sending") for r in rows):
            return
        await asyncio.sleep(0.2)


async def _figures(
    app: App, emu: EmulatorServer, name: str, notice_id: int, chats: list[int]
) -> Row:
    world = emu.world
    bot_id = world.bot().id
    copies = {
        chat: sum(MARK in str(m.view()) for m in world.chat(chat).messages_of_bot(bot_id))
        for chat in chats
    }
    rows = await _parent_rows(app, notice_id)
    async with app.sessions() as session:
        alerted = bool(
            (
                await session.scalars(
                    select(Outbox.id).where(Outbox.key.startswith("lost:notice:"))
                )
            ).first()
        )
    row = Row(name, len(chats))
    row.delivered = sum(n > 0 for n in copies.values())
    row.duplicates = sum(max(n - 1, 0) for n in copies.values())
    for outbox_row in rows:
        match outbox_row.status:
            case "sent":
                row.lost += copies.get(outbox_row.tg_chat_id, 0) == 0
            case "uncertain":
                row.uncertain += 1
            case "unreachable":
                row.unreachable += 1
            case "expired" if alerted and outbox_row.attempts > 0:
                row.failed_with_alert += 1
            case _:
                row.lost += 1
    times = sorted(world.stats.send_times)
    row.stall_s = round(max((b - a for a, b in zip(times, times[1:], strict=False)), default=0), 2)
    return row


async def run(
    names: list[str], scale: float = 1.0, timing: Timing = Timing(), database_url: str = ""
) -> list[Row]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as folder:
        for name in names:
            parents = max(int(FAULTS[name][0] * scale), 25)
            rows.append(await run_fault(name, parents, Path(folder), timing, database_url))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults")
    parser.add_argument("faults", nargs="*", help=f"some of {', '.join(FAULTS)} (default: all)")
    parser.add_argument("--scale", type=float, default=1.0, help="parents per row × this")
    parser.add_argument("--outage-s", type=float, default=Timing.outage_s)
    parser.add_argument(
        "--full",
        action="store_true",
        help="the issue's own figures: a 300 s outage, a 65 s slow answer (minutes per row)",
    )
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)
    unknown = set(args.faults) - set(FAULTS)
    if unknown:
        parser.error(f"unknown faults: {', '.join(sorted(unknown))}")
    timing = (
        Timing(
            outage_s=ISSUE_OUTAGE_S,
            slow_answer_s=ISSUE_SLOW_ANSWER_S,
            # past the outage: the last retry waits up to the backoff cap, then the sends
            settle_timeout_s=ISSUE_OUTAGE_S + 300,
        )
        if args.full
        else Timing(outage_s=args.outage_s)
    )
    rows = asyncio.run(run(args.faults or list(FAULTS), args.scale, timing, args.database_url))
    print(
        f"{'fault':<22}{'parents':>8}{'delivered':>10}{'uncertain':>10}{'duplicates':>11}"
        f"{'lost':>6}{'failed+alert':>13}{'unreachable':>12}{'seconds':>9}{'stall_s':>8}"
    )
    for r in rows:
        print(
            f"{r.fault:<22}{r.parents:>8}{r.delivered:>10}{r.uncertain:>10}{r.duplicates:>11}"
            f"{r.lost:>6}{r.failed_with_alert:>13}{r.unreachable:>12}{r.seconds:>9}{r.stall_s:>8}"
            + (f"  ({r.fault_s:.0f} s)" if r.fault_s else "")
        )
    print(json.dumps({r.fault: {k: v for k, v in asdict(r).items() if k != "fault"} for r in rows}))
    drop = next((r for r in rows if r.fault == "ambiguous_drop"), None)
    ok = all(r.lost == 0 for r in rows) and (drop is None or drop.duplicates * 1000 <= drop.parents)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
