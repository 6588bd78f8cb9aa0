"""Canaries: one per private attribute of a library that the bot's speed-ups rely on.

The fast SQLite path (storage/sqlite_driver.py, storage/sqlite_session.py: about twice the
ingest rate of stock aiosqlite and ``AsyncSession``), the inline filters, the HTTP session,
the polling that stores before it confirms, the webhook's JSON replies and the record book's
image index each reach into a library's internals. pyproject.toml bounds those libraries and
constraints.txt pins the versions measured; when an upgrade changes one of the internals,
the canary of that internal fails here, naming the library's version, what changed, the
module that relies on it and the way back (the fallback) until that module is updated.
"""

from __future__ import annotations

import inspect
import sqlite3
import threading
from collections.abc import Callable
from functools import partial
from importlib.metadata import version
from typing import Any

import pytest

FAST_SQLITE_OFF = (
    "set [storage] fast_sqlite = false in config.toml (stock aiosqlite and AsyncSession, "
    "1.5 times the CPU per update) until storage/sqlite_driver.py and sqlite_session.py are updated"
)


def alive(condition: object, library: str, internal: str, relied_on: str, fallback: str) -> None:
    """Fails loudly, naming what changed and the way back, if ``condition`` is false."""
    if not condition:
        pytest.fail(
            f"{library} {version(library)}: {internal} is not what {relied_on} relies on. "
            f"Fallback: {fallback}.",
            pytrace=False,
        )


def source_of(function: Callable[..., Any]) -> str:
    return inspect.getsource(function)


def parameters(function: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(function).parameters)


# -- aiosqlite: storage/sqlite_driver.py InlineConnection -------------------------------------


def aiosqlite_alive(condition: object, internal: str) -> None:
    alive(
        condition,
        "aiosqlite",
        internal,
        "storage/sqlite_driver.py InlineConnection",
        FAST_SQLITE_OFF,
    )


def test_aiosqlite_queues_each_call_to_its_thread_as_a_future_and_a_function_on_tx() -> None:
    import aiosqlite

    connection = aiosqlite.Connection(partial(sqlite3.connect, ":memory:"), iter_chunk_size=64)
    aiosqlite_alive(
        hasattr(connection, "_tx") and hasattr(connection._tx, "put_nowait"),
        "Connection._tx (the queue to the worker thread, with put_nowait)",
    )
    aiosqlite_alive(
        "self._tx.put_nowait((future, " in source_of(aiosqlite.Connection._connect),
        "Connection._tx.put_nowait((future, function)) in _connect",
    )


def test_aiosqlite_runs_every_statement_through_execute() -> None:
    import aiosqlite

    aiosqlite_alive(
        parameters(aiosqlite.Connection._execute) == ["self", "fn", "args", "kwargs"],
        "Connection._execute(fn, *args, **kwargs)",
    )
    for public in (aiosqlite.Connection.execute, aiosqlite.Connection.commit):
        aiosqlite_alive(
            "self._execute(" in source_of(public), f"Connection.{public.__name__} → _execute"
        )


def test_aiosqlite_connects_in_connect_and_keeps_the_sqlite3_connection() -> None:
    import aiosqlite

    aiosqlite_alive(
        inspect.iscoroutinefunction(aiosqlite.Connection._connect),
        "Connection._connect (a coroutine that opens the sqlite3 connection)",
    )
    aiosqlite_alive(
        isinstance(getattr(aiosqlite.Connection, "_conn", None), property),
        "Connection._conn (the sqlite3 connection)",
    )
    source = source_of(aiosqlite.Connection._execute)
    aiosqlite_alive(
        "self._running" in source and "self._connection" in source,
        "Connection._running and Connection._connection",
    )


async def test_the_inline_connection_runs_sqlite_on_the_loops_thread() -> None:
    """The canaries above, together: no worker thread, results as aiosqlite gives them."""
    from storage.sqlite_driver import InlineConnection

    connection = await InlineConnection(partial(sqlite3.connect, ":memory:"))
    try:
        cursor = await connection.execute("SELECT 41 + 1")
        aiosqlite_alive(await cursor.fetchall() == [(42,)], "Connection (inline)")
        aiosqlite_alive(not connection._thread.is_alive(), "Connection._thread (never started)")
    finally:
        await connection.close()


# -- SQLAlchemy: storage/sqlite_driver.py (the aiosqlite adapter) and sqlite_session.py -------


def sqlalchemy_alive(condition: object, internal: str, relied_on: str) -> None:
    alive(condition, "SQLAlchemy", internal, relied_on, FAST_SQLITE_OFF)


def test_sqlalchemy_aiosqlite_cursor_builds_and_closes_its_cursor_through_hooks() -> None:
    from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_cursor as Cursor

    for hook in ("_make_new_cursor", "_aenter_cursor", "_awaitable_cursor_close"):
        sqlalchemy_alive(
            hasattr(Cursor, hook), f"AsyncAdapt_aiosqlite_cursor.{hook}", "InlineCursor"
        )
    slots = {slot for klass in Cursor.__mro__ for slot in getattr(klass, "__slots__", ())}
    for attribute in ("_cursor", "_rows", "_adapt_connection"):
        sqlalchemy_alive(
            attribute in slots, f"AsyncAdapt_aiosqlite_cursor.{attribute}", "InlineCursor"
        )


def test_sqlalchemy_aiosqlite_connection_takes_its_cursor_class_and_handles_errors() -> None:
    from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection as Adapted

    relied_on = "InlineAdaptedConnection"
    sqlalchemy_alive(hasattr(Adapted, "_cursor_cls"), "…connection._cursor_cls", relied_on)
    sqlalchemy_alive(
        hasattr(Adapted, "_handle_exception"), "…connection._handle_exception", relied_on
    )
    slots = {slot for klass in Adapted.__mro__ for slot in getattr(klass, "__slots__", ())}
    sqlalchemy_alive("_connection" in slots, "…connection._connection", relied_on)


def test_sqlalchemy_aiosqlite_dbapi_takes_the_modules_and_an_async_creator() -> None:
    from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi as DBAPI

    sqlalchemy_alive(
        parameters(DBAPI.__init__) == ["self", "aiosqlite", "sqlite"],
        "AsyncAdapt_aiosqlite_dbapi(aiosqlite, sqlite3)",
        "InlineDBAPI",
    )
    sqlalchemy_alive(
        '"async_creator_fn"' in source_of(DBAPI.connect),
        "AsyncAdapt_aiosqlite_dbapi.connect(async_creator_fn=)",
        "InlineDBAPI.connect",
    )


def test_sqlalchemy_pool_checks_out_and_in_through_do_get_and_do_return_conn() -> None:
    import sqlalchemy.pool.base
    from sqlalchemy.pool import AsyncAdaptedQueuePool

    pool_source = inspect.getsource(sqlalchemy.pool.base)
    for hook, call in (("_do_get", "._do_get()"), ("_do_return_conn", "._do_return_conn(")):
        sqlalchemy_alive(
            hasattr(AsyncAdaptedQueuePool, hook) and call in pool_source,
            f"Pool.{hook} (called by the pool's checkout and checkin)",
            "storage/sqlite_driver.py OneConnectionPool",
        )


def test_sqlalchemy_concurrency_helpers_are_where_the_driver_imports_them() -> None:
    from sqlalchemy.util import concurrency

    for name in ("await_", "in_greenlet", "greenlet_spawn"):
        sqlalchemy_alive(
            callable(getattr(concurrency, name, None)),
            f"sqlalchemy.util.concurrency.{name}",
            "storage/sqlite_driver.py, storage/sqlite_session.py",
        )


def test_sqlalchemy_async_results_are_made_sync_by_ensure_sync_result() -> None:
    from sqlalchemy.ext.asyncio import result

    helper = getattr(result, "_ensure_sync_result", None)
    sqlalchemy_alive(
        helper is not None and parameters(helper) == ["result", "calling_method"],
        "sqlalchemy.ext.asyncio.result._ensure_sync_result(result, calling_method)",
        "storage/sqlite_session.py SQLiteSession.execute",
    )


def test_sqlalchemy_async_session_buffers_rows_with_execute_options() -> None:
    from sqlalchemy.ext.asyncio import session

    options = getattr(session, "_EXECUTE_OPTIONS", None)
    sqlalchemy_alive(
        options is not None and dict(options) == {"prebuffer_rows": True},
        "sqlalchemy.ext.asyncio.session._EXECUTE_OPTIONS ({'prebuffer_rows': True})",
        "storage/sqlite_session.py _buffered",
    )
    sqlalchemy_alive(
        "_EXECUTE_OPTIONS" in source_of(session.AsyncSession.execute),
        "AsyncSession.execute's use of _EXECUTE_OPTIONS",
        "storage/sqlite_session.py SQLiteSession.execute",
    )


def test_sqlalchemy_sessionmaker_begins_through_maker_context_manager() -> None:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

    sqlalchemy_alive(
        hasattr(AsyncSession, "_maker_context_manager")
        and "_maker_context_manager()" in source_of(async_sessionmaker.begin),
        "async_sessionmaker.begin() → AsyncSession._maker_context_manager()",
        "storage/sqlite_session.py SQLiteSession._maker_context_manager",
    )
    sqlalchemy_alive(
        parameters(AsyncConnection.__init__)[:3] == ["self", "async_engine", "sync_connection"],
        "AsyncConnection(async_engine, sync_connection)",
        "storage/sqlite_session.py _AtOnceConnection",
    )


def test_sqlalchemy_async_session_awaits_each_call_through_greenlet_spawn() -> None:
    """SQLiteSession overrides each method AsyncSession runs in a greenlet; a new one
    (a method SQLAlchemy adds) would still work, only without the speed-up."""
    from sqlalchemy.ext.asyncio import AsyncSession

    for method in (
        "execute",
        "get",
        "flush",
        "commit",
        "rollback",
        "refresh",
        "delete",
        "connection",
    ):
        sqlalchemy_alive(
            "greenlet_spawn(" in source_of(getattr(AsyncSession, method)),
            f"AsyncSession.{method} (run in a greenlet of its own)",
            "storage/sqlite_session.py SQLiteSession",
        )


# -- aiogram ------------------------------------------------------------------------------------

NO_INLINE_FILTERS = (
    "drop run_filters_inline(...) from bot/dispatching.py make_dispatcher: aiogram then runs each "
    "synchronous filter through asyncio.to_thread (correct, a third slower per update)"
)


def test_aiogram_observers_keep_their_own_handler_and_filters_say_whether_awaitable() -> None:
    from aiogram import F, Router
    from aiogram.dispatcher.event.handler import CallableObject, FilterObject

    router = Router()
    alive(
        hasattr(router.message, "_handler") and hasattr(router.message, "handlers"),
        "aiogram",
        "TelegramEventObserver._handler (the observer's own filters)",
        "bot/inline_filters.py",
        NO_INLINE_FILTERS,
    )
    alive(
        "if self.awaitable:" in source_of(CallableObject.call)
        and "to_thread" in source_of(CallableObject.call),
        "aiogram",
        "CallableObject.call (awaitable or asyncio.to_thread)",
        "bot/inline_filters.py",
        NO_INLINE_FILTERS,
    )
    alive(
        issubclass(FilterObject, CallableObject) and F is not None,
        "aiogram",
        "FilterObject (a CallableObject)",
        "bot/inline_filters.py",
        NO_INLINE_FILTERS,
    )


async def test_aiogram_filters_made_inline_run_on_the_loops_thread() -> None:
    from aiogram import Router
    from aiogram.types import Message

    from bot.inline_filters import run_filters_inline

    threads: list[int] = []

    def looks(message: Message) -> bool:
        threads.append(threading.get_ident())
        return True

    router = Router()
    router.message.register(lambda message: None, looks)
    run_filters_inline([router])
    (event_filter,) = router.message.handlers[0].filters or []
    await event_filter.call(object())
    alive(
        threads == [threading.get_ident()],
        "aiogram",
        "FilterObject.callback / .awaitable",
        "bot/inline_filters.py",
        NO_INLINE_FILTERS,
    )


def test_aiogram_http_session_keeps_its_connector_and_session_in_these_attributes() -> None:
    from aiogram.client.session.aiohttp import AiohttpSession

    session = AiohttpSession()
    fallback = (
        "use aiogram's AiohttpSession in bot/app.py make_bot instead of BotSession "
        "(answers parse 2-10 ms slower after each garbage collection; a send that failed "
        "without an answer counts as maybe delivered)"
    )
    for attribute in ("_should_reset_connector", "_session", "_connector_type", "_connector_init"):
        alive(
            attribute in vars(session)
            and f"self.{attribute}" in source_of(AiohttpSession.create_session),
            "aiogram",
            f"AiohttpSession.{attribute} in create_session",
            "bot/telegram_session.py BotSession.create_session",
            fallback,
        )
    alive(
        "Response[method.__returning__]" in source_of(AiohttpSession.check_response),
        "aiogram",
        "BaseSession.check_response's Response[method.__returning__]",
        "bot/telegram_session.py BotSession.check_response",
        fallback,
    )


def test_aiogram_polling_reads_updates_from_listen_updates() -> None:
    from aiogram import Dispatcher

    alive(
        parameters(Dispatcher._listen_updates)
        == ["bot", "polling_timeout", "backoff_config", "allowed_updates"]
        and "self._listen_updates(" in source_of(Dispatcher._polling),
        "aiogram",
        "Dispatcher._listen_updates(bot, polling_timeout, backoff_config, allowed_updates)",
        "bot/updates_once.py OnceDispatcher (a batch confirmed only once stored)",
        "none that keeps every update: run with --webhook (bot/runner.py), which stores each "
        "update in its request, until OnceDispatcher is updated",
    )


def test_aiogram_webhook_handler_answers_through_handle_request_and_response_writer() -> None:
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.webhook.aiohttp_server import BaseRequestHandler, SimpleRequestHandler

    fallback = (
        "use aiogram's SimpleRequestHandler in bot/runner.py (replies in the webhook's "
        "response as multipart form data, and a body that is no update gets a 500)"
    )
    alive(
        parameters(SimpleRequestHandler._handle_request) == ["self", "bot", "request"]
        and "self._handle_request(" in source_of(BaseRequestHandler.handle),
        "aiogram",
        "BaseRequestHandler._handle_request(bot, request)",
        "bot/webhook_reply.py JsonReplyHandler",
        fallback,
    )
    alive(
        parameters(BaseRequestHandler._build_response_writer) == ["self", "bot", "result"]
        and "_dumps_json" in parameters(AiohttpSession.prepare_value),
        "aiogram",
        "BaseRequestHandler._build_response_writer(bot, result), prepare_value(_dumps_json=)",
        "bot/webhook_reply.py JsonReplyHandler",
        fallback,
    )


def test_aiogram_routers_know_their_parent_in_parent_router() -> None:
    from aiogram import Router

    child = Router()
    Router().include_router(child)
    child._parent_router = None  # as handlers.routers() does before each dispatcher
    Router().include_router(child)  # a second dispatcher (tests build several)
    alive(
        "self._parent_router" in source_of(Router.parent_router.fset),  # type: ignore[attr-defined]
        "aiogram",
        "Router._parent_router",
        "handlers/__init__.py routers() (module-level routers in several dispatchers)",
        "build each dispatcher in a process of its own",
    )


def test_aiogram_middleware_managers_keep_their_middlewares_in_a_list() -> None:
    from aiogram.dispatcher.middlewares.manager import MiddlewareManager

    manager = MiddlewareManager()
    alive(
        isinstance(vars(manager).get("_middlewares"), list)
        and "self._middlewares.append(" in source_of(MiddlewareManager.register),
        "aiogram",
        "MiddlewareManager._middlewares (a list, in the order they run)",
        "bench/ingest_wire.py track (the bench's timing middleware first)",
        "register it with outer_middleware(...) instead: the bench's times then leave out the "
        "middlewares registered before it",
    )


# -- python-docx: storage/exports/record_book.py ------------------------------------------------


def test_python_docx_finds_a_known_image_by_sha1_then_adds_it() -> None:
    from docx.package import ImageParts

    alive(
        "self._get_by_sha1(" in source_of(ImageParts.get_or_add_image_part)
        and "self._add_image_part(" in source_of(ImageParts.get_or_add_image_part),
        "python-docx",
        "ImageParts._get_by_sha1 / _add_image_part",
        "storage/exports/record_book.py _index_images_by_hash",
        "drop _index_images_by_hash (a month of photos takes minutes instead of seconds)",
    )
    import docx.table

    alive(
        hasattr(docx.table, "_Cell"),
        "python-docx",
        "docx.table._Cell",
        "storage/exports/hazard_book.py (a type annotation)",
        "annotate with Any",
    )


def test_each_canary_names_a_library_that_pyproject_bounds() -> None:
    """Every library checked here has an upper bound, and constraints.txt pins it."""
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    dependencies = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = (root / "constraints.txt").read_text().lower()
    for library in ("aiogram", "aiohttp", "sqlalchemy", "aiosqlite", "python-docx"):
        (spec,) = [d for d in dependencies if d.lower().startswith(library)]
        assert "<" in spec, f"{library}: no upper bound in pyproject.toml"
        assert f"\n{library}=={version(library)}".lower() in pins, (
            f"constraints.txt does not pin {library} at the installed {version(library)}"
        )
