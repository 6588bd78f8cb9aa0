"""The record book's hazard section (隐患排查整改), per month: the month's figures (raised,
fixed on time, overdue, reopened), the chart of raised vs fixed and overdue per category, and
each hazard with a step in the month: its line and its before and after photos side by side
(整改前 | 整改后), as an inspector compares them."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path

from docx.document import Document as DocumentObject
from docx.image.exceptions import UnrecognizedImageError
from docx.image.image import Image
from docx.shared import Cm, Pt
from docx.table import _Cell

from storage.exports.chart import Counts, counts_chart
from storage.exports.hazards import HazardRecord, active_within, figures
from storage.exports.labels import status_name, word
from storage.exports.records import Photo

SIDE_PHOTO_WIDTH = Cm(7.5)  # two fit across the page with the table's borders


def hazard_section(
    document: DocumentObject,
    hazards: Sequence[HazardRecord],
    first: dt.date,
    last: dt.date,
    lang: str,
    chart_width: object,
) -> None:
    """``hazards``: the book's whole register, so a hazard raised last month and fixed in
    this one counts here as fixed."""
    document.add_heading(word(lang, "book.hazards"), level=2)
    shown = active_within(hazards, first, last)
    if not shown:
        document.add_paragraph(word(lang, "book.none"))
        return
    month = figures(hazards, first, last)
    document.add_paragraph(
        word(
            lang,
            "book.hazard_figures",
            raised=month.raised,
            fixed=month.fixed,
            on_time=month.fixed_on_time,
            overdue=month.overdue,
            reopened=month.reopened,
        )
    )
    document.add_heading(word(lang, "book.hazard_chart"), level=3)
    png = counts_chart(
        _per_category(shown, first, last, lang),
        word(lang, "book.hazard_chart"),
        (word(lang, "chart.raised"), word(lang, "chart.fixed"), word(lang, "chart.overdue")),
    )
    document.add_picture(io.BytesIO(png), width=chart_width)  # type: ignore[arg-type]
    document.add_heading(word(lang, "book.hazard_photos"), level=3)
    for hazard in shown:
        _hazard(document, hazard, lang)


def _per_category(
    hazards: Sequence[HazardRecord], first: dt.date, last: dt.date, lang: str
) -> list[Counts]:
    categories = list(dict.fromkeys(h.category for h in hazards))
    groups = []
    for category in categories:
        of = [h for h in hazards if h.category == category]
        counted = figures(of, first, last)
        label = status_name(lang, category, "hazard_area")
        groups.append(Counts(label, counted.raised, counted.fixed, counted.overdue))
    return groups


def _hazard(document: DocumentObject, hazard: HazardRecord, lang: str) -> None:
    title = document.add_paragraph(
        word(
            lang,
            "book.hazard_title",
            id=hazard.id,
            area=status_name(lang, hazard.category, "hazard_area"),
            what=hazard.what,
            place=hazard.place,
        )
    )
    title.runs[0].font.bold = True
    document.add_paragraph(
        word(
            lang,
            "book.hazard_steps",
            owner=hazard.owner or "—",
            deadline=hazard.deadline or "—",
            status=status_name(lang, hazard.status, "hazard"),
        )
    )
    table = document.add_table(rows=2, cols=2)
    table.style = "Table Grid"
    for cell, key in zip(table.rows[0].cells, ("book.before", "book.after"), strict=True):
        cell.text = word(lang, key)
        cell.paragraphs[0].runs[0].font.bold = True
    for cell, photos in zip(table.rows[1].cells, (hazard.before, hazard.after), strict=True):
        _photos_in(cell, photos, lang)
    if hazard.rejected_fixes:  # kept too: what the officer saw when rejecting it
        earlier = document.add_table(rows=2, cols=1)
        earlier.style = "Table Grid"
        earlier.rows[0].cells[0].text = word(lang, "book.rejected_fixes")
        _photos_in(earlier.rows[1].cells[0], hazard.rejected_fixes, lang)


def _photos_in(cell: _Cell, photos: Sequence[Photo], lang: str) -> None:
    """The photos in one cell, each with its who and when; a missing or unreadable file is
    named by its hash instead."""
    paragraph = cell.paragraphs[0]
    if not photos:
        paragraph.text = word(lang, "book.no_photo")
        return
    for n, photo in enumerate(photos):
        if n:
            paragraph = cell.add_paragraph()
        path = Path(photo.path)
        try:
            Image.from_file(str(path))
        except (OSError, UnrecognizedImageError):
            paragraph.text = word(lang, "book.photo_missing", sha=photo.sha256[:12])
            continue
        paragraph.add_run().add_picture(str(path), width=SIDE_PHOTO_WIDTH)
        caption = cell.add_paragraph(f"{photo.person} {photo.taken_at:%m-%d %H:%M}")
        caption.runs[0].font.size = Pt(9)
