"""A simulated school: the bot running against the local Bot API emulator, and people in it.

The demo and the end-to-end tests both use it. The bot talks real HTTP to the emulator
(polling, sending, downloading files); simulated people act on the emulator's world, as a
Telegram client would.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from aiohttp import web
from sqlalchemy import func, select

from bot.app import App, close_app, make_bot, open_app
from bot.core.clock import Clock, FakeClock
from bot.core.settings import Settings
from bot.dispatching import make_dispatcher
from bot.runner import (
    check_bot,
    register_commands,
    setup_code_if_needed,
    start_sender,
    start_webhook,
)
from emulator.server import EmulatorServer
from storage.models import Outbox

TOKEN = "424242:SIMULATED-school-bot-token-0123456789"
WEBHOOK_SECRET = "simulated-school-webhook-secret"
LINK_RE = re.compile(r"start=([A-Za-z0-9_-]+)")


@dataclass
class SimPerson:
    name: str
    user_id: int
    person_id: int | None = None

    @property
    def chat_id(self) -> int:
        """The private chat with the bot has the user's id, as in Telegram."""
        return self.user_id


@dataclass
class SimulatedSchool:
    settings: Settings
    clock: Clock
    emu: EmulatorServer
    app: App
    bot: Bot | None
    dispatcher: Dispatcher | None
    fsm_storage: BaseStorage | None = None
    people: dict[str, SimPerson] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)
    flood: bool = False  # the emulator enforces Telegram's limits, so the bot paces itself
    webhook: bool = False  # updates by webhook, as `safety-bot run --webhook`, not polling
    token: str = TOKEN  # another school on the same database has a bot of its own
    timeline: Timeline | None = None
    _polling: asyncio.Task[None] | None = None
    _sending: asyncio.Task[None] | None = None
    _webhook_server: web.AppRunner | None = None

    # -- people ---------------------------------------------------------------------------

    @property
    def world(self) -> Any:
        return self.emu.world

    def user(self, name: str, language: str = "zh-hans") -> SimPerson:
        user = self.world.create_user(first_name=name, language_code=language)
        person = SimPerson(name, user.id)
        self.people[name] = person
        return person

    async def admin(self, name: str = "校长") -> SimPerson:
        """The first admin, through the one-time setup code."""
        code = await setup_code_if_needed(self.app)
        if code is None:
            raise RuntimeError("the school already has an admin")
        person = self.user(name)
        await self.say(person, f"/start {code}")
        await self._learn_person_id(person)
        self.people.setdefault("admin", person)
        return person

    async def join(
        self,
        role: str,
        unit: str | None,
        name: str,
        *,
        by: SimPerson | None = None,
        language: str = "zh-hans",
    ) -> SimPerson:
        """An admin makes an invite; the new person opens the deep link."""
        inviter = by or self.people["admin"]
        token = await self.invite(inviter, role, unit)
        person = self.user(name, language)
        await self.say(person, f"/start {token}")
        await self._learn_person_id(person)
        return person

    async def invite(self, inviter: SimPerson, role: str, unit: str | None) -> str:
        before = len(await self.received(inviter.chat_id))
        await self.say(inviter, f"/invite {role} {unit or ''}".strip())
        replies = (await self.received(inviter.chat_id))[before:]
        for message in reversed(replies):
            found = LINK_RE.search(message.get("text", ""))
            if found:
                return found.group(1)
        raise RuntimeError(f"no invite link in the replies: {replies!r}")

    async def class_group(self, unit: str, head_teacher: SimPerson) -> int:
        """A class group with its head teacher; the bot is added and the group bound."""
        chat_id = self.new_class_group(unit, head_teacher)
        await self.say(head_teacher, f"/bind {unit}", chat=chat_id)
        return chat_id

    def new_class_group(self, unit: str, head_teacher: SimPerson) -> int:
        """A class group with its head teacher and the bot in it, not bound yet."""
        chat = self.world.create_group(
            f"{unit} 班级群", member_ids=[head_teacher.user_id], creator_id=head_teacher.user_id
        )
        self.world.add_bot_to_group(chat.id, by_user_id=head_teacher.user_id)
        self.groups[unit] = chat.id
        return int(chat.id)

    async def _learn_person_id(self, person: SimPerson) -> None:
        from storage.people import person_by_tg

        async with self.app.sessions() as session:
            found = await person_by_tg(session, self.app.school_id, person.user_id)
        person.person_id = found.id if found else None

    # -- acting ---------------------------------------------------------------------------

    async def say(
        self, person: SimPerson, text: str, chat: int | None = None, reply_to: int | None = None
    ) -> dict[str, Any]:
        stored = self.world.user_send_text(
            person.user_id, text, chat_id=chat, reply_to_message_id=reply_to
        )
        await self.settle()
        return dict(stored.data)

    async def press(self, person: SimPerson, chat: int, message_id: int, data: str) -> None:
        self.world.press_button(person.user_id, chat, message_id, data)
        await self.settle()

    async def photo(
        self,
        person: SimPerson,
        data: bytes,
        chat: int | None = None,
        caption: str | None = None,
        media_group_id: str | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        stored = self.world.user_send_photo(
            person.user_id,
            data,
            caption=caption,
            media_group_id=media_group_id,
            chat_id=chat,
            reply_to_message_id=reply_to,
        )
        await self.settle()
        return dict(stored.data)

    async def send_document(
        self,
        person: SimPerson,
        data: bytes,
        filename: str,
        chat: int | None = None,
        caption: str | None = None,
    ) -> dict[str, Any]:
        stored = self.world.user_send_document(
            person.user_id, data, filename, caption=caption, chat_id=chat
        )
        await self.settle()
        return dict(stored.data)

    async def sticker(self, person: SimPerson, chat: int | None = None) -> None:
        self.world.user_send_sticker(person.user_id, chat_id=chat)
        await self.settle()

    async def received(self, chat_id: int) -> list[dict[str, Any]]:
        """What the bot sent to a chat, in order, as it looks now (after edits)."""
        chat = self.world.chat(chat_id)
        return [m.view() for m in chat.messages_of_bot(self.world.bot().id)]

    def sent_texts(self, chat_id: int) -> list[str]:
        """The text (or caption) of everything the bot sent to a chat, in order."""
        chat = self.world.chat(chat_id)
        return [
            m.data.get("text") or m.data.get("caption") or ""
            for m in chat.messages_of_bot(self.world.bot().id)
        ]

    def last_button(self, message: dict[str, Any], prefix: str = "") -> str:
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data", "")
                if data.startswith(prefix):
                    return str(data)
        raise LookupError(f"no button starting with {prefix!r} in {message!r}")

    # -- time -----------------------------------------------------------------------------

    async def at(self, local_time: str) -> None:
        """Move a FakeClock to a school-local time ('2026-11-25 15:20'), tick, settle.

        Under a Timeline (the demo), wait instead until the shared clock reaches that time.
        """
        if not isinstance(self.clock, FakeClock):
            raise TypeError("at() needs a FakeClock")
        moment = dt.datetime.fromisoformat(local_time).replace(tzinfo=self.settings.school.tz)
        if self.timeline is not None:
            await self.timeline.wait_until(moment)
            return
        if moment < self.clock.now():
            raise ValueError(f"time runs forward: {local_time} is before the clock")
        await self.advance_to(moment)

    async def advance_to(self, moment: dt.datetime) -> None:
        assert isinstance(self.clock, FakeClock)
        self.clock.set(max(moment, self.clock.now()))
        await self.app.tick()
        await self.settle()

    async def settle(self, timeout_s: float = 20.0) -> None:
        """Until the bot has handled every update and the outbox has nothing ready to send."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        bot_account = self.world.bot()
        quiet_rounds = 0
        while loop.time() < deadline:
            busy = len(bot_account.updates) > 0 or await self._outbox_ready() > 0
            quiet_rounds = 0 if busy else quiet_rounds + 1
            if quiet_rounds >= 3:
                return
            await asyncio.sleep(0.01)
        raise TimeoutError("the simulated school did not settle")

    async def _outbox_ready(self) -> int:
        async with self.app.sessions() as session:
            count = await session.scalar(
                select(func.count(Outbox.id)).where(
                    Outbox.status.in_(("pending", "sending")),
                    Outbox.send_after <= self.clock.now(),
                )
            )
        return int(count or 0)

    # -- running --------------------------------------------------------------------------

    async def start_bot(self) -> None:
        self.bot = make_bot(self.token, self.emu.url, pace=self.flood)
        await check_bot(self.app, self.bot)
        await register_commands(self.bot)
        # As `safety-bot run` starts it (bot/serve.py), but for the scheduler: the
        # simulation moves its own clock and ticks after each move.
        self._sending = await start_sender(self.app, self.bot)
        self.dispatcher = make_dispatcher(self.app, self.fsm_storage)
        if self.webhook:
            port = _free_port()
            telegram = self.settings.telegram.model_copy(
                update={"webhook_url": f"http://127.0.0.1:{port}", "webhook_port": port}
            )
            self._webhook_server = await start_webhook(
                telegram, self.bot, self.dispatcher, WEBHOOK_SECRET
            )
            return
        self._polling = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot,
                handle_signals=False,
                close_bot_session=False,
                handle_as_tasks=False,
                polling_timeout=1,
            ),
            name="sim-polling",
        )

    async def stop_bot(self) -> None:
        if self.app.sender is not None:
            self.app.sender.stop()
        if self._webhook_server is not None:
            assert self.bot is not None
            await self.bot.delete_webhook()
            await self._webhook_server.cleanup()
            self._webhook_server = None
        elif self.dispatcher is not None:
            with contextlib.suppress(RuntimeError):
                await self.dispatcher.stop_polling()
        for task in (self._polling, self._sending):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self.bot is not None:
            await self.bot.session.close()

    async def restart(self) -> None:
        """Stop the bot and start a new one on the same database, emulator and FSM storage."""
        await self.stop_bot()
        await self.start_bot()
        await self.app.tick()
        await self.settle()


class Timeline:
    """Several scripted actors on one clock: each ``await school.at(t)`` parks its actor; when
    every actor is parked or finished, the clock jumps to the earliest requested time."""

    def __init__(
        self, school: SimulatedSchool, step: dt.timedelta | None = None, on_step: Any = None
    ) -> None:
        self.school = school
        self.step = step  # also stop at every step, so the live view shows time passing
        self.on_step = on_step
        self._waiting: list[tuple[dt.datetime, int, asyncio.Future[None]]] = []
        self._active = 0
        self._counter = 0
        self._wake = asyncio.Event()

    async def run(self, actors: list[Any]) -> list[Any]:
        self._active = len(actors)
        tasks = [asyncio.create_task(self._actor(a)) for a in actors]
        driver = asyncio.create_task(self._drive())
        try:
            return list(await asyncio.gather(*tasks))
        finally:
            driver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await driver

    async def _actor(self, actor: Any) -> Any:
        try:
            return await actor
        finally:
            self._active -= 1
            self._wake.set()

    async def wait_until(self, moment: dt.datetime) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._counter += 1
        self._waiting.append((moment, self._counter, future))
        self._wake.set()
        await future

    async def _drive(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._waiting or len(self._waiting) < self._active:
                continue  # someone is still acting
            self._waiting.sort(key=lambda w: (w[0], w[1]))
            target = self._waiting[0][0]
            now = self.school.clock.now()
            if self.step is not None and target - now > self.step:
                target = now + self.step
            await self.school.advance_to(target)
            if self.on_step is not None:
                await self.on_step()
            due = [w for w in self._waiting if w[0] <= self.school.clock.now()]
            self._waiting = [w for w in self._waiting if w[0] > self.school.clock.now()]
            for _, _, future in due:
                future.set_result(None)
            self._wake.set()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def simulated_school(
    settings: Settings,
    clock: Clock,
    *,
    spec_path: Path | None = None,
    flood: bool = False,
    fsm_storage: BaseStorage | None = None,
    privacy_mode: bool = False,
    webhook: bool = False,
    token: str = TOKEN,
) -> AsyncIterator[SimulatedSchool]:
    async with EmulatorServer(spec_path=spec_path, token=token, flood=flood) as emu:
        # As the README tells a school: BotFather's /setprivacy Disable, so photos posted in
        # class groups reach the bot.
        emu.world.bot().can_read_all_group_messages = not privacy_mode
        app = await open_app(settings, clock=clock)
        school = SimulatedSchool(
            settings,
            clock,
            emu,
            app,
            None,
            None,
            fsm_storage,
            flood=flood,
            webhook=webhook,
            token=token,
        )
        try:
            await school.start_bot()
            await school.settle()
            yield school
        finally:
            await school.stop_bot()
            await close_app(app)
