"""The routine the engine drives: who checks, the prompt listing the items as buttons, the
reminder with the items still open, and the duty leader's alert."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.messages import OutMessage
from scheduler import recipients
from scheduler.inspections.common import (
    ROUTINE,
    answers_of,
    check_name,
    checklist,
    item_rows,
    items_of,
    kind_label,
)
from scheduler.routine import Context, Recipient
from scheduler.tasks import privately_named
from scheduler.zero_report.common import hhmm, people_text
from storage import duty as named
from storage import people
from storage.models import Person, Task, Unit


async def owners(
    session: AsyncSession, ctx: Context, task: Task, unit: Unit | None
) -> list[Person]:
    """The people who answer the check: its role, its department's staff, or the person."""
    kind, _, value = str(task.payload.get("owner", "")).partition(":")
    if kind == "role":
        return await people.people_with_role(session, ctx.school_id, value)
    if kind == "unit":
        return await recipients.responsible_people(session, ctx, unit) if unit else []
    if kind == "person":
        return await named.staff_named(session, ctx.school_id, value)
    return []


class InspectionRoutine:
    name = ROUTINE

    async def recipients(
        self, session: AsyncSession, ctx: Context, task: Task, unit: Unit | None
    ) -> list[Recipient]:
        persons = await owners(session, ctx, task, unit)
        return await privately_named(session, ctx, task, persons)

    def prompt(self, task: Task, unit: Unit | None, lang: str, ctx: Context) -> OutMessage:
        text = t(
            lang,
            "insp.prompt",
            name=check_name(task, lang),
            kind=kind_label(task, lang),
            deadline=hhmm(task.deadline_at, ctx.tz),
            items=checklist(task, lang),
        )
        return OutMessage(text, buttons=item_rows(task, lang))

    def reminder(self, task: Task, unit: Unit | None, lang: str, ctx: Context) -> OutMessage:
        left = len(items_of(task)) - len(answers_of(task))
        text = t(
            lang,
            "insp.reminder",
            name=check_name(task, lang),
            left=left,
            items=checklist(task, lang),
        )
        return OutMessage(text, buttons=item_rows(task, lang))

    def alert(
        self, day: dt.date, missing: Sequence[tuple[Task, Unit | None]], lang: str, ctx: Context
    ) -> OutMessage:
        lines = [
            t(
                lang,
                "insp.alert_line",
                name=check_name(task, lang),
                people=people_text(task.payload.get("responsible", []), lang),
                left=len(items_of(task)) - len(answers_of(task)),
            )
            for task, _ in missing
        ]
        return OutMessage(
            t(lang, "insp.alert", day=day.isoformat(), count=len(missing), checks="\n".join(lines))
        )
