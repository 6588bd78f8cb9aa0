"""The .xlsx workbook: one sheet per routine (one row per task with its submissions), then
incidents, handovers, notices and the audit log; every sheet with a filter and a frozen header.

Times are written in the school's zone without tzinfo, since Excel has no time zones.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from storage.exports.labels import KindNamer, routine_name, status_name, word
from storage.exports.records import Records, SubmissionRecord, TaskRecord

TIME_FORMAT = "yyyy-mm-dd hh:mm"
DAY_FORMAT = "yyyy-mm-dd"
RATE_FORMAT = "0.0%"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
MAX_WIDTH = 60

TASK_COLUMNS = (
    "col.task_id",
    "col.day",
    "col.unit",
    "col.kind",
    "col.theme",
    "col.minutes",
    "col.status",
    "col.due",
    "col.deadline",
    "col.done_by",
    "col.done_at",
    "col.photos",
    "col.submissions",
)


def write_workbook(records: Records, path: Path, lang: str, kind_name: KindNamer) -> Path:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for routine in records.routines() or ["education"]:
        tasks = [t for t in records.tasks if t.routine == routine]
        _sheet(
            book,
            routine_name(lang, routine),
            [word(lang, c) for c in TASK_COLUMNS],
            (_task_row(t, lang, kind_name) for t in tasks),
        )
    _sheet(
        book,
        word(lang, "sheet.incidents"),
        [
            word(lang, c)
            for c in (
                "col.day",
                "col.unit",
                "col.reporter",
                "col.reported_at",
                "col.place",
                "col.severity",
                "col.text",
                "col.status",
                "col.handled_by",
                "col.handled_at",
                "col.handled_note",
                "col.photos",
            )
        ],
        (
            [
                i.day,
                i.unit_name,
                i.reporter,
                i.reported_at,
                i.place,
                status_name(lang, i.severity, "severity"),
                i.text,
                status_name(lang, i.status, "incident"),
                i.handled_by,
                i.handled_at,
                i.handled_note,
                len(i.photos),
            ]
            for i in records.incidents
        ),
    )
    _sheet(
        book,
        word(lang, "sheet.handovers"),
        [
            word(lang, c)
            for c in (
                "col.day",
                "col.post",
                "col.to_post",
                "col.outgoing",
                "col.incoming",
                "col.ends_at",
                "col.status",
                "col.checks",
                "col.note",
                "col.submitted_at",
                "col.confirmed_at",
            )
        ],
        (
            [
                h.day,
                h.post,
                h.to_post,
                h.outgoing,
                h.incoming,
                h.ends_at,
                status_name(lang, h.status, "handover"),
                "、".join(h.checks),
                h.note,
                h.submitted_at,
                h.confirmed_at,
            ]
            for h in records.handovers
        ),
    )
    _sheet(
        book,
        word(lang, "sheet.notices"),
        [
            word(lang, c)
            for c in (
                "col.notice_id",
                "col.day",
                "col.author",
                "col.status",
                "col.text",
                "col.sent_at",
                "col.deadline",
                "col.recipients",
                "col.confirmed",
                "col.rate",
                "col.unreachable",
            )
        ],
        (
            [
                n.id,
                n.day,
                n.author,
                status_name(lang, n.status, "notice"),
                n.text,
                n.sent_at,
                n.deadline_at,
                n.recipients,
                n.confirmed,
                n.rate,
                n.unreachable,
            ]
            for n in records.notices
        ),
        rate_columns=(10,),
    )
    _sheet(
        book,
        word(lang, "sheet.audit"),
        [word(lang, c) for c in ("col.at", "col.person", "col.action", "col.detail")],
        (
            [a.at, a.person, a.action, json.dumps(a.detail, ensure_ascii=False, default=str)]
            for a in records.audit
        ),
    )
    book.save(path)
    return path


def _task_row(task: TaskRecord, lang: str, kind_name: KindNamer) -> list[Any]:
    return [
        task.id,
        task.day,
        task.unit_name,
        kind_name(task.routine, task.kind),
        task.theme,
        task.minutes or None,
        status_name(lang, task.status),
        task.due_at,
        task.deadline_at,
        task.done_by,
        task.done_at,
        len(task.photos),
        "\n".join(_describe(s) for s in task.submissions),
    ]


def _describe(submission: SubmissionRecord) -> str:
    """One line per submission: who, when, what (the photo count for photos)."""
    what = submission.text or submission.kind
    if submission.photos:
        what = f"{submission.kind}×{len(submission.photos)}" + (
            f" {submission.text}" if submission.text else ""
        )
    return f"{submission.at:%m-%d %H:%M} {submission.person}: {what}".strip()


def _sheet(
    book: Workbook,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    rate_columns: Sequence[int] = (),
) -> Worksheet:
    sheet = book.create_sheet(_sheet_title(book, title))
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    widths = [_width(h) for h in headers]
    for row in rows:
        sheet.append([_cell(value) for value in row])
        for index, value in enumerate(row):
            widths[index] = max(widths[index], _width(value))
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = TIME_FORMAT
            elif isinstance(cell.value, dt.date):
                cell.number_format = DAY_FORMAT
            elif isinstance(cell.value, str) and "\n" in cell.value:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            if cell.column in rate_columns:
                cell.number_format = RATE_FORMAT
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, MAX_WIDTH)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(sheet.max_row, 1)}"
    return sheet


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)  # already in the school's zone
    return value


def _width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 16
    text = str(value).split("\n")[0]
    # A Chinese character is about two Latin characters wide.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _sheet_title(book: Workbook, title: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the book."""
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)[:31] or "sheet"
    taken = set(book.sheetnames)
    candidate, n = clean, 2
    while candidate in taken:
        suffix = f" ({n})"
        candidate, n = clean[: 31 - len(suffix)] + suffix, n + 1
    return candidate
