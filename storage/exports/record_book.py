"""The .docx record book (台账), laid out like a school's own: per month, per routine, with the
completion summary, the themes, a day-by-day table, charts per class (and per day over more than
a week) and the photos; then incidents, handovers, patrols (with their photos), the duty roster
and the notices. Every section is there in every month, with 无记录 when it has nothing.

Photos are embedded byte for byte (python-docx keeps the file as given), so an inspector's
copy can be matched to the bot's media store by sha256.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.image.exceptions import UnrecognizedImageError
from docx.image.image import Image
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt

from storage.exports.cells import clean_strings
from storage.exports.chart import Completion, completion_chart
from storage.exports.hazard_book import hazard_section
from storage.exports.labels import (
    KindNamer,
    Names,
    listed,
    routine_name,
    status_name,
    submission_name,
    word,
)
from storage.exports.records import Photo, Records, TaskRecord, months
from storage.exports.workbook import BUS_COLUMNS, DRILL_COLUMNS, bus_rows, drill_rows, unit_or_post

PHOTO_WIDTH = Cm(8)
TEXT_WIDTH = Cm(16)  # the default template's page inside its margins
CHART_WIDTH = TEXT_WIDTH
EAST_ASIAN_FONT = "宋体"
INCIDENT_KIND = "incident"  # storage.zero_report's submissions
WEEK_DAYS = 7  # a period this many days after its first is longer than a week


def write_record_book(records: Records, path: Path, lang: str, kind_name: KindNamer) -> Path:
    names = Names.of(kind_name)
    records = clean_strings(records)  # Word refuses control characters as openpyxl does
    document = Document()
    _index_images_by_hash(document)
    _use_east_asian_font(document)
    document.add_heading(word(lang, "title", school=records.school_name), level=0)
    document.add_paragraph(word(lang, "period", start=records.start, end=records.end))
    # Over more than a week, one bar per class hides when the classes missed: add a bar per day.
    per_day = (records.end - records.start).days >= WEEK_DAYS
    for first, last in months(records.start, records.end):
        month = records.within(first, last)
        document.add_heading(word(lang, "month", year=first.year, month=first.month), level=1)
        _month(document, month, lang, names, per_day)
        hazard_section(document, records.hazards, first, last, lang, CHART_WIDTH)
    document.save(str(path))
    return path


def _month(
    document: DocumentObject, month: Records, lang: str, names: Names, per_day: bool
) -> None:
    """Every section, each with 无记录 when empty: the same outline in every book."""
    for routine in month.routines():
        tasks = [t for t in month.tasks if t.routine == routine]
        if _section(document, routine_name(lang, routine), tasks, lang):
            _routine(document, tasks, lang, names, routine_name(lang, routine), per_day)
    if _section(document, word(lang, "book.incidents"), month.incidents, lang):
        _incidents(document, month, lang)
    if _section(document, word(lang, "book.handovers"), month.handovers, lang):
        _handovers(document, month, lang, names)
    if _section(document, word(lang, "book.patrols"), month.patrols, lang):
        _patrols(document, month, lang, names)
    if _section(document, word(lang, "book.roster"), month.roster, lang):
        _roster(document, month, lang, names)
    if _section(document, word(lang, "book.notices"), month.notices, lang):
        _notices(document, month, lang)
    if _section(document, word(lang, "book.drills"), month.drills, lang):
        _rows(document, lang, DRILL_COLUMNS, drill_rows(month, lang))
        for drill in month.drills:  # the photos the marshals sent
            _photos(document, drill.photos, f"{drill.day:%m-%d} {drill.theme}", lang)
    if _section(document, word(lang, "book.bus"), month.bus_trips, lang):
        _rows(document, lang, BUS_COLUMNS, bus_rows(month, lang))


def _rows(
    document: DocumentObject, lang: str, columns: Sequence[str], rows: list[list[Any]]
) -> None:
    """The workbook's rows as a table: times as HH:MM, nothing as —."""

    def text(value: Any) -> str:
        if isinstance(value, dt.datetime):
            return _hhmm(value)
        return "—" if value is None or value == "" else str(value)

    _table(document, [word(lang, c) for c in columns], [[text(v) for v in r] for r in rows])


def _section(document: DocumentObject, title: str, rows: Sequence[object], lang: str) -> bool:
    """The section's heading; 无记录 under it, and False, when it has nothing."""
    document.add_heading(title, level=2)
    if not rows:
        document.add_paragraph(word(lang, "book.none"))
    return bool(rows)


def _incidents(document: DocumentObject, month: Records, lang: str) -> None:
    columns = (
        "col.incident_id",
        "col.day",
        "col.unit",
        "col.reporter",
        "col.text",
        "col.status",
        "col.handled_by",
        "col.handled_at",
        "col.handled_note",
    )
    _table(
        document,
        [word(lang, c) for c in columns],
        [
            [
                str(i.id),  # the number of /incident N
                str(i.day),
                i.unit_name,
                i.reporter,
                _join(
                    word(lang, "book.severity", severity=status_name(lang, i.severity, "severity"))
                    + i.place,
                    i.text,
                ),
                status_name(lang, i.status, "incident"),
                i.handled_by,
                _hhmm(i.handled_at),
                i.handled_note,
            ]
            for i in month.incidents
        ],
        weights=(0.7, 1.7, 1.3, 1.2, 3, 1, 1.2, 1.4, 2.5),
    )
    for incident in month.incidents:
        _photos(document, incident.photos, f"#{incident.id} {incident.unit_name}", lang)


def _handovers(document: DocumentObject, month: Records, lang: str, names: Names) -> None:
    columns = ("col.day", "col.post", "col.outgoing", "col.incoming", "col.checks", "col.note")
    _table(
        document,
        [word(lang, c) for c in (*columns, "col.confirmed_at")],
        [
            [
                str(h.day),
                " → ".join(names.post(p) for p in (h.post, h.to_post) if p),
                h.outgoing,
                h.incoming,
                listed(lang, [names.check(c) for c in h.checks]),
                h.note,
                _hhmm(h.confirmed_at),
            ]
            for h in month.handovers
        ],
        weights=(1.7, 1.8, 1.2, 1.2, 2.5, 3, 1.4),
    )


def _patrols(document: DocumentObject, month: Records, lang: str, names: Names) -> None:
    columns = ("col.patrol_id", "col.at", "col.patrol_by", "col.post", "col.text", "col.photos")
    _table(
        document,
        [word(lang, c) for c in columns],
        [
            [
                str(p.id),
                _hhmm(p.at),
                p.person,
                listed(lang, [names.post(post) for post in p.posts]),
                p.text,
                str(len(p.photos)),
            ]
            for p in month.patrols
        ],
        weights=(0.7, 1.4, 1.2, 1.5, 4, 0.9),
    )
    for patrol in month.patrols:
        where = listed(lang, [names.post(post) for post in patrol.posts])
        _photos(document, patrol.photos, _join(submission_name(lang, "patrol"), where), lang)


def _roster(document: DocumentObject, month: Records, lang: str, names: Names) -> None:
    """One row per day and post, its people together (the workbook has one row each)."""
    people: dict[tuple[dt.date, str], list[str]] = defaultdict(list)
    for entry in month.roster:
        people[(entry.day, entry.post)].append(entry.person)
    columns = ("col.day", "col.post", "col.shift", "col.on_duty")
    _table(
        document,
        [word(lang, c) for c in columns],
        [
            [str(day), names.post(post), names.shift(post), listed(lang, who)]
            for (day, post), who in sorted(
                people.items(), key=lambda item: (item[0][0], names.order(item[0][1]))
            )
        ],
        weights=(1.7, 1.5, 2, 3),
    )


def _notices(document: DocumentObject, month: Records, lang: str) -> None:
    columns = ("col.day", "col.text", "col.recipients", "col.confirmed", "col.rate")
    _table(
        document,
        [word(lang, c) for c in columns],
        [
            [str(n.day), n.text[:80], str(n.recipients), str(n.confirmed), _rate(n.rate)]
            for n in month.notices
        ],
        weights=(1.7, 5, 1, 1, 1),
    )
    receipts = [(n, c) for n in month.notices for c in n.classes]
    if receipts:
        document.add_heading(word(lang, "book.notice_classes"), level=3)
        columns = ("col.notice_id", "col.unit", "col.pupils", "col.receipts", "col.rate")
        _table(
            document,
            [word(lang, c) for c in (*columns, "col.choices", "col.signed")],
            [
                [
                    str(n.id),
                    c.unit,
                    str(c.pupils),
                    str(c.confirmed),
                    _rate(c.rate),
                    c.choices,
                    "" if c.signed is None else str(c.signed),
                ]
                for n, c in receipts
            ],
            weights=(1, 1.7, 1, 1, 1, 3, 1),
        )


def _routine(
    document: DocumentObject,
    tasks: Sequence[TaskRecord],
    lang: str,
    names: Names,
    title: str,
    per_day: bool,
) -> None:
    answered = sum(t.answered for t in tasks)
    late = sum(t.status == "late" for t in tasks)
    document.add_paragraph(
        word(
            lang,
            "book.summary",
            tasks=len(tasks),
            answered=answered,
            late=late,
            rate=_rate(answered / len(tasks) if tasks else None),
        )
    )
    themes = list(dict.fromkeys(t.theme for t in tasks if t.theme))
    if themes:
        document.add_heading(word(lang, "book.themes"), level=3)
        for theme in themes:
            document.add_paragraph(theme, style="List Bullet")
    document.add_heading(word(lang, "book.by_day"), level=3)
    columns = ("col.day", "col.kind", "col.theme", "col.on_time", "col.late", "col.missing")
    _table(
        document,
        [word(lang, c) for c in (*columns, "col.rate")],
        _by_day_rows(tasks, names),
        weights=(1.7, 1.8, 2, 1, 1, 1, 1),
    )
    per_unit = _completion(tasks, lambda t: (t.grade or 99, t.unit_slug, unit_or_post(t, names)))
    if len(per_unit) > 1:
        _chart(document, per_unit, lang, word(lang, "book.chart"), title)
    if per_day:
        days = _completion(tasks, lambda t: (t.day, "", f"{t.day:%m-%d}"))
        _chart(document, days, lang, word(lang, "book.chart_by_day"), title)
    photographed = [(t, _evidence(t)) for t in tasks]
    if any(photos for _, photos in photographed):
        document.add_heading(word(lang, "book.photos"), level=3)
        for task, photos in photographed:
            _photos(document, photos, unit_or_post(task, names), lang)
    missing = [t for t in tasks if not t.answered]
    if missing:
        statuses = Counter(status_name(lang, t.status) for t in missing)
        document.add_paragraph("；".join(f"{name} {count}" for name, count in statuses.items()))


def _chart(
    document: DocumentObject, bars: Sequence[Completion], lang: str, heading: str, title: str
) -> None:
    document.add_heading(heading, level=3)
    png = completion_chart(
        bars,
        f"{title} {heading}",
        word(lang, "chart.ylabel"),
        (word(lang, "chart.on_time"), word(lang, "chart.late"), word(lang, "chart.missing")),
    )
    document.add_picture(io.BytesIO(png), width=CHART_WIDTH)


def _evidence(task: TaskRecord) -> list[Photo]:
    # An incident's photos are shown with the incident, not a second time under its report.
    return [p for s in task.submissions if s.kind != INCIDENT_KIND for p in s.photos]


def _by_day_rows(tasks: Sequence[TaskRecord], names: Names) -> list[list[str]]:
    groups: dict[tuple[dt.date, str], list[TaskRecord]] = defaultdict(list)
    for task in tasks:
        groups[(task.day, task.kind)].append(task)
    rows = []
    for (day, kind), group in sorted(groups.items()):
        ended = _ended(group)
        themes = "、".join(dict.fromkeys(t.theme for t in group if t.theme))
        rows.append(
            [
                str(day),
                names(group[0].routine, kind),
                themes,
                str(ended.on_time),
                str(ended.late),
                str(ended.missing),
                _rate((ended.on_time + ended.late) / len(group)),
            ]
        )
    return rows


Key = tuple[object, str, str]  # sorts the bars; its last part is the bar's label


def _completion(tasks: Sequence[TaskRecord], key: Callable[[TaskRecord], Key]) -> list[Completion]:
    """One bar per key (a class in the school's order, or a day), of the tasks that have one."""
    groups: dict[Key, list[TaskRecord]] = defaultdict(list)
    for task in tasks:
        found = key(task)
        if found[-1]:
            groups[found].append(task)
    return [
        replace(_ended(group), label=label)
        for (_, _, label), group in sorted(groups.items(), key=lambda item: item[0])
    ]


def _ended(tasks: Sequence[TaskRecord]) -> Completion:
    on_time = sum(t.status == "done" for t in tasks)
    late = sum(t.status == "late" for t in tasks)
    return Completion("", on_time, late, len(tasks) - on_time - late)


def _photos(document: DocumentObject, photos: Sequence[Photo], unit: str, lang: str) -> None:
    for photo in photos:
        path = Path(photo.path)
        if not path.is_file():
            document.add_paragraph(word(lang, "book.photo_missing", sha=photo.sha256[:12]))
            continue
        try:
            # Checked before add_picture, which would leave an empty paragraph behind.
            Image.from_file(str(path))
        except UnrecognizedImageError:
            document.add_paragraph(
                word(lang, "book.photo_format", mime=photo.mime, sha=photo.sha256[:12])
            )
            continue
        document.add_picture(str(path), width=PHOTO_WIDTH)
        caption = document.add_paragraph(
            word(
                lang,
                "book.photo_caption",
                day=photo.taken_at.date(),
                unit=unit,
                person=photo.person,
                time=f"{photo.taken_at:%H:%M}",
            )
        )
        caption.runs[0].font.size = Pt(9)


def _table(
    document: DocumentObject,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    weights: Sequence[float] = (),
) -> None:
    """``weights``: the columns' shares of the page (all equal when not given), so a
    nine-column table does not wrap its dates and names letter by letter."""
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.autofit = False
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].font.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
    shares = list(weights) or [1.0] * len(headers)
    widths = [Emu(int(TEXT_WIDTH * share / sum(shares))) for share in shares]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width  # the grid, which LibreOffice reads; Word reads the cells'
    for line in table.rows:
        for cell, width in zip(line.cells, widths, strict=True):
            cell.width = width


def _index_images_by_hash(document: DocumentObject) -> None:
    """Let python-docx find an already embedded image through a dict.

    python-docx looks for a duplicate by hashing every image part added so far, for each
    new picture: a month of class photos (1,000 of them) took three minutes that way.
    """
    image_parts = document.part.package.image_parts
    by_sha1: dict[str, Any] = {}
    add_part = image_parts._add_image_part

    def add_and_index(image: Any) -> Any:
        part = add_part(image)
        by_sha1[image.sha1] = part
        return part

    image_parts._get_by_sha1 = by_sha1.get  # type: ignore[method-assign]
    image_parts._add_image_part = add_and_index  # type: ignore[method-assign]


def photo_bytes(records: Records) -> int:
    """What the photos of these records weigh on disk: most of a record book's size."""
    paths = {p.path for t in records.tasks for p in t.photos}
    paths |= {p.path for i in records.incidents for p in i.photos}
    paths |= {p.path for patrol in records.patrols for p in patrol.photos}
    paths |= {p.path for h in records.hazards for p in (*h.before, *h.after, *h.rejected_fixes)}
    return sum(os.path.getsize(path) for path in paths if os.path.isfile(path))


def _use_east_asian_font(document: DocumentObject) -> None:
    # Word picks Chinese glyphs from the east-Asian font slot, which python-docx leaves unset.
    style = document.styles["Normal"]
    style.font.size = Pt(10.5)  # 五号, the size of school documents
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)


def _rate(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


def _hhmm(moment: dt.datetime | None) -> str:
    return "" if moment is None else f"{moment:%m-%d %H:%M}"


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)
