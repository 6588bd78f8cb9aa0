"""The school of ``bench.ingest``, for the bench and the safety bot's process: its settings,
the prompt time, the seeding, and what was stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.ingest_wire import BOT_TOKEN
from bot.app import App, make_bot
from bot.core.settings import Settings, settings_from_dict
from bot.telegram_transport import TelegramTransport
from emulator.server import EmulatorServer
from scheduler.sender import Limits, OutboxSender
from storage import people
from storage import zero_report as incidents
from storage.models import Attachment, Person, Submission

CONFIG = Path(__file__).resolve().parents[1] / "config.toml"
PROMPT_AT = dt.datetime(2026, 11, 25, 14, 30)


def bench_settings(
    units: int, directory: Path, webhook_port: int = 8080, *, fast_sqlite: bool = True
) -> Settings:
    """The shipped school cut or padded to ``units`` reporting units, one bot per folder;
    ``fast_sqlite=False``: the stock aiosqlite and AsyncSession path."""
    raw = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    classes = raw["classes"][: min(units, len(raw["classes"]))]
    raw["classes"] = classes
    raw["departments"] = [
        {"slug": f"d{n:04d}", "name": f"部门{n}"} for n in range(1, units - len(classes) + 1)
    ]
    raw["education"]["enabled"] = False
    raw["inspections"]["checks"] = []  # they name the shipped departments, replaced above
    raw["storage"] = {
        **raw["storage"],
        "database_url": f"sqlite+aiosqlite:///{directory / 'bench.db'}",
        "media_dir": str(directory / "media"),
        "export_dir": str(directory / "exports"),
        "fast_sqlite": fast_sqlite,
    }
    raw["telegram"] = {
        **raw.get("telegram", {}),
        "webhook_url": f"http://127.0.0.1:{webhook_port}",
        "webhook_listen": "127.0.0.1",
        "webhook_port": webhook_port,
    }
    return settings_from_dict(raw, base_dir=directory)


async def staff_units(app: App, emu: EmulatorServer) -> list[int]:
    """One responsible person per unit (head teacher or staff), known to the bot and to the
    emulator, each having opened the chat with the bot; returns their Telegram user ids."""
    world = emu.world
    account = world.bot_by_token(BOT_TOKEN)
    assert account is not None
    user_ids = []
    async with app.sessions.begin() as session:
        for unit in await people.units(session, app.school_id):
            user = world.create_user(first_name=f"{unit.name}负责人")
            world._open_private_chat(account, user)  # noqa: SLF001
            person = Person(
                school_id=app.school_id,
                display_name=f"{unit.name}负责人",
                tg_user_id=user.id,
                unreachable=False,
                created_at=app.now(),
                roles=[],
            )
            session.add(person)
            await session.flush()
            role = "head_teacher" if unit.kind == "class" else "staff"
            await people.grant_role(session, person, role, unit.id, app.now())
            await people.remember_private_chat(session, app.school_id, person, user.id, app.now())
            user_ids.append(user.id)
    return user_ids


async def ask_everyone(app: App, api: str) -> None:
    """14:30: the prompts, sent without Telegram's pacing (the emulator has no flood limits)."""
    bot = make_bot(BOT_TOKEN, api, pace=False)
    try:
        sender = OutboxSender(
            app.sessions, TelegramTransport(bot), app.clock, Limits(1e6, 0.0, 20), None
        )
        app.sender = sender
        await app.tick()
        while await sender.drain(timeout_s=60):
            pass
    finally:
        sender.stop()
        app.sender = None
        await bot.session.close()


async def stored_replies(app: App) -> dict[str, Any]:
    """What the database holds after the run: zero reports, complete urgent incidents, photos
    (rows, and files on disk with the size the emulator served)."""
    async with app.sessions() as session:
        zero = await session.scalar(
            select(func.count(Submission.id)).where(
                Submission.kind == "button", Submission.text == "zero"
            )
        )
        reported = await session.scalar(
            select(func.count(incidents.Incident.id)).where(
                incidents.Incident.status == "open",
                incidents.Incident.text != "",
                incidents.Incident.place != "",
                incidents.Incident.severity == "urgent",
            )
        )
        attachments = (await session.scalars(select(Attachment))).all()
    on_disk = sum(1 for a in attachments if _file_holds(Path(a.path), a.sha256))
    return {
        "zero_reports": zero or 0,
        "incidents": reported or 0,
        "photos": len(attachments),
        "photo_files": on_disk,
    }


def _file_holds(path: Path, sha256: str) -> bool:
    return path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256
