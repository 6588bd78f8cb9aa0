"""``safety-bot demo``: a school day in seconds, against the local emulator, no token needed."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import func, select

from bot.core.clock import FakeClock
from bot.core.settings import Settings, settings_from_dict
from bot.demo_scenes import SCENES
from bot.demo_scenes.bus_drills import with_buses_and_drill
from bot.simulation import SimPerson, SimulatedSchool, Timeline, simulated_school
from emulator.spec import BUNDLED_SPEC
from storage import people
from storage.models import Attachment, AuditLog, Chat, Outbox, Person, Submission, Task

STEP = dt.timedelta(minutes=10)
STAFF = {
    "食堂员工": ("staff", "canteen"),
    "总务员工": ("staff", "general"),
    "门卫": ("staff", "guard"),
    "保安甲": ("guard", None),
    "保安乙": ("guard", None),
    "教师甲": ("teacher", None),
    "教师乙": ("teacher", None),
    "教师丙": ("teacher", None),
}


async def run_demo(settings: Settings, out: Path, speed: float | None) -> int:
    console = Console(highlight=False)
    demo_settings = _demo_settings(settings, out)
    start = dt.datetime.combine(settings.demo.date, dt.time(7, 0), settings.school.tz)
    clock = FakeClock(start)
    spec = BUNDLED_SPEC
    console.rule(f"[bold]safety-bot demo · {settings.school.name} · {settings.demo.date}")
    console.print(
        f"Bot API emulator: validating against {spec}"
        "; Telegram's flood limits on; the clock jumps through the day."
    )
    async with simulated_school(demo_settings, clock, spec_path=spec, flood=True) as school:
        await populate(school, console)
        view = LiveView(school, console, pause=_pause_for(speed))
        await view.refresh()
        school.timeline = Timeline(school, step=STEP, on_step=view.refresh)
        chosen = SCENES
        results = await school.timeline.run([scene(school, view.log) for _, scene in chosen])
        await view.refresh()
        written = await write_record_book(school, out)
        await summary(school, console, [line for lines in results for line in lines], out, written)
    return 0


def _pause_for(speed: float | None) -> float:
    # --speed N: N school seconds per real second; by default a 10-minute step takes 0.05 s.
    return STEP.total_seconds() / speed if speed else 0.05


def _demo_settings(settings: Settings, out: Path) -> Settings:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    raw = settings.model_dump(mode="json", exclude={"base_dir"})
    raw["storage"] = {
        **raw["storage"],
        "database_url": f"sqlite+aiosqlite:///{out.resolve() / 'demo.db'}",
        "media_dir": str(out.resolve() / "media"),
        "export_dir": str(out.resolve() / "exports"),
    }
    # A bus day and the month's drill (the demo's own when config.toml has none), so the
    # demo shows a missing child alert and a drill's headcounts.
    return with_buses_and_drill(settings_from_dict(raw, base_dir=settings.base_dir))


async def populate(school: SimulatedSchool, console: Console) -> None:
    """The school's people: the principal bootstraps, the rest join through invite links."""
    admin = await school.admin("校长")
    school.people["值班领导"] = await school.join("leader", None, "值班领导")
    specs: list[tuple[str, str, str | None]] = []
    for cls in school.settings.classes:
        specs.append((f"班主任{cls.slug}", "head_teacher", cls.slug))
        specs += [
            (f"家长{cls.slug}-{n}", "parent", cls.slug)
            for n in range(1, school.settings.demo.parents_per_class + 1)
        ]
    specs += [(name, role, unit) for name, (role, unit) in STAFF.items()]
    classes = school.settings.classes
    async with SeedProgress(school, console, people=len(specs) + 2, groups=len(classes)):
        await join_many(school, specs)
        await bind_many(school, [(c.slug, school.people[f"班主任{c.slug}"]) for c in classes])
    joined = len({person.user_id for person in school.people.values()})  # "admin" is 校长 too
    console.print(
        f"[green]Joined:[/] {joined} people ({admin.name} bootstrapped with the "
        f"one-time code), {len(school.groups)} class groups bound with /bind"
    )


async def join_many(school: SimulatedSchool, specs: list[tuple[str, str, str | None]]) -> None:
    """Many invites at once: links made by the service, each opened by its person."""
    app = school.app
    async with app.sessions.begin() as session:
        tokens = []
        for name, role, slug in specs:
            unit = await people.find_unit(session, app.school_id, slug) if slug else None
            token, _ = await people.create_invite(
                session,
                app.school_id,
                role,
                unit.id if unit else None,
                None,
                app.now(),
                dt.timedelta(hours=1),
                1,
            )
            tokens.append((name, token))
    for name, token in tokens:
        person = school.user(name)
        school.world.user_send_text(person.user_id, f"/start {token}")
    await school.settle(timeout_s=120)
    async with app.sessions() as session:
        for name, _ in tokens:
            found = await people.person_by_tg(session, app.school_id, school.people[name].user_id)
            school.people[name].person_id = found.id if found else None


async def bind_many(school: SimulatedSchool, teachers: list[tuple[str, SimPerson]]) -> None:
    """Every class group made and the bot added, then every /bind: one by one, each /bind's
    answer waited a second for its group's slot after the bot's greeting (25 s in all)."""
    chats = [(school.new_class_group(slug, teacher), slug, teacher) for slug, teacher in teachers]
    for chat_id, slug, teacher in chats:
        school.world.user_send_text(teacher.user_id, f"/bind {slug}", chat_id=chat_id)
    await school.settle(timeout_s=120)


class SeedProgress:
    """ "Seeding the demo school: 40/106 people joined, 0/24 class groups bound …" while the
    school is seeded, so seconds without output do not look like a hang: one line rewritten
    in place on a terminal, a line every few seconds in a log."""

    def __init__(self, school: SimulatedSchool, console: Console, people: int, groups: int):
        self.school = school
        self.console = console
        self.people = people
        self.groups = groups
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> SeedProgress:
        self._task = asyncio.create_task(self._show())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _show(self) -> None:
        if not self.console.is_terminal:
            while True:
                self.console.print(await self._line())
                await asyncio.sleep(3.0)
        with self.console.status(await self._line()) as status:
            while True:
                await asyncio.sleep(0.5)
                status.update(await self._line())

    async def _line(self) -> str:
        app = self.school.app
        async with app.sessions() as session:
            joined = await session.scalar(
                select(func.count(Person.id)).where(Person.school_id == app.school_id)
            )
            bound = await session.scalar(
                select(func.count(Chat.id)).where(Chat.unit_id.is_not(None), Chat.kind != "private")
            )
        return (
            f"Seeding the demo school: {joined}/{self.people} people joined, "
            f"{bound}/{self.groups} class groups bound …"
        )


class LiveView:
    """Prints, after each step of the clock, what the bot sent since the last step."""

    def __init__(self, school: SimulatedSchool, console: Console, pause: float) -> None:
        self.school = school
        self.console = console
        self.pause = pause
        self.seen: dict[int, int] = {}
        self.names = {p.user_id: n for n, p in school.people.items()}
        self.names |= {chat: f"{slug} 班级群" for slug, chat in school.groups.items()}
        self.pending_logs: list[str] = []

    def log(self, line: str) -> None:
        self.pending_logs.append(line)

    async def refresh(self) -> None:
        now = self.school.clock.now().astimezone(self.school.settings.school.tz).strftime("%H:%M")
        for line in self.pending_logs:
            self.console.print(f"[dim]{now}[/] [cyan]← {line}[/]")
        self.pending_logs.clear()
        bot_id = self.school.world.bot().id
        new: list[tuple[str, str]] = []
        for chat in self.school.world.chats():
            mine = chat.messages_of_bot(bot_id)
            before = self.seen.get(chat.id, 0)
            self.seen[chat.id] = len(mine)
            for message in mine[before:]:
                text = message.data.get("text") or message.data.get("caption") or "[file]"
                new.append((self.names.get(chat.id, str(chat.id)), text.splitlines()[0][:70]))
        for who, first_line in new[:12]:
            self.console.print(f"[dim]{now}[/] [yellow]→ {who}:[/] {first_line}")
        if len(new) > 12:
            self.console.print(f"[dim]{now}[/] [yellow]→ … and {len(new) - 12} more messages[/]")
        await asyncio.sleep(self.pause)


async def write_record_book(school: SimulatedSchool, out: Path) -> list[Path]:
    """The day's record book (台账) as an inspector would ask for it: .xlsx and .docx."""
    from scheduler.exports import kind_namer
    from storage.exports import export_records

    day = school.settings.demo.date
    return await export_records(
        school.app.sessions,
        school.app.school_id,
        day,
        day,
        out / "exports",
        kind_name=kind_namer("zh"),
    )


async def summary(
    school: SimulatedSchool, console: Console, lines: list[str], out: Path, written: list[Path]
) -> None:
    async with school.app.sessions() as session:
        status = dict(
            (
                await session.execute(
                    select(Task.status, func.count(Task.id)).group_by(Task.status)
                )
            ).all()
        )
        sent = await session.scalar(select(func.count(Outbox.id)).where(Outbox.status == "sent"))
        submissions = await session.scalar(select(func.count(Submission.id)))
        photos = await session.scalar(select(func.count(Attachment.id)))
        audits = await session.scalar(select(func.count(AuditLog.id)))
    stats: Any = school.world.stats
    console.rule("[bold]Summary")
    for line in lines:
        console.print(f"• {line}")
    console.print(f"• tasks by status: {status}")
    console.print(
        f"• messages sent through the outbox: {sent}; by the bot in all: {stats.messages_sent}; "
        f"429 answers from the emulator: {stats.responses.get(429, 0)}"
    )
    console.print(
        f"• submissions kept: {submissions} ({photos} photos); audit log entries: {audits}"
    )
    console.print(
        f"• files written under {out}/: demo.db (the record), media/ (photos by sha256),"
        " and the record book:"
    )
    for path in written:
        console.print(f"  - {path}")


__all__ = ["SimPerson", "run_demo"]
