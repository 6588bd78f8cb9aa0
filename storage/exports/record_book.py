"""The .docx record book (台账), laid out like a school's own: per month, per routine, with the
completion summary, the themes, a day-by-day table, a chart per class and the photos.

Photos are embedded byte for byte (python-docx keeps the file as given), so an inspector's
copy can be matched to the bot's media store by sha256.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.image.exceptions import UnrecognizedImageError
from docx.image.image import Image
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from storage.exports.chart import completion_chart
from storage.exports.labels import KindNamer, routine_name, status_name, word
from storage.exports.records import Photo, Records, TaskRecord, months

PHOTO_WIDTH = Cm(8)
CHART_WIDTH = Cm(16)
EAST_ASIAN_FONT = "宋体"
INCIDENT_KIND = "incident"  # storage.zero_report's submissions


def write_record_book(records: Records, path: Path, lang: str, kind_name: KindNamer) -> Path:
    document = Document()
    _index_images_by_hash(document)
    _use_east_asian_font(document)
    document.add_heading(word(lang, "title", school=records.school_name), level=0)
    document.add_paragraph(word(lang, "period", start=records.start, end=records.end))
    for first, last in months(records.start, records.end):
        month = records.within(first, last)
        document.add_heading(word(lang, "month", year=first.year, month=first.month), level=1)
        _month(document, month, lang, kind_name)
    document.save(str(path))
    return path


def _month(document: DocumentObject, month: Records, lang: str, kind_name: KindNamer) -> None:
    for routine in month.routines():
        tasks = [t for t in month.tasks if t.routine == routine]
        document.add_heading(routine_name(lang, routine), level=2)
        _routine(document, tasks, lang, kind_name, routine_name(lang, routine))
    if month.incidents:
        _incidents(document, month, lang)
    if month.handovers:
        _handovers(document, month, lang)
    if month.notices:
        _notices(document, month, lang)
    if not (month.tasks or month.incidents or month.handovers or month.notices):
        document.add_paragraph(word(lang, "book.nothing"))


def _incidents(document: DocumentObject, month: Records, lang: str) -> None:
    assert month.incidents
    document.add_heading(word(lang, "book.incidents"), level=2)
    _table(
        document,
        [word(lang, c) for c in ("col.day", "col.unit", "col.reporter", "col.text", "col.status")],
        [
            [
                str(i.day),
                i.unit_name,
                i.reporter,
                _join(i.place, i.text),
                status_name(lang, i.status, "incident"),
            ]
            for i in month.incidents
        ],
    )
    for incident in month.incidents:
        _photos(document, incident.photos, incident.unit_name, lang)


def _handovers(document: DocumentObject, month: Records, lang: str) -> None:
    assert month.handovers
    document.add_heading(word(lang, "book.handovers"), level=2)
    columns = ("col.day", "col.post", "col.outgoing", "col.incoming", "col.note")
    _table(
        document,
        [word(lang, c) for c in (*columns, "col.confirmed_at")],
        [
            [str(h.day), h.post, h.outgoing, h.incoming, h.note, _hhmm(h.confirmed_at)]
            for h in month.handovers
        ],
    )


def _notices(document: DocumentObject, month: Records, lang: str) -> None:
    assert month.notices
    document.add_heading(word(lang, "book.notices"), level=2)
    columns = ("col.day", "col.text", "col.recipients", "col.confirmed", "col.rate")
    _table(
        document,
        [word(lang, c) for c in columns],
        [
            [str(n.day), n.text[:80], str(n.recipients), str(n.confirmed), _rate(n.rate)]
            for n in month.notices
        ],
    )


def _routine(
    document: DocumentObject,
    tasks: Sequence[TaskRecord],
    lang: str,
    kind_name: KindNamer,
    title: str,
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
    _table(
        document,
        [word(lang, c) for c in ("col.day", "col.kind", "col.theme", "col.answered", "col.rate")],
        _by_day_rows(tasks, kind_name),
    )
    per_unit = _completion_per_unit(tasks)
    if len(per_unit) > 1:
        document.add_heading(word(lang, "book.chart"), level=3)
        png = completion_chart(
            [name for name, _ in per_unit],
            [rate for _, rate in per_unit],
            f"{title} {word(lang, 'book.chart')}",
            word(lang, "chart.ylabel"),
        )
        document.add_picture(io.BytesIO(png), width=CHART_WIDTH)
    photographed = [(t, _evidence(t)) for t in tasks]
    if any(photos for _, photos in photographed):
        document.add_heading(word(lang, "book.photos"), level=3)
        for task, photos in photographed:
            _photos(document, photos, task.unit_name, lang)
    missing = [t for t in tasks if not t.answered]
    if missing:
        statuses = Counter(status_name(lang, t.status) for t in missing)
        document.add_paragraph("；".join(f"{name} {count}" for name, count in statuses.items()))


def _evidence(task: TaskRecord) -> list[Photo]:
    # An incident's photos are shown with the incident, not a second time under its report.
    return [p for s in task.submissions if s.kind != INCIDENT_KIND for p in s.photos]


def _by_day_rows(tasks: Sequence[TaskRecord], kind_name: KindNamer) -> list[list[str]]:
    groups: dict[tuple[dt.date, str], list[TaskRecord]] = defaultdict(list)
    for task in tasks:
        groups[(task.day, task.kind)].append(task)
    rows = []
    for (day, kind), group in sorted(groups.items()):
        done = sum(t.answered for t in group)
        themes = "、".join(dict.fromkeys(t.theme for t in group if t.theme))
        rows.append(
            [
                str(day),
                kind_name(group[0].routine, kind),
                themes,
                f"{done}/{len(group)}",
                _rate(done / len(group)),
            ]
        )
    return rows


def _completion_per_unit(tasks: Sequence[TaskRecord]) -> list[tuple[str, float]]:
    """(unit name, share answered), in the school's order: grade, then class."""
    by_unit: dict[tuple[int, str, str], list[TaskRecord]] = defaultdict(list)
    for task in tasks:
        if task.unit_name:
            by_unit[(task.grade or 99, task.unit_slug, task.unit_name)].append(task)
    return [
        (name, sum(t.answered for t in group) / len(group))
        for (_, _, name), group in sorted(by_unit.items())
    ]


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


def _table(document: DocumentObject, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].font.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text


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
