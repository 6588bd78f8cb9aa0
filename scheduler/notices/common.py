"""What the notice modules share: the size limits, how long a progress follower waits, the
attachment types accepted and how a moment is shown."""

from __future__ import annotations

import datetime as dt

MAX_NOTICE_TEXT = 3500  # Telegram allows 4096; the header, deadline line and names need room
CAPTION_LIMIT = 1024
REPORT_CHUNK = 3800
FOLLOW_IDLE_S = 120  # a broadcast that has not moved for this long is left to the tick
DOCUMENT_TYPES = frozenset(
    {
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }
)


def local_time(moment: dt.datetime, tz: dt.tzinfo) -> str:
    return moment.astimezone(tz).strftime("%m-%d %H:%M")
