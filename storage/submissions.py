"""Keeping what people sent: submissions and their photo attachments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.text import clean_text
from storage.media import StoredFile
from storage.models import Attachment, Submission

ReceivedFile = tuple[StoredFile, str, str, str]  # stored file, file_id, file_unique_id, mime


async def add(
    session: AsyncSession,
    school_id: int,
    person_id: int | None,
    kind: str,
    now: dt.datetime,
    *,
    task_id: int | None = None,
    text: str = "",
    data: dict[str, Any] | None = None,
    tg_chat_id: int | None = None,
    tg_message_id: int | None = None,
    files: Sequence[ReceivedFile] = (),
) -> Submission:
    """``files``: (stored file, Telegram file_id, file_unique_id, mime) for each attachment."""
    submission = Submission(
        school_id=school_id,
        task_id=task_id,
        person_id=person_id,
        kind=kind,
        text=clean_text(text),
        data=data or {},
        tg_chat_id=tg_chat_id,
        tg_message_id=tg_message_id,
        created_at=now,
        attachments=[],
    )
    submission.attachments.extend(attachment(received, now) for received in files)
    session.add(submission)
    await session.flush()
    return submission


def attachment(received: ReceivedFile, now: dt.datetime) -> Attachment:
    """The row of a file someone sent, as kept in the media store."""
    stored, file_id, unique_id, mime = received
    return Attachment(
        tg_file_id=file_id,
        tg_file_unique_id=unique_id,
        sha256=stored.sha256,
        size=stored.size,
        mime=mime,
        path=str(stored.path),
        created_at=now,
    )
