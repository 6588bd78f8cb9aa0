"""The record book (台账) of a period, as /export makes it (handlers/export.py): the files
built by storage/exports/ (a worker thread writes them), named in the reader's language, and
the export audited.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal

from bot.core.i18n import t
from bot.core.settings import DutySettings
from scheduler.duty.roster import post_label
from scheduler.planning import default_labels
from storage import audit
from storage.db import SessionFactory
from storage.exports import TELEGRAM_DOCUMENT_LIMIT, Progress, Step, export_records
from storage.exports.labels import Names, listed
from storage.models import Person
from storage.people import ROLES

__all__ = [
    "MAX_DAYS",
    "TELEGRAM_DOCUMENT_LIMIT",
    "Export",
    "Exported",
    "Step",
    "export_book",
    "kind_namer",
]

log = logging.getLogger(__name__)

MAX_DAYS = 366  # the longest period one export covers


def kind_namer(lang: str, duty: DutySettings | None = None) -> Names:
    """The record book's names in ``lang``: a task's kind by the planner's label (每日1分钟),
    the posts, shifts and handover checklist of ``duty`` (the shipped config's when not
    given), the roles as the chat calls them."""
    labels = default_labels()
    language: Literal["zh", "en"] = "en" if lang == "en" else "zh"
    duty = duty or DutySettings()

    def name(routine: str, kind: str) -> str:
        label = labels.get((routine, kind))
        return label.text(language) if label is not None else kind

    shift_names = {s.slug: s.name_en if lang == "en" and s.name_en else s.name for s in duty.shifts}
    return Names(
        kind=name,
        posts={p.slug: post_label(p, lang) for p in duty.posts},
        shifts={
            p.slug: listed(lang, [shift_names[s] for s in p.shifts])
            if p.shifts
            else t(lang, "duty.gate_hours")
            for p in duty.posts
        },
        checks={c.id: c.en if lang == "en" else c.zh for c in duty.checklist},
        roles={role: t(lang, f"role.{role}") for role in ROLES},
    )


class Export(StrEnum):
    DONE = "done"
    FAILED = "failed"  # logged; nothing audited


@dataclass(frozen=True)
class Exported:
    outcome: Export
    files: tuple[Path, ...] = ()


async def export_book(
    sessions: SessionFactory,
    school_id: int,
    person: Person,
    start: dt.date,
    end: dt.date,
    out_dir: Path,
    now: dt.datetime,
    *,
    lang: str,
    duty: DutySettings,
    progress: Progress | None = None,
) -> Exported:
    """The workbook and the record book of [start, end] written to ``out_dir`` (``progress``
    hears each step), then the export audited in a transaction of its own."""
    try:
        paths = await export_records(
            sessions,
            school_id,
            start,
            end,
            out_dir,
            lang=lang,
            kind_name=kind_namer(lang, duty),
            progress=progress,
        )
    except Exception:
        log.exception("export of %s..%s failed", start, end)
        return Exported(Export.FAILED)
    await audit_export(
        sessions, school_id, person.id, "export", now, start, end, files=[p.name for p in paths]
    )
    return Exported(Export.DONE, tuple(paths))


async def audit_export(
    sessions: SessionFactory,
    school_id: int,
    actor_id: int,
    action: str,
    now: dt.datetime,
    start: dt.date,
    end: dt.date,
    **detail: object,
) -> None:
    """An export (/export, /district export) audited, with its period, in the school it was
    asked from, in a transaction of its own."""
    async with sessions.begin() as session:
        audit.record(
            session,
            school_id,
            actor_id,
            action,
            now,
            start=start.isoformat(),
            end=end.isoformat(),
            **detail,
        )
