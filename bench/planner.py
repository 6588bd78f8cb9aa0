"""Planner benchmark: a district of schools, the whole spring 2026 term planned for each.

    python -m bench.planner [schools] [--db]

With ``--db`` the planned term is also materialised as task rows in a fresh SQLite database
(the engine's own ``scheduler.tasks.materialise``, INSERT … ON CONFLICT DO NOTHING), and the
JSON gains ``db_seconds`` (inserting) and ``db_rows``.

Each school is the shipped demo school (24 classes) with its own dismissal times and days off,
so no two calendars share a cache. All events are kept in memory until the end, as a batch
insert would hold them. The seconds cover building the calendars and planning (not parsing
the config); the memory is the process's peak resident set (``ru_maxrss``), interpreter and
imports included, so it is an upper bound on what planning needs.

The last line printed is one JSON object, for CI to parse.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import tomllib
from copy import deepcopy
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.core.settings import Settings, settings_from_dict
from scheduler.calendar import SchoolCalendar
from scheduler.planning import PlannedEvent, plan_range

CONFIG = Path(__file__).resolve().parents[1] / "config.toml"
SPRING_2026 = (date(2026, 3, 2), date(2026, 7, 3))


def school_variants(count: int) -> list[Settings]:
    """``count`` variants of the demo school: shifted dismissals, different days off."""
    raw = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    return [settings_from_dict(_variant(raw, n), base_dir=CONFIG.parent) for n in range(count)]


def _variant(raw: dict[str, Any], n: int) -> dict[str, Any]:
    school = deepcopy(raw)
    school["school"]["slug"] = f"school-{n:03d}"
    shift = timedelta(minutes=5 * (n % 7))
    for grade in school["grades"]:
        grade["dismissal"] = (datetime.combine(date.min, grade["dismissal"]) + shift).time()
    # A sports day on a different school day for each school, and a two-day break for some.
    sports_day = SPRING_2026[0] + timedelta(days=7 * (n % 15) + n % 5)
    days_off = [{"date": sports_day, "reason": "运动会"}]
    if n % 4 == 0:
        days_off += [
            {"date": date(2026, 6, 10) + timedelta(days=k), "reason": "考点"} for k in range(2)
        ]
    school["calendar"]["days_off"] = days_off
    return school


def plan_term(settings: Settings, start: date, end: date) -> list[PlannedEvent]:
    return plan_range(settings, SchoolCalendar(settings), start, end)


def run(schools: int = 100) -> dict[str, Any]:
    variants = school_variants(schools)
    started = time.perf_counter()
    plans = [plan_term(settings, *SPRING_2026) for settings in variants]
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "seconds": round(seconds, 3),
        "peak_mb": round(peak_kib / 1024, 1),
        "schools": schools,
        "events": sum(map(len, plans)),
    }


async def materialise_all(
    variants: list[Settings], plans: list[list[PlannedEvent]], url: str
) -> tuple[float, int]:
    """Insert every school's planned term as tasks; returns (seconds, rows in the table)."""
    from sqlalchemy import func, select

    from bot.app import unit_specs
    from scheduler.tasks import materialise
    from storage import db, people
    from storage.models import Task

    engine = db.make_engine(url)
    await db.upgrade(engine)
    sessions = db.make_session_factory(engine)
    now = datetime.now().astimezone()
    started = time.perf_counter()
    for settings, events in zip(variants, plans, strict=True):
        async with sessions.begin() as session:
            school = await people.sync_school(
                session,
                settings.school.slug,
                settings.school.name,
                settings.school.timezone,
                unit_specs(settings),
                now,
            )
            await materialise(session, school.id, events, now)
    seconds = time.perf_counter() - started
    async with sessions() as session:
        rows = int(await session.scalar(select(func.count(Task.id))) or 0)
    await engine.dispose()
    return seconds, rows


def run_with_db(schools: int = 100) -> dict[str, Any]:
    import asyncio
    import tempfile

    variants = school_variants(schools)
    started = time.perf_counter()
    plans = [plan_term(settings, *SPRING_2026) for settings in variants]
    seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        db_seconds, rows = asyncio.run(materialise_all(variants, plans, url))
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": round(seconds, 3),
        "peak_mb": round(peak_kib / 1024, 1),
        "schools": schools,
        "events": sum(map(len, plans)),
        "db_seconds": round(db_seconds, 3),
        "db_rows": rows,
    }


def main(argv: list[str]) -> None:
    args = [a for a in argv[1:] if not a.startswith("--")]
    schools = int(args[0]) if args else 100
    result = run_with_db(schools) if "--db" in argv else run(schools)
    print(
        f"planned {result['events']} events for {result['schools']} schools × 24 classes "
        f"over the spring 2026 term in {result['seconds']:.2f} s; "
        f"peak RSS {result['peak_mb']:.0f} MB (ru_maxrss, whole process)"
    )
    if "db_seconds" in result:
        print(
            f"materialised {result['db_rows']} task rows in SQLite in {result['db_seconds']:.2f} s"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
