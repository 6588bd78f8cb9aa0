"""Broadcast benchmark: a notice to 1,000 parents through the emulator with Telegram's limits on.

    python -m bench.broadcast [parents] [--database-url URL]

The parents are seeded straight into a fresh database (SQLite in a temporary folder unless
``--database-url`` names another) and into the emulator's world, each with a private chat
with the bot. The notice is confirmed through the same service the /notice conversation uses
(one outbox row per parent, in one transaction), and the bot's own outbox sender delivers it
over real HTTP while the author's progress line is edited every couple of seconds.

For comparison the same emulator then takes a plain aiogram loop (``send_message`` for each
chat, sleeping ``retry_after`` on a 429): that is what a bot without an outbox would do.

``seconds`` runs from the sender's start to the emulator's record of the last delivery;
``msgs_per_s`` is delivered / seconds. The last line printed is one JSON object.
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
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter

from bot.app import App, attach_sender, close_app, make_bot, open_app
from bot.core.settings import Settings, settings_from_dict
from emulator.server import EmulatorServer
from emulator.spec import BUNDLED_SPEC
from emulator.world import World
from scheduler import notices as service
from scheduler.routine import Context
from storage import people
from storage.models import Chat, Person, Role
from storage.notices import Audience
from storage.pupils import Guardian, Pupil

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config.toml"
TOKEN = "777001:BENCH-broadcast-token-0123456789abcdef"
# Every 20th parent has a second child in another class: 1,000 parents get 1,050 messages,
# one per child (storage.notices.audience_members says why).
SECOND_CHILD_EVERY = 20
TEXT = "致家长的一封信：寒假安全\n请家长督促孩子遵守交通规则，不到冰面上玩耍，注意用电用气安全。"


def bench_settings(folder: Path, database_url: str = "", rate: float = 0.0) -> Settings:
    raw = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    if rate:
        raw["telegram"] = {**raw.get("telegram", {}), "messages_per_second": rate}
    raw["storage"] = {
        **raw.get("storage", {}),
        "database_url": database_url or f"sqlite+aiosqlite:///{folder / 'bench.db'}",
        "media_dir": str(folder / "media"),
        "export_dir": str(folder / "exports"),
    }
    return settings_from_dict(raw, base_dir=folder)


# --- seeding (also used by tests/e2e/test_notice_crash.py) ----------------------------------


@dataclass(frozen=True)
class Seeded:
    admin_person_id: int
    admin_chat_id: int
    parent_chat_ids: list[int]
    # chat → how many copies of the notice it should get (one per child; 1 without pupils)
    expected: dict[int, int] | None = None

    def wanted(self, chat_id: int) -> int:
        return (self.expected or {}).get(chat_id, 1)


def open_private_chat(world: World, name: str) -> int:
    """A user who has started the bot; the /start update is dropped (nobody needs to answer)."""
    user = world.create_user(first_name=name)
    world.user_send_text(user.id, "/start")
    world.bot().updates.clear()
    return int(user.id)


async def seed_parents(
    app: App, world: World, count: int, *, children: bool = False, second_every: int = 0
) -> Seeded:
    """An admin and ``count`` parents spread over the school's classes, straight into the
    database (storage models) and the emulator: a real join would cost two replies each.

    ``children``: each parent is the guardian of one pupil of their class (a notice then goes
    per child, storage.notices.audience_members); every ``second_every``-th parent also of a
    second pupil in the next class, so gets two messages."""
    now = app.now()
    admin_chat = open_private_chat(world, "校长")
    chats = [open_private_chat(world, f"家长{n:04d}") for n in range(count)]
    async with app.sessions.begin() as session:
        classes = await people.units(session, app.school_id, "class")
        admin = _person(app, "校长", admin_chat, "admin", None, now)
        parents = [
            _person(app, f"家长{n:04d}", chat, "parent", classes[n % len(classes)].id, now)
            for n, chat in enumerate(chats)
        ]
        session.add_all([admin, *parents])
        await session.flush()
        session.add_all(
            Chat(
                school_id=app.school_id,
                tg_chat_id=person.tg_user_id,
                kind="private",
                title="",
                person_id=person.id,
                unreachable=False,
                created_at=now,
            )
            for person in [admin, *parents]
        )
        expected: dict[int, int] = {}
        if children:
            links: list[tuple[Person, int]] = []
            for n, parent in enumerate(parents):
                links.append((parent, classes[n % len(classes)].id))
                if second_every and n % second_every == 0:
                    links.append((parent, classes[(n + 1) % len(classes)].id))
            pupils = [
                Pupil(
                    school_id=app.school_id,
                    unit_id=unit_id,
                    name=f"学生{k:04d}",
                    active=True,
                    created_at=now,
                )
                for k, (_, unit_id) in enumerate(links)
            ]
            session.add_all(pupils)
            await session.flush()
            session.add_all(
                Guardian(
                    school_id=app.school_id,
                    person_id=parent.id,
                    pupil_id=pupil.id,
                    relation="",
                    created_at=now,
                )
                for (parent, _), pupil in zip(links, pupils, strict=True)
            )
            for parent, _ in links:
                chat = parent.tg_user_id
                assert chat is not None
                expected[chat] = expected.get(chat, 0) + 1
        return Seeded(admin.id, admin_chat, chats, expected or None)


def _person(
    app: App, name: str, tg_id: int, role: str, unit_id: int | None, now: dt.datetime
) -> Person:
    return Person(
        school_id=app.school_id,
        display_name=name,
        tg_user_id=tg_id,
        unreachable=False,
        created_at=now,
        roles=[Role(role=role, unit_id=unit_id, created_at=now)],
    )


async def queue_notice(
    app: App,
    author_id: int,
    deadline: dt.datetime,
    *,
    progress: tuple[int, int] | None = None,
    text: str = TEXT,
) -> tuple[int, service.SendResult]:
    """Draft and confirm a whole-school notice with the services /notice uses."""
    ctx = Context(app.school_id, app.settings.school.language, app.tz)
    async with app.sessions.begin() as session:
        author = await session.get(Person, author_id)
        assert author is not None
        notice = await service.start_draft(session, app.school_id, author, text, app.now())
        notice.audience = Audience("school").to_json()
        notice.deadline_at = deadline
        result = await service.confirm_and_enqueue(
            session,
            ctx,
            app.settings.notices,
            notice,
            author,
            app.now(),
            progress_chat_id=progress[0] if progress else None,
            progress_message_id=progress[1] if progress else None,
        )
        return notice.id, result


# --- the two runs ----------------------------------------------------------------------------


@dataclass
class Figures:
    msgs_per_s: float
    http_429: int
    delivered: int
    total: int
    seconds: float
    duplicates: int = 0
    cpu_ms_per_msg: float = 0.0  # this process's CPU time (sender, database, emulator) per message

    def as_json(self) -> dict[str, Any]:
        return {
            "msgs_per_s": round(self.msgs_per_s, 2),
            "http_429": self.http_429,
            "delivered": self.delivered,
            "total": self.total,
            "seconds": round(self.seconds, 2),
        }


def _deliveries(world: World, seeded: Seeded) -> tuple[int, int, float]:
    """(copies of the notice delivered, up to one per child; extra copies; emulator time of
    the last one)."""
    delivered = duplicates = 0
    last = 0.0
    bot_id = world.bot().id
    for chat_id in seeded.parent_chat_ids:
        mine = [
            m for m in world.chat(chat_id).messages_of_bot(bot_id) if "寒假安全" in str(m.view())
        ]
        wanted = seeded.wanted(chat_id)
        delivered += min(len(mine), wanted)
        duplicates += max(len(mine) - wanted, 0)
    times = world.stats.send_times
    if times:
        last = max(times)
    return delivered, duplicates, last


async def run_outbox(app: App, emu: EmulatorServer, seeded: Seeded, timeout_s: float) -> Figures:
    bot = make_bot(TOKEN, emu.url)
    world = emu.world
    try:
        sender = attach_sender(app, bot)
        preview = await bot.send_message(seeded.admin_chat_id, "预览 / preview")
        await asyncio.sleep(1.1)  # the preview's second must not count against the broadcast
        emu.flood.reset()
        world.stats = type(world.stats)()
        deadline = app.now() + dt.timedelta(days=3)
        notice_id, result = await queue_notice(
            app,
            seeded.admin_person_id,
            deadline,
            progress=(seeded.admin_chat_id, preview.message_id),
        )
        ctx = Context(app.school_id, app.settings.school.language, app.tz)
        started, cpu_started = time.monotonic(), time.process_time()
        sending = asyncio.create_task(sender.run())
        follower = asyncio.create_task(
            service.follow_broadcast(
                app.sessions,
                app.clock,
                ctx,
                notice_id,
                sender.wake,
                app.settings.notices.progress_every_s,
            )
        )
        total = sum(seeded.wanted(c) for c in seeded.parent_chat_ids)
        while time.monotonic() - started < timeout_s:
            if sender.sent >= total + 1 and follower.done():
                break
            await asyncio.sleep(0.2)
        sender.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(sending, 5)
        follower.cancel()
        cpu = time.process_time() - cpu_started
        delivered, duplicates, last = _deliveries(world, seeded)
        seconds = max(last - started, 1e-9)
        return Figures(
            delivered / seconds,
            world.stats.responses.get(429, 0),
            delivered,
            result.reachable,
            seconds,
            duplicates,
            1000 * cpu / max(delivered, 1),
        )
    finally:
        await bot.session.close()


async def run_plain_loop(emu: EmulatorServer, chats: list[int]) -> Figures:
    """What a bot without an outbox does: send in a loop, sleep when Telegram says 429."""
    await asyncio.sleep(1.1)
    emu.flood.reset()
    world = emu.world
    world.stats = type(world.stats)()
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.url)))
    try:
        started = time.monotonic()
        for chat_id in chats:
            while True:
                try:
                    await bot.send_message(chat_id, "寒假安全（plain loop）")
                    break
                except TelegramRetryAfter as exc:
                    await asyncio.sleep(exc.retry_after)
        seconds = time.monotonic() - started
    finally:
        await bot.session.close()
    return Figures(
        len(chats) / seconds, world.stats.responses.get(429, 0), len(chats), len(chats), seconds
    )


async def run(
    parents: int = 1000,
    database_url: str = "",
    rate: float = 0.0,
    timeout_s: float = 300.0,
    second_every: int = SECOND_CHILD_EVERY,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-broadcast-") as folder:
        settings = bench_settings(Path(folder), database_url, rate)
        async with EmulatorServer(spec_path=BUNDLED_SPEC, token=TOKEN, flood=True) as emu:
            app = await open_app(settings)
            try:
                seeded = await seed_parents(
                    app, emu.world, parents, children=True, second_every=second_every
                )
                outbox_figures = await run_outbox(app, emu, seeded, timeout_s)
            finally:
                await close_app(app)
            plain = await run_plain_loop(emu, seeded.parent_chat_ids)
    return {
        **outbox_figures.as_json(),
        "duplicates": outbox_figures.duplicates,
        "cpu_ms_per_msg": round(outbox_figures.cpu_ms_per_msg, 2),
        "plain_loop": plain.as_json(),
        "database": "postgresql" if database_url.startswith("postgresql") else "sqlite",
        "parents": parents,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast")
    parser.add_argument("parents", nargs="?", type=int, default=1000)
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="[telegram].messages_per_second (default: config)"
    )
    parser.add_argument(
        "--second-every",
        type=int,
        default=SECOND_CHILD_EVERY,
        help="every Nth parent has a second child (0: one child each)",
    )
    args = parser.parse_args(argv)
    result = asyncio.run(
        run(args.parents, args.database_url, args.rate, second_every=args.second_every)
    )
    plain = result["plain_loop"]
    print(
        f"parents: {result['parents']}, messages (one per child): {result['total']} "
        f"({result['database']}), Telegram's limits on"
    )
    print(
        f"outbox sender:     {result['delivered']}/{result['total']} delivered in "
        f"{result['seconds']:.1f} s = {result['msgs_per_s']:.2f} msg/s, "
        f"{result['http_429']} × 429, {result['duplicates']} duplicates, "
        f"{result['cpu_ms_per_msg']:.1f} ms CPU per message"
    )
    print(
        f"plain aiogram loop: {plain['delivered']}/{plain['total']} delivered in "
        f"{plain['seconds']:.1f} s = {plain['msgs_per_s']:.2f} msg/s, {plain['http_429']} × 429"
    )
    print(
        json.dumps(
            {k: result[k] for k in ("msgs_per_s", "http_429", "delivered", "total", "seconds")}
            | {"plain_loop": plain}
        )
    )
    return 0 if result["delivered"] == result["total"] and result["http_429"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
