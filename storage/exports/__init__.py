"""Exports of the record book (台账): an .xlsx workbook and a .docx document for a date range.

    paths = await export_records(app.sessions, app.school_id, start, end, out_dir)

The database is read once, in one session; the files are then written in a worker thread so
a bot serving chats is not blocked. A file over ``max_bytes`` (Telegram's 50 MB for a bot's
document) is split by month, and a month still over it by halves (see ``write_split``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path

from storage.db import SessionFactory
from storage.exports.labels import KindNamer, plain_kind
from storage.exports.record_book import photo_bytes, write_record_book
from storage.exports.records import Records, collect, months
from storage.exports.workbook import write_workbook

TELEGRAM_DOCUMENT_LIMIT = 50_000_000  # "50 MB": read as decimal megabytes, to be safe

Writer = Callable[[Records, Path, str, KindNamer], Path]
Estimate = Callable[[Records], int]  # bytes a file of these records will roughly take


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
        photo_bytes,
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
    estimate: Estimate = lambda records: 0,
) -> list[Path]:
    """One file for the range or, when that would be over ``max_bytes``, one per month; a
    month still over the limit (a month of class photos easily is) is halved until each part
    fits or is a single day. ``estimate`` guesses a file's size before writing it, so a
    record book far over the limit is not written whole only to be thrown away.
    """
    directory.mkdir(parents=True, exist_ok=True)
    spans = list(months(records.start, records.end))
    if len(spans) > 1 and estimate(records) <= max_bytes:
        whole = _write(records, writer, directory, stem, suffix, lang, kind_name)
        if whole.stat().st_size <= max_bytes:
            return [whole]
        whole.unlink()
    paths: list[Path] = []
    for first, last in spans:
        month = records.within(first, last)
        paths += _write_fitting(
            month, writer, directory, stem, suffix, lang, kind_name, max_bytes, estimate
        )
    return paths


def _write_fitting(
    records: Records,
    writer: Writer,
    directory: Path,
    stem: str,
    suffix: str,
    lang: str,
    kind_name: KindNamer,
    max_bytes: int,
    estimate: Estimate,
) -> list[Path]:
    single_day = records.start == records.end
    if single_day or estimate(records) <= max_bytes:
        path = _write(records, writer, directory, stem, suffix, lang, kind_name)
        if single_day or path.stat().st_size <= max_bytes:
            return [path]  # a single day over the limit stays whole; the caller says so
        path.unlink()
    middle = records.start + (records.end - records.start) / 2
    paths = []
    for first, last in ((records.start, middle), (middle + dt.timedelta(days=1), records.end)):
        part = records.within(first, last)
        paths += _write_fitting(
            part, writer, directory, stem, suffix, lang, kind_name, max_bytes, estimate
        )
    return paths


def _write(
    records: Records,
    writer: Writer,
    directory: Path,
    stem: str,
    suffix: str,
    lang: str,
    kind_name: KindNamer,
) -> Path:
    return writer(records, directory / file_name(records, stem, suffix), lang, kind_name)


def file_name(records: Records, stem: str, suffix: str) -> str:
    return f"{stem}_{records.school_slug}_{records.start}_{records.end}{suffix}"


async def _tell(progress: Progress | None, step: Step) -> None:
    if progress is not None:
        await progress(step)


__all__ = ["TELEGRAM_DOCUMENT_LIMIT", "Progress", "Step", "export_records", "write_split"]
