"""The .xlsx workbook: one sheet per routine (one row per task with its submissions), then
incidents, handovers, patrols, the duty roster, notices and the audit log; every sheet with a
filter and a frozen header, and every code in the book's language.

Times are written in the school's zone without tzinfo, since Excel has no time zones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from storage.exports import delivery
from storage.exports.audit_text import action_name, detail_text
from storage.exports.cells import cell_value, clean_strings
from storage.exports.labels import (
    KindNamer,
    Names,
    listed,
    routine_name,
    status_name,
    submission_name,
    word,
)
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


HAZARD_COLUMNS = (
    "col.incident_id",
    "col.hazard_area",
    "col.hazard_item",
    "col.place",
    "col.text",
    "col.hazard_found_by",
    "col.hazard_found_at",
    "col.severity",
    "col.hazard_owner",
    "col.deadline",
    "col.hazard_fixed_at",
    "col.hazard_verified_by",
    "col.hazard_signed_by",
    "col.hazard_days",
    "col.status",
    "col.hazard_rejected",
    "col.hazard_reopened",
)


def hazard_row(h: Any, lang: str) -> list[Any]:
    """One row of the hazard register (隐患台账): a ``HazardRecord``."""
    return [
        h.id,
        status_name(lang, h.category, "hazard_area"),
        h.item,
        h.place,
        h.what,
        h.found_by,
        h.found_at,
        status_name(lang, h.severity, "severity"),
        h.owner,
        h.deadline,
        h.fixed_at,
        h.verified_by,
        h.signed_by,
        h.days_to_fix,
        status_name(lang, h.status, "hazard"),
        h.rejected,
        h.reopened,
    ]


DRILL_COLUMNS = (
    "col.day",
    "col.drill_theme",
    "col.status",
    "col.drill_start",
    "col.drill_end",
    "col.drill_seconds",
    "col.drill_classes",
    "col.expected",
    "col.present",
    "col.drill_short",
    "col.problems",
    "col.measures",
    "col.feedback_by",
    "col.marshal_notes",
    "col.drill_photos",
)
BUS_COLUMNS = (
    "col.day",
    "col.bus",
    "col.bus_leg",
    "col.expected",
    "col.boarded",
    "col.board_missing",
    "col.boarded_at",
    "col.arrived",
    "col.arrive_missing",
    "col.arrived_at",
    "col.escort",
    "col.checked_by",
    "col.checked_at",
    "col.alerted_at",
)


def drill_rows(records: Records, lang: str) -> list[list[Any]]:
    """One row per drill (``DrillRecord``): the book's table has the same columns."""
    return [
        [
            d.day,
            d.theme,
            status_name(lang, d.status, "drill"),
            d.started_at,
            d.ended_at,
            d.seconds,
            d.classes,
            d.expected,
            d.present,
            "；".join(d.short),
            d.problems,
            d.measures,
            d.feedback_by,
            "\n".join(d.notes),
            len(d.photos),
        ]
        for d in records.drills
    ]


def bus_rows(records: Records, lang: str) -> list[list[Any]]:
    """One row per bus trip (``BusTripRecord``)."""
    return [
        [
            b.day,
            b.bus,
            status_name(lang, b.leg, "bus_leg"),
            b.expected,
            b.boarded,
            "、".join(b.board_missing),
            b.boarded_at,
            b.arrived,
            "、".join(b.arrive_missing),
            b.arrived_at,
            b.escort,
            b.checked_by,
            b.checked_at,
            b.alerted_at,
        ]
        for b in records.bus_trips
    ]


def write_workbook(records: Records, path: Path, lang: str, kind_name: KindNamer) -> Path:
    names = Names.of(kind_name)
    records = clean_strings(records)
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for routine in records.routines():
        tasks = [t for t in records.tasks if t.routine == routine]
        _sheet(
            book,
            lang,
            routine_name(lang, routine),
            TASK_COLUMNS,
            (_task_row(t, lang, names) for t in tasks),
        )
    _sheet(
        book,
        lang,
        word(lang, "sheet.incidents"),
        (
            "col.incident_id",
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
        ),
        (
            [
                i.id,
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
        lang,
        word(lang, "sheet.handovers"),
        (
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
        ),
        (
            [
                h.day,
                names.post(h.post),
                names.post(h.to_post),
                h.outgoing,
                h.incoming,
                h.ends_at,
                status_name(lang, h.status, "handover"),
                listed(lang, [names.check(c) for c in h.checks]),
                h.note,
                h.submitted_at,
                h.confirmed_at,
            ]
            for h in records.handovers
        ),
    )
    _sheet(
        book,
        lang,
        word(lang, "sheet.patrols"),
        (
            "col.patrol_id",
            "col.day",
            "col.at",
            "col.patrol_by",
            "col.post",
            "col.text",
            "col.photos",
        ),
        (
            [
                p.id,
                p.day,
                p.at,
                p.person,
                listed(lang, [names.post(post) for post in p.posts]),
                p.text,
                len(p.photos),
            ]
            for p in records.patrols
        ),
    )
    _sheet(
        book,
        lang,
        word(lang, "sheet.roster"),
        ("col.day", "col.post", "col.shift", "col.on_duty"),
        (
            [r.day, names.post(r.post), names.shift(r.post), r.person]
            for r in sorted(records.roster, key=lambda r: (r.day, names.order(r.post)))
        ),
    )
    _sheet(
        book,
        lang,
        word(lang, "sheet.notices"),
        (
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
        ),
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
        lang,
        word(lang, "sheet.notice_classes"),
        (
            "col.notice_id",
            "col.unit",
            "col.pupils",
            "col.receipts",
            "col.rate",
            "col.choices",
            "col.signed",
        ),
        (
            [n.id, c.unit, c.pupils, c.confirmed, c.rate, c.choices, c.signed]
            for n in records.notices
            for c in n.classes
        ),
        rate_columns=(5,),
    )
    _sheet(
        book,
        lang,
        word(lang, "sheet.hazards"),
        HAZARD_COLUMNS,
        (hazard_row(h, lang) for h in records.hazards),
    )
    _sheet(book, lang, word(lang, "sheet.drills"), DRILL_COLUMNS, drill_rows(records, lang))
    _sheet(book, lang, word(lang, "sheet.bus"), BUS_COLUMNS, bus_rows(records, lang))
    _sheet(
        book,
        lang,
        word(lang, "sheet.uncertain"),
        delivery.COLUMNS,
        delivery.uncertain_rows(records, lang),
    )
    _sheet(
        book,
        lang,
        word(lang, "sheet.audit"),
        ("col.at", "col.person", "col.action", "col.detail"),
        (
            [a.at, a.person, action_name(lang, a.action), detail_text(lang, names, a.detail)]
            for a in records.audit
        ),
    )
    book.save(path)
    return path


def unit_or_post(task: TaskRecord, names: Names) -> str:
    """The class or department of a task; a duty task has posts instead (值班教师 → 夜间值班)."""
    if task.unit_name or not task.post:
        return task.unit_name
    posts = [names.post(task.post)] + ([names.post(task.to_post)] if task.to_post else [])
    return " → ".join(posts)


def _task_row(task: TaskRecord, lang: str, names: Names) -> list[Any]:
    return [
        task.id,
        task.day,
        unit_or_post(task, names),
        names(task.routine, task.kind),
        task.theme,
        task.minutes or None,
        status_name(lang, task.status),
        task.due_at,
        task.deadline_at,
        task.done_by,
        task.done_at,
        len(task.photos),
        "\n".join(_describe(s, lang) for s in task.submissions),
    ]


def _describe(submission: SubmissionRecord, lang: str) -> str:
    """One line per submission: who, when, what (the photo count for photos)."""
    what = submission.text or submission_name(lang, submission.kind, submission.action)
    if submission.photos:
        what = f"{submission_name(lang, 'photo')}×{len(submission.photos)}" + (
            f" {submission.text}" if submission.text else ""
        )
    return f"{submission.at:%m-%d %H:%M} {submission.person}: {what}".strip()


def _sheet(
    book: Workbook,
    lang: str,
    title: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    rate_columns: Sequence[int] = (),
) -> Worksheet:
    """A sheet with its header; with 无记录 under it when there are no rows, so an empty
    period's book has the same sheets as any other (a district merges them)."""
    headers = [word(lang, c) for c in columns]
    sheet = book.create_sheet(_sheet_title(book, title))
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    widths = [_width(h) for h in headers]
    for row in rows:
        sheet.append([_cell(value) for value in row])
        for index, value in enumerate(row):
            widths[index] = max(widths[index], _width(value))
    if sheet.max_row == 1:
        sheet.append([word(lang, "none")])
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
    return cell_value(value)


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
