"""Exports of the record book (台账): an .xlsx workbook and a .docx document for a date range.

    paths = await export_records(app.sessions, app.school_id, start, end, out_dir)

The database is read once, in one session; the files are then written in a worker thread so
a bot serving chats is not blocked. A file over ``max_bytes`` (Telegram's 50 MB for a bot's
document) is written again as one file per month.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path

from storage.db import SessionFactory
from storage.exports.labels import KindNamer, plain_kind
from storage.exports.record_book import write_record_book
from storage.exports.records import Records, collect, months
from storage.exports.workbook import write_workbook

TELEGRAM_DOCUMENT_LIMIT = 50 * 1024 * 1024

Writer = Callable[[Records, Path, str, KindNamer], Path]


class Step(StrEnum):
    COLLECT = "collect"
    WORKBOOK = "workbook"
    RECORD_BOOK = "record_book"


Progress = Callable[[Step], Awaitable[None]]


async def export_records(
    sessions: SessionFactory,
    school_id: int,
    start: dt.date,
    end: dt.date,
    out_dir: Path,
    *,
    lang: str = "zh",
    kind_name: KindNamer = plain_kind,
    max_bytes: int = TELEGRAM_DOCUMENT_LIMIT,
    progress: Progress | None = None,
) -> list[Path]:
    """Write the workbook and the record book of [start, end]; returns the files written."""
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    await _tell(progress, Step.COLLECT)
    async with sessions() as session:
        records = await collect(session, school_id, start, end)
    paths: list[Path] = []
    await _tell(progress, Step.WORKBOOK)
    paths += await asyncio.to_thread(
        write_split,
        records,
        write_workbook,
        out_dir,
        "records",
        ".xlsx",
        lang,
        kind_name,
        max_bytes,
    )
    await _tell(progress, Step.RECORD_BOOK)
    paths += await asyncio.to_thread(
        write_split,
        records,
        write_record_book,
        out_dir,
        "record-book",
        ".docx",
        lang,
        kind_name,
        max_bytes,
    )
    return paths


def write_split(
    records: Records,
    writer: Writer,
    directory: Path,
    stem: str,
    suffix: str,
    lang: str,
    kind_name: KindNamer,
    max_bytes: int,
) -> list[Path]:
    """One file for the range, or one per month when the whole would be over ``max_bytes``.

    A single month over the limit stays one file: splitting a month's record book would tear
    its tables apart, and the caller says the file is too large to send instead.
    """
    directory.mkdir(parents=True, exist_ok=True)
    whole = writer(records, directory / file_name(records, stem, suffix), lang, kind_name)
    spans = list(months(records.start, records.end))
    if whole.stat().st_size <= max_bytes or len(spans) == 1:
        return [whole]
    whole.unlink()
    parts = []
    for first, last in spans:
        month = records.within(first, last)
        parts.append(writer(month, directory / file_name(month, stem, suffix), lang, kind_name))
    return parts


def file_name(records: Records, stem: str, suffix: str) -> str:
    return f"{stem}_{records.school_slug}_{records.start}_{records.end}{suffix}"


async def _tell(progress: Progress | None, step: Step) -> None:
    if progress is not None:
        await progress(step)


__all__ = ["TELEGRAM_DOCUMENT_LIMIT", "Progress", "Step", "export_records", "write_split"]
