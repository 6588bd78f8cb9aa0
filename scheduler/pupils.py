"""Class lists: importing pupils from a file (.xlsx or .csv, the duty roster's reader) and a
class's list with how many have a guardian linked.

A list names pupils only; their guardians join by the child's invite link
(``/invite 家长 三(2)班 王小明``), which makes them that child's guardians.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, people, pupils
from storage.db import SessionFactory
from storage.models import Person, Unit

CLASS_HEADERS = {"班级", "班", "class", "班级名称"}
NAME_HEADERS = {"姓名", "学生姓名", "学生", "name", "pupil"}
MAX_ROWS = 3000


@dataclass(frozen=True)
class RowProblem:
    row: int
    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportResult:
    added: int = 0
    known: int = 0
    problems: tuple[RowProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


async def import_class_list(
    sessions: SessionFactory,
    school_id: int,
    actor: Person,
    table: list[tuple[int, list[Any]]],
    now: dt.datetime,
) -> ImportResult:
    """All rows or none: a head teacher may list only their own classes, an admin any; in a
    transaction of its own."""
    async with sessions.begin() as session:
        return await _import_class_list(session, school_id, actor, table, now)


async def _import_class_list(
    session: AsyncSession,
    school_id: int,
    actor: Person,
    table: list[tuple[int, list[Any]]],
    now: dt.datetime,
) -> ImportResult:
    if not table:
        return ImportResult(problems=(RowProblem(1, "pupils.no_header"),))
    header_row, header = table[0]
    labels = [str(c or "").strip().lower() for c in header]
    unit_col = next((i for i, c in enumerate(labels) if c in CLASS_HEADERS), None)
    name_col = next((i for i, c in enumerate(labels) if c in NAME_HEADERS), None)
    if unit_col is None or name_col is None:
        return ImportResult(problems=(RowProblem(header_row, "pupils.no_header"),))
    is_admin = people.has_role(actor, "admin")
    own = people.unit_ids_with_role(actor, "head_teacher")
    classes = await people.units(session, school_id, "class")
    problems: list[RowProblem] = []
    rows: list[tuple[Unit, str]] = []
    for number, cells in table[1 : MAX_ROWS + 1]:
        unit_text = _cell(cells, unit_col)
        name = pupils.clean_name(_cell(cells, name_col))
        if not unit_text and not name:
            continue
        wanted = people.normalize_unit_name(unit_text)
        unit = next(
            (u for u in classes if wanted in (u.slug.lower(), people.normalize_unit_name(u.name))),
            None,
        )
        if unit is None:
            problems.append(RowProblem(number, "pupils.unknown_class", {"unit": unit_text[:20]}))
        elif not is_admin and unit.id not in own:
            problems.append(RowProblem(number, "pupils.not_your_class", {"unit": unit.name}))
        elif not name:
            problems.append(RowProblem(number, "pupils.no_name"))
        else:
            rows.append((unit, name))
    if problems:
        return ImportResult(problems=tuple(problems[:20]))
    added = await pupils.import_pupils(session, school_id, rows, now)
    audit.record(session, school_id, actor.id, "pupils.import", now, rows=len(rows), added=added)
    return ImportResult(added, len(rows) - added)


def _cell(cells: list[Any], index: int) -> str:
    value = cells[index] if index < len(cells) else None
    return "" if value is None else str(value).strip()


class Listed(StrEnum):
    LISTED = "listed"  # the class's pupils (``names``, maybe none)
    UNKNOWN_UNIT = "unknown_unit"  # no class of that name
    NOT_ALLOWED = "not_allowed"  # not the actor's class (and they are no admin)


@dataclass(frozen=True)
class ClassList:
    outcome: Listed
    unit_name: str = ""
    names: tuple[tuple[str, int], ...] = ()  # (pupil, guardians linked)


async def class_list(
    sessions: SessionFactory, school_id: int, actor: Person, unit_text: str
) -> ClassList:
    """The class's pupils and how many guardians each has linked: an admin's or the class's
    head teacher's."""
    async with sessions() as session:
        unit = await people.find_unit(session, school_id, unit_text)
        if unit is None or unit.kind != "class":
            return ClassList(Listed.UNKNOWN_UNIT)
        if not people.has_role(actor, "admin") and unit.id not in people.unit_ids_with_role(
            actor, "head_teacher"
        ):
            return ClassList(Listed.NOT_ALLOWED)
        counts = dict(
            (
                await session.execute(
                    select(pupils.Guardian.pupil_id, func.count())
                    .join(pupils.Pupil, pupils.Pupil.id == pupils.Guardian.pupil_id)
                    .where(pupils.Pupil.unit_id == unit.id)
                    .group_by(pupils.Guardian.pupil_id)
                )
            ).all()
        )
        listed = await pupils.class_pupils(session, unit.id)
    names = tuple((p.name, int(counts.get(p.id, 0))) for p in listed)
    return ClassList(Listed.LISTED, unit.name, names)
