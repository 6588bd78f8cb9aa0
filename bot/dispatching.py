"""The dispatcher of a bot: the routers of handlers/ in their order, behind the middlewares
(each update stored and handled once, who is talking) and the FSM storage.

Apart from bot/app.py (the App and what it holds), so that the modules the dispatcher is made
of (handlers/, bot/middlewares.py, bot/updates_once.py), which take the App, never import a
module that imports them (tests/test_layers.py checks for such cycles).
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Dispatcher
from aiogram.fsm.storage.base import BaseStorage

from bot.actors import Actors
from bot.app import App
from bot.fsm_storage import make_fsm_storage
from bot.inline_filters import run_filters_inline
from bot.middlewares import ActorMiddleware, SchoolOfBot
from bot.updates_once import make_once_dispatcher
from handlers import routers


def make_dispatcher(
    app: App, fsm_storage: BaseStorage | None = None, schools: Sequence[App] = ()
) -> Dispatcher:
    """The dispatcher of ``app``'s bot; with ``schools`` (a district: one App per school,
    ``app`` the first), one dispatcher for all their bots: each update is handled with the
    App of the bot it came to (``SchoolOfBot``)."""
    # One process owns an SQLite database, so it may keep what it read in memory.
    single_process = app.engine.dialect.name == "sqlite"
    # Conversations survive a restart: their state lives in the database (or Redis).
    storage = fsm_storage or make_fsm_storage(
        app.sessions,
        app.clock,
        single_process=single_process,
        redis=app.redis,
        prefix=f"{app.settings.redis.prefix}:fsm",
    )
    actors = {
        school.school_id: Actors(
            school.sessions, school.engine, school.school_id, cache=single_process
        )
        for school in (schools or [app])
    }
    # Each update stored before it is handled, and handled once (bot/updates_once.py).
    dispatcher = make_once_dispatcher(app, storage)
    if app.redis is not None:
        # Several web workers: one update of a chat at a time, whichever worker got it.
        from aiogram.fsm.storage.base import DefaultKeyBuilder
        from aiogram.fsm.storage.redis import RedisEventIsolation

        dispatcher.fsm.events_isolation = RedisEventIsolation(
            app.redis,
            key_builder=DefaultKeyBuilder(
                prefix=f"{app.settings.redis.prefix}:fsm", with_bot_id=True
            ),
        )
    if schools:
        dispatcher.update.outer_middleware(SchoolOfBot(schools))
    dispatcher.update.outer_middleware(ActorMiddleware(app, actors))
    for router in routers():
        dispatcher.include_router(router)
    run_filters_inline([dispatcher])
    return dispatcher
