"""The audit log: who did what, when."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditLog


def record(
    session: AsyncSession,
    school_id: int,
    person_id: int | None,
    action: str,
    now: dt.datetime,
    **detail: Any,
) -> None:
    session.add(
        AuditLog(
            school_id=school_id, person_id=person_id, action=action, detail=detail, created_at=now
        )
    )
