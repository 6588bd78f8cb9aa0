"""A step as a service: the step takes the caller's session; the service opens a session of
its own around it (``reading``) or a transaction (``writing``), so that a handler calls it
with the session factory and never opens one itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import SessionFactory

_P = ParamSpec("_P")
_R = TypeVar("_R")
Step = Callable[Concatenate[AsyncSession, _P], Awaitable[_R]]
Service = Callable[Concatenate[SessionFactory, _P], Awaitable[_R]]


def reading(view: Step[_P, _R]) -> Service[_P, _R]:
    """The view as a service: it reads in a session of its own."""
    return _service(view, transaction=False)


def writing(step: Step[_P, _R]) -> Service[_P, _R]:
    """The step as a service: it runs in a transaction of its own."""
    return _service(step, transaction=True)


def _service(step: Step[_P, _R], *, transaction: bool) -> Service[_P, _R]:
    async def service(sessions: SessionFactory, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        async with sessions.begin() if transaction else sessions() as session:
            return await step(session, *args, **kwargs)

    service.__doc__ = step.__doc__
    return service
