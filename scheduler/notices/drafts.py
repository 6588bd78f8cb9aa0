"""A draft written step by step: started, found again, given an attachment, cancelled."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.notices.common import MAX_NOTICE_TEXT
from storage import notices as store
from storage.models import Person
from storage.notices import Notice

# --- drafts ----------------------------------------------------------------------------------


async def start_draft(
    session: AsyncSession, school_id: int, author: Person, text: str, now: dt.datetime
) -> Notice:
    """Keeps what the author typed at once, so nothing is lost; a draft never leaves."""
    notice = await store.create_draft(session, school_id, author.id, text[:MAX_NOTICE_TEXT], now)
    return notice


async def own_draft(
    session: AsyncSession, school_id: int, notice_id: int, author: Person
) -> Notice | None:
    notice = await store.get(session, school_id, notice_id)
    if notice is None or notice.author_id != author.id or notice.status != store.DRAFT:
        return None
    return notice


def attach(notice: Notice, kind: str, file_id: str, media_path: str, filename: str = "") -> None:
    notice.attachment_kind, notice.file_id = kind, file_id
    notice.media_path, notice.filename = media_path, filename[:200]


def cancel_draft(notice: Notice) -> None:
    if notice.status == store.DRAFT:
        notice.status = store.CANCELLED


def set_receipt(notice: Notice, receipt: dict[str, object]) -> None:
    """What guardians give back (scheduler.notices.receipts.ReceiptSpec.to_json()); a draft's
    only: once sent, the receipt asked for is what parents saw."""
    if notice.status == store.DRAFT:
        notice.receipt = dict(receipt)
