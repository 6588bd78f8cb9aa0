"""Hostile roster files: a sheet declaring a huge size, a deflate bomb, a slow sheet, and
CSVs in UTF-16 without a BOM, with a huge field or a \\r inside a field. Each is read within
bounds, off the event loop, or refused with a clear reason; nothing is imported."""

from __future__ import annotations

import io
import re
import threading
import time
import tracemalloc
import zipfile

import pytest

from scheduler.duty import roster
from tests.test_duty import xlsx

HEADER = ["日期", "岗位", "姓名"]
ROW = ["2026-11-26", "带班领导", "钱主任"]


def with_sheet_xml(data: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    """The .xlsx with its first sheet's XML changed by ``change``."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = change(body)
            target.writestr(item.filename, body)
    return out.getvalue()


def declaring(dimension: str) -> bytes:
    return with_sheet_xml(
        xlsx([HEADER, ROW]),
        lambda xml: re.sub(
            rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), xml
        ),
    )


def cells(table: roster.Table) -> list[list[object]]:
    return [[c for c in row if c is not None] for _, row in table]


def test_a_sheet_declaring_sixteen_thousand_columns_is_read_as_the_cells_it_has() -> None:
    table = roster.read_table(declaring("A1:XFD40"), "roster.xlsx")
    assert cells(table) == [HEADER, ROW]
    assert max(len(row) for _, row in table) <= roster.MAX_COLUMNS


def test_a_sheet_declaring_a1_to_xfd12000_is_read_in_little_memory() -> None:
    data = declaring("A1:XFD12000")
    tracemalloc.start()
    try:
        table = roster.read_table(data, "roster.xlsx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(data) < 10_000 and cells(table) == [HEADER, ROW]
    assert peak < 30 * 1024 * 1024


def test_a_deflate_bomb_is_refused_before_it_is_unpacked() -> None:
    padding = b" " * (64 * 1024 * 1024)
    bomb = with_sheet_xml(
        xlsx([HEADER, ROW]), lambda xml: xml.replace(b"<sheetData>", b"<sheetData>" + padding)
    )
    assert len(bomb) < roster.MAX_FILE_BYTES
    started = time.monotonic()
    with pytest.raises(roster.RosterFileError) as refused:
        roster.read_table(bomb, "roster.xlsx")
    assert time.monotonic() - started < 1.0
    assert refused.value.problem.key == "duty.roster.too_big_unpacked"
    text = roster.problem_text(refused.value.problem, "en")
    assert "too large once unpacked (at most 10 MB)" in text


def test_a_sheet_that_reads_too_slowly_is_given_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(roster, "MAX_READ_SECONDS", -1.0)
    with pytest.raises(roster.RosterFileError) as refused:
        roster.read_table(xlsx([HEADER, ROW]), "roster.xlsx")
    assert refused.value.problem.key == "duty.roster.too_slow"


def test_a_sheet_with_more_lines_than_a_roster_has_is_refused() -> None:
    data = xlsx([HEADER, *[ROW] * (roster.MAX_SHEET_ROWS + 1)])
    with pytest.raises(roster.RosterFileError) as refused:
        roster.read_table(data, "roster.xlsx")
    assert refused.value.problem.key == "duty.roster.too_many"


async def test_a_roster_file_is_read_in_a_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    threads = []
    read = roster._read_xlsx  # noqa: SLF001

    def spy(data: bytes) -> roster.Table:
        threads.append(threading.current_thread())
        return read(data)

    monkeypatch.setattr(roster, "_read_xlsx", spy)
    table = await roster.read_file(xlsx([HEADER, ROW]), "roster.xlsx")
    assert not isinstance(table, roster.RosterImport) and cells(table) == [HEADER, ROW]
    assert threads and threads[0] is not threading.main_thread()


def csv_text(*rows: str) -> str:
    return "\r\n".join(rows) + "\r\n"


def test_a_csv_in_utf16_without_its_bom_is_read() -> None:
    text = csv_text("日期,岗位,姓名", "2026-11-26,带班领导,钱主任")
    for encoding in ("utf-16-le", "utf-16-be", "utf-16"):
        table = roster.read_table(text.encode(encoding), "roster.csv")
        assert cells(table) == [HEADER, ROW], encoding


def test_a_csv_with_a_carriage_return_inside_a_field_is_read() -> None:
    data = "日期,岗位,姓名\r\n2026-11-26,带班领导,钱\r主任\r\n".encode()
    table = roster.read_table(data, "roster.csv")
    assert cells(table)[0] == HEADER and len(table) >= 2


def test_a_csv_with_a_field_of_140000_characters_is_refused_naming_the_line() -> None:
    data = ("日期,岗位,姓名\r\n2026-11-26,带班领导," + "钱" * 140_000 + "\r\n").encode("gb18030")
    with pytest.raises(roster.RosterFileError) as refused:
        roster.read_table(data[: roster.MAX_FILE_BYTES], "roster.csv")
    problem = refused.value.problem
    assert problem.key == "duty.roster.bad_csv" and problem.row >= 2
    assert "无法读取" in roster.problem_text(problem, "zh")
