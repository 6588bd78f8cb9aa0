"""The day at a glance: every unit's answer and the incidents, as the /zero grid, the
end-of-day roll-up and /today's section."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from scheduler import recipients
from scheduler.routine import Context
from scheduler.zero_report.common import (
    ANSWERED,
    ROUTINE,
    SEVERITY_LABELS,
    ZERO,
    hhmm,
    people_text,
)
from storage import zero_report as incidents
from storage.models import Person, Role, Task, Unit
from storage.zero_report import Incident


@dataclass(frozen=True)
class IncidentLine:
    id: int
    unit_name: str
    severity: str
    status: str
    text: str
    place: str
    reporter: str
    reported_at: dt.datetime | None
    photos: int
    handled_note: str = ""


@dataclass(frozen=True)
class UnitRow:
    unit_name: str
    answer: str  # zero | incident | "" (not answered)
    late: bool
    answered_by: str
    answered_at: dt.datetime | None
    responsible: tuple[str, ...]
    incidents: tuple[IncidentLine, ...] = ()


@dataclass(frozen=True)
class DayReport:
    day: dt.date
    rows: list[UnitRow]
    incidents: list[IncidentLine] = field(default_factory=list)

    @property
    def expected(self) -> int:
        return len(self.rows)

    @property
    def reported(self) -> int:
        return sum(1 for r in self.rows if r.answer or r.incidents)

    @property
    def zero(self) -> int:
        return sum(1 for r in self.rows if r.answer == ZERO and not r.incidents)

    @property
    def incident_units(self) -> int:
        return sum(1 for r in self.rows if r.incidents)

    @property
    def missing(self) -> list[UnitRow]:
        return [r for r in self.rows if not r.answer and not r.incidents]


async def day_report(session: AsyncSession, ctx: Context, day: dt.date) -> DayReport:
    """Every unit asked that day, with its answer and incidents; incidents of units that had
    no task that day (a /report on a Saturday) are listed too."""
    rows = await session.execute(
        select(Task, Unit)
        .join(Unit, Unit.id == Task.unit_id)
        .where(Task.school_id == ctx.school_id, Task.day == day, Task.routine == ROUTINE)
        .order_by(Unit.kind, Unit.grade, Unit.slug)
    )
    tasks_and_units = [(task, unit) for task, unit in rows.all()]
    found = await incidents.reported_on(session, ctx.school_id, day)
    counts = await incidents.photo_counts(session, [i for i, _, _ in found])
    lines = [_incident_line(i, u, p, counts.get(i.id, 0)) for i, u, p in found]
    by_unit: dict[int, list[IncidentLine]] = defaultdict(list)
    for (incident, _, _), line in zip(found, lines, strict=True):
        by_unit[incident.unit_id].append(line)
    responsible = await _responsible_by_unit(session, ctx.school_id)
    answered_by = await _names(session, [task.done_by for task, _ in tasks_and_units])
    unit_rows = [
        UnitRow(
            unit.name,
            _answer_of(task),
            task.status == "late",
            answered_by.get(task.done_by, "") if task.done_by else "",
            task.done_at,
            tuple(responsible.get(unit.id, ())),
            tuple(by_unit.get(unit.id, ())),
        )
        for task, unit in tasks_and_units
    ]
    return DayReport(day, unit_rows, lines)


async def incident_details(
    session: AsyncSession, ctx: Context, incident_id: int
) -> IncidentLine | None:
    """One reported incident, for /incident <id>."""
    incident = await incidents.get(session, ctx.school_id, incident_id)
    if incident is None or incident.status not in incidents.REPORTED:
        return None
    unit = await session.get(Unit, incident.unit_id)
    reporter = await session.get(Person, incident.reported_by)
    if unit is None or reporter is None:
        return None
    count = len(await incidents.photos(session, incident))
    return _incident_line(incident, unit, reporter, count)


def _answer_of(task: Task) -> str:
    if task.status not in ANSWERED:
        return ""
    return str(task.payload.get("answer", ZERO))


def _incident_line(incident: Incident, unit: Unit, reporter: Person, photos: int) -> IncidentLine:
    return IncidentLine(
        incident.id,
        unit.name,
        incident.severity,
        incident.status,
        incident.text,
        incident.place,
        reporter.display_name,
        incident.reported_at,
        photos,
        incident.handled_note,
    )


async def _responsible_by_unit(session: AsyncSession, school_id: int) -> dict[int, list[str]]:
    rows = await session.execute(
        select(Role.unit_id, Role.role, Unit.kind, Person.display_name)
        .join(Person, Person.id == Role.person_id)
        .join(Unit, Unit.id == Role.unit_id)
        .where(Person.school_id == school_id, Role.role.in_(("head_teacher", "staff")))
        .order_by(Person.id)
    )
    found: dict[int, list[str]] = defaultdict(list)
    for unit_id, role, kind, name in rows.all():
        if unit_id is not None and role in recipients.UNIT_RESPONSIBLE.get(kind, ()):
            found[unit_id].append(name)
    return found


async def _names(session: AsyncSession, person_ids: Sequence[int | None]) -> dict[int, str]:
    wanted = {p for p in person_ids if p is not None}
    if not wanted:
        return {}
    rows = await session.execute(
        select(Person.id, Person.display_name).where(Person.id.in_(list(wanted)))
    )
    return {person_id: name for person_id, name in rows.all()}


def format_grid(report: DayReport, lang: str, tz: dt.tzinfo, today: dt.date) -> str:
    """The /zero answer: one line per unit, then the incidents."""
    if not report.rows and not report.incidents:
        return t(lang, "zero.grid_empty", day=report.day.isoformat())
    lines = [_counts_line(report, lang, "zero.grid_header")]
    for row in report.rows:
        lines.append(_grid_line(row, lang, tz, past=report.day < today))
    if report.incidents:
        lines.append("")
        lines.append(t(lang, "zero.incidents_header", count=len(report.incidents)))
        lines.extend(incident_text(line, lang, tz) for line in report.incidents)
    return "\n".join(lines)


def _counts_line(report: DayReport, lang: str, key: str) -> str:
    return t(
        lang,
        key,
        day=report.day.isoformat(),
        reported=report.reported,
        expected=report.expected,
        zero=report.zero,
        incident_units=report.incident_units,
        incidents=len(report.incidents),
        missing=len(report.missing),
    )


def _grid_line(row: UnitRow, lang: str, tz: dt.tzinfo, *, past: bool) -> str:
    if row.incidents:
        ids = " ".join(f"#{i.id}" for i in row.incidents)
        worst = max(row.incidents, key=lambda i: list(SEVERITY_LABELS).index(i.severity))
        return t(
            lang,
            "zero.grid_incident",
            unit=row.unit_name,
            ids=ids,
            severity=t(lang, SEVERITY_LABELS[worst.severity]),
            zero=_zero_beside_incidents(row, lang, tz),
        )
    if row.answer:
        key = "zero.grid_zero_late" if row.late else "zero.grid_zero"
        time = hhmm(row.answered_at, tz) if row.answered_at else ""
        return t(lang, key, unit=row.unit_name, who=row.answered_by, time=time)
    key = "zero.grid_missed" if past else "zero.grid_waiting"
    return t(lang, key, unit=row.unit_name, people=people_text(row.responsible, lang))


def _zero_beside_incidents(row: UnitRow, lang: str, tz: dt.tzinfo) -> str:
    """A unit's 零报告 next to its incidents, in the order given: days recorded before an
    incident closed the unit's report may hold a 零报告 pressed after it."""
    if row.answer != ZERO:
        return ""
    first = min((i.reported_at for i in row.incidents if i.reported_at), default=None)
    if row.answered_at is not None and first is not None and row.answered_at > first:
        return t(lang, "zero.grid_then_zero", time=hhmm(row.answered_at, tz))
    return t(lang, "zero.grid_also_zero")


def incident_text(line: IncidentLine, lang: str, tz: dt.tzinfo) -> str:
    summary = line.text if len(line.text) <= 60 else line.text[:59] + "…"
    return t(
        lang,
        "zero.incident_line",
        id=line.id,
        unit=line.unit_name,
        severity=t(lang, SEVERITY_LABELS.get(line.severity, "zero.sev.general")),
        status=t(lang, f"zero.status.{line.status}"),
        text=summary,
        place=line.place,
        who=line.reporter,
        time=hhmm(line.reported_at, tz) if line.reported_at else "",
        photos=line.photos,
    )


def format_rollup(report: DayReport, lang: str, tz: dt.tzinfo) -> str:
    lines = [_counts_line(report, lang, "zero.rollup_header")]
    if report.incidents:
        lines.append(t(lang, "zero.incidents_header", count=len(report.incidents)))
        lines.extend(incident_text(line, lang, tz) for line in report.incidents)
    missing = report.missing
    if missing:
        lines.append(t(lang, "zero.missing_header", count=len(missing)))
        lines.extend(
            f"• {row.unit_name}（{people_text(row.responsible, lang)}）" for row in missing
        )
    else:
        lines.append(t(lang, "zero.nobody_missing"))
    return "\n".join(lines)


def split_message(text: str, limit: int = 4000) -> list[str]:
    """Telegram takes 4096 characters per message; cut at line ends."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        line = line[:limit]
        if current and len(current) + 1 + len(line) > limit:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        parts.append(current)
    return parts


async def zero_overview(session: AsyncSession, ctx: Context, day: dt.date, lang: str) -> str | None:
    """/today's lines: the day's reports, who is missing, and incidents still open."""
    report = await day_report(session, ctx, day)
    lines = [_counts_line(report, lang, "zero.grid_header")] if report.rows else []
    if report.missing:
        lines.append(
            t(lang, "today.zero.missing", units="、".join(r.unit_name for r in report.missing))
        )
    open_count = (await incidents.count_by_status(session, ctx.school_id)).get("open", 0)
    lines.append(t(lang, "today.zero.open_incidents", count=open_count))
    return "\n".join(lines)
