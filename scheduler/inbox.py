"""What people send the bot that it keeps whoever handles it: a registered person's private
text no routine understood (handlers/fallback.py), and the files people send as handlers
download them (handlers/media.py: their types and the media store's size refusal).
"""

from __future__ import annotations

import datetime as dt

from storage import submissions
from storage.db import SessionFactory
from storage.media import MediaTooLarge, StoredFile
from storage.models import Person
from storage.submissions import ReceivedFile

__all__ = ["MediaTooLarge", "ReceivedFile", "StoredFile", "keep_text"]


async def keep_text(
    sessions: SessionFactory,
    school_id: int,
    person: Person,
    text: str,
    now: dt.datetime,
    *,
    tg_chat_id: int,
    tg_message_id: int,
) -> None:
    """Nothing a registered person wrote is lost, even when no routine understood it: the
    text is kept as a submission of no task, in a transaction of its own."""
    async with sessions.begin() as session:
        await submissions.add(
            session,
            school_id,
            person.id,
            "text",
            now,
            text=text,
            tg_chat_id=tg_chat_id,
            tg_message_id=tg_message_id,
        )
