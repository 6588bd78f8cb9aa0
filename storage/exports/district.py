"""A district's record book: one .xlsx for all its schools, a sheet per routine (the sheets
of each school's workbook, storage/exports/workbook.py) with a school column in front.

Each school's records are collected as for its own /export and its workbook written; the
district's book takes every sheet's rows under one header, skipping a school's 无记录 line.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from storage.db import SessionFactory
from storage.exports.labels import KindNamer, plain_kind, word
from storage.exports.records import Records, collect
from storage.exports.workbook import write_workbook


async def export_district(
    sessions: SessionFactory,
    schools: Sequence[tuple[int, str]],
    start: dt.date,
    end: dt.date,
    path: Path,
    *,
    lang: str = "zh",
    kind_name: KindNamer = plain_kind,
) -> Path:
    """``schools``: (school id, name) in the order their rows appear; writes ``path``."""
    collected: list[tuple[str, Records]] = []
    for school_id, name in schools:
        async with sessions() as session:
            collected.append((name, await collect(session, school_id, start, end)))
    return await asyncio.to_thread(_write, collected, path, lang, kind_name)


def _write(
    collected: Sequence[tuple[str, Records]], path: Path, lang: str, kind_name: KindNamer
) -> Path:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    school_header = "学校" if lang == "zh" else "School"
    nothing = word(lang, "none")
    with tempfile.TemporaryDirectory(prefix="district-export-") as folder:
        for number, (name, records) in enumerate(collected):
            own = write_workbook(records, Path(folder) / f"{number}.xlsx", lang, kind_name)
            for sheet in load_workbook(own).worksheets:
                rows = list(sheet.iter_rows(values_only=True))
                if not rows:
                    continue
                if sheet.title not in book.sheetnames:
                    target = book.create_sheet(sheet.title)
                    target.append([school_header, *rows[0]])
                    for cell in target[1]:
                        cell.font = Font(bold=True)
                    target.freeze_panes = "B2"
                target = book[sheet.title]
                for row in rows[1:]:
                    if [v for v in row if v is not None] == [nothing]:
                        continue  # this school has none: the others' rows tell the district
                    target.append([name, *row])
    for sheet in book.worksheets:
        if sheet.max_row == 1:
            sheet.append(["", nothing])
        sheet.column_dimensions["A"].width = 16
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
