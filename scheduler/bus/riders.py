"""The riders (乘车学生): imported from a file an admin sends with /bus import (.xlsx or .csv,
the duty roster's reader and limits: size, rows, an unpacked-size check, read in a worker
thread), and the buses of config.toml with the imported riders in place of theirs.

A rider file has a header row naming the columns 姓名 / 班级 / 车号 (or 线路) and, if the
school wants, 站点 and 家长电话; one row per pupil. The whole file is checked first: one
problem anywhere (an unknown class or bus, a formula cell, a name twice, a bus over its
places) rejects it with every problem's row number, and nothing changes. A valid file
replaces the riders whole (a guardian already linked to a pupil stays linked).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import BusRiderSettings, BusSettings, Settings
from bot.core.text import clean_text
from scheduler.duty.roster import (
    MAX_ROWS,
    Problem,
    RosterFileError,
    RosterImport,
    Table,
    read_table,
    table_head,
)
from storage import audit
from storage import bus as store
from storage.db import SessionFactory
from storage.exports.cells import FORMULA_START, cell_value
from storage.models import Person
from storage.people import normalize_unit_name

MAX_PER_BUS = 80  # as config.toml's [[bus.buses]].riders
COLUMNS = {
    "name": ("姓名", "学生姓名", "name", "pupil"),
    "class": ("班级", "class"),
    "bus": ("车号", "校车", "线路", "路线", "bus", "route"),
    "stop": ("站点", "上车站点", "stop"),
    "phone": ("家长电话", "监护人电话", "电话", "guardian phone", "phone"),
}
REQUIRED = ("name", "class", "bus")
_PHONE = re.compile(r"^\+?\d{5,15}$")
_BUS_NUMBER = re.compile(r"^(\d{1,2})\s*(?:号车|号|路|路车)?$")


@dataclass
class RiderImport:
    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def per_bus(self) -> dict[int, int]:
        return dict(sorted(Counter(r["bus"] for r in self.rows).items()))


async def effective(session: AsyncSession, school_id: int, policy: BusSettings) -> BusSettings:
    """The buses of config.toml, each with the imported riders in place of its own once a
    rider file was imported."""
    imported = await store.riders(session, school_id)
    if not imported:
        return policy
    buses = [
        bus.model_copy(
            update={
                "riders": [
                    BusRiderSettings(unit=r.unit, name=r.name)
                    for r in imported
                    if r.bus == bus.number
                ]
            }
        )
        for bus in policy.buses
    ]
    return policy.model_copy(update={"buses": buses})


_FORMULA_CELL = re.compile(
    rb'<(?:\w+:)?c\b[^>]*?\br="[A-Z]{1,3}(\d{1,7})"[^>]*>\s*<(?:\w+:)?f\b[^>]*>([^<]{0,40})'
)


async def read_file(data: bytes, filename: str, settings: Settings) -> RiderImport:
    """The file read with the duty roster's limits and checked whole, in a worker thread (a
    2,000-row .xlsx takes 0.7 s: bench/bus_import.py), so other chats go on meanwhile. An
    .xlsx's formula cells are refused too: read with their computed values only, a formula
    would otherwise pass as its last result."""
    return await asyncio.to_thread(_read_and_check, data, filename, settings)


def _read_and_check(data: bytes, filename: str, settings: Settings) -> RiderImport:
    try:
        table = _read(data, filename)
    except RosterFileError as exc:
        table = RosterImport(problems=[exc.problem])
    return check_riders(settings, table)


def _read(data: bytes, filename: str) -> Table | RosterImport:
    table = read_table(data, filename)
    if not filename.lower().endswith(".xlsx"):
        return table
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # its unpacked size checked already
        sheets = sorted(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet"))
        xml = archive.read(sheets[0]) if sheets else b""
    formulas = [
        Problem(int(row), "bus.import.formula", {"cell": "=" + text.decode("utf-8", "replace")})
        for row, text in _FORMULA_CELL.findall(xml)[:MAX_ROWS]
    ]
    return RosterImport(problems=formulas) if formulas else table


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value)).strip()


def check_riders(settings: Settings, table: Table | RosterImport) -> RiderImport:
    """Every row checked; all the problems, or the rows when there are none."""
    result = RiderImport()
    if isinstance(table, RosterImport):
        result.problems = list(table.problems)  # the file itself: too big, unreadable …
        return result
    head = table_head(table, COLUMNS, REQUIRED, _text, "bus.import")
    if isinstance(head, Problem):
        result.problems.append(head)
        return result
    rows, columns = head
    classes = {normalize_unit_name(c.name): c.slug for c in settings.classes}
    classes |= {c.slug.lower(): c.slug for c in settings.classes}
    first_row: dict[tuple[str, str], int] = {}
    for number, cells in rows:
        cell = {k: _text(cells[i]) if i < len(cells) else "" for k, i in columns.items()}
        problems = _check_row(number, cell, cells, columns, classes, settings.bus)
        if problems:
            result.problems += problems
            continue
        row = _row(cell, classes, settings.bus)
        key = (row["unit"], row["name"])
        if key in first_row:
            params = {"name": row["name"], "first": first_row[key]}
            result.problems.append(Problem(number, "bus.import.duplicate", params))
            continue
        first_row[key] = number
        result.rows.append(row)
    for bus, count in result.per_bus().items():
        if count > MAX_PER_BUS:
            params = {"bus": bus, "count": count, "max": MAX_PER_BUS}
            result.problems.append(Problem(0, "bus.import.bus_full", params))
    result.problems.sort(key=lambda p: p.row)
    if result.problems:
        result.rows.clear()
    return result


def _check_row(
    number: int,
    cell: dict[str, str],
    cells: list[Any],
    columns: dict[str, int],
    classes: dict[str, str],
    policy: BusSettings,
) -> list[Problem]:
    problems: list[Problem] = []
    for key in ("name", "class", "bus", "stop"):
        if key in cell and cell[key].startswith(FORMULA_START):
            problems.append(Problem(number, "bus.import.formula", {"cell": cell[key][:20]}))
            return problems
    name = cell["name"]
    if not name:
        problems.append(Problem(number, "bus.import.no_name"))
    elif len(name) > 20 or any(ch in name for ch in "\n\t"):
        problems.append(Problem(number, "bus.import.bad_name", {"name": name[:20]}))
    if normalize_unit_name(cell["class"]) not in classes:
        problems.append(Problem(number, "bus.import.unknown_class", {"unit": cell["class"][:20]}))
    if _bus_number(cell["bus"], policy) is None:
        buses = "、".join(str(b.number) for b in policy.buses) or "—"
        params = {"bus": cell["bus"][:20], "buses": buses}
        problems.append(Problem(number, "bus.import.unknown_bus", params))
    if len(cell.get("stop", "")) > 40:
        problems.append(Problem(number, "bus.import.long_stop"))
    phone = re.sub(r"[\s\-()]", "", cell.get("phone", ""))
    if phone and not _PHONE.match(phone):
        problems.append(Problem(number, "bus.import.bad_phone", {"phone": phone[:20]}))
    return problems


def _bus_number(text: str, policy: BusSettings) -> int | None:
    found = _BUS_NUMBER.match(text.strip())
    if found and policy.bus(int(found.group(1))) is not None:
        return int(found.group(1))
    for bus in policy.buses:  # the plate or the route as the file names it
        if text and text in (bus.plate, bus.route):
            return bus.number
    return None


def _row(cell: dict[str, str], classes: dict[str, str], policy: BusSettings) -> dict[str, Any]:
    bus = _bus_number(cell["bus"], policy)
    assert bus is not None
    return {
        "bus": bus,
        "unit": classes[normalize_unit_name(cell["class"])],
        "name": cell["name"],
        "stop": cell.get("stop", ""),
        "guardian_phone": re.sub(r"[\s\-()]", "", cell.get("phone", "")),
    }


async def import_file(
    sessions: SessionFactory,
    school_id: int,
    now: dt.datetime,
    person: Person,
    data: bytes,
    filename: str,
    settings: Settings,
) -> RiderImport:
    """/bus import: the file read and checked whole (``read_file``, before the transaction),
    then applied in a transaction of its own when every row is fine."""
    checked = await read_file(data, filename, settings)
    if not checked.ok:
        return checked
    async with sessions.begin() as session:
        return await import_riders(session, school_id, now, person, checked, filename)


async def import_riders(
    session: AsyncSession,
    school_id: int,
    now: dt.datetime,
    person: Person,
    result: RiderImport,
    filename: str,
) -> RiderImport:
    """The checked file (``read_file``) applied, only when every row is fine."""
    if not result.ok:
        return result
    await store.replace_riders(session, school_id, result.rows, now)
    audit.record(
        session,
        school_id,
        person.id,
        "bus.riders_imported",
        now,
        file=filename[:100],
        riders=len(result.rows),
        buses=result.per_bus(),
    )
    return result


def summary(result: RiderImport) -> Sequence[tuple[int, int]]:
    return list(result.per_bus().items())


TEMPLATE_FILENAME = "bus-riders-template.xlsx"
EXAMPLE_NAMES = ("张小明", "李小华", "王小红", "陈小东", "赵小西", "刘小刚", "孙小北")


def template_xlsx(settings: Settings) -> bytes:
    """A rider file to fill in: the columns, an example row per bus, and a sheet of the
    classes and buses the file may name."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "乘车名单"
    sheet.append([COLUMNS[key][0] for key in ("name", "class", "bus", "stop", "phone")])
    first = settings.classes[0].name if settings.classes else "三(1)班"
    for n, bus in enumerate(settings.bus.buses):
        stop = bus.route.split("→")[0].strip() if bus.route else ""
        name = f"{EXAMPLE_NAMES[n % len(EXAMPLE_NAMES)]}{n // len(EXAMPLE_NAMES) or ''}"
        sheet.append([cell_value(v) for v in (name, first, bus.number, stop[:40], "")])
    for column, width in zip("ABCDE", (12, 12, 8, 20, 16), strict=True):
        sheet.column_dimensions[column].width = width
    help_sheet = book.create_sheet("说明")
    help_sheet.append(["车号 bus", "车牌 plate", "跟车老师 escort", "路线 route"])
    for bus in settings.bus.buses:
        help_sheet.append([cell_value(v) for v in (bus.number, bus.plate, bus.escort, bus.route)])
    help_sheet.append([])
    help_sheet.append(["班级 classes"])
    for cls in settings.classes:
        help_sheet.append([cell_value(cls.name)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
