"""The routine the engine drives: who is asked, the prompt, the reminder and the duty
leader's alert."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.messages import OutMessage
from scheduler import recipients
from scheduler.routine import Context, Recipient
from scheduler.tasks import privately_named
from scheduler.zero_report.buttons import answer_buttons
from scheduler.zero_report.common import ROUTINE, hhmm, people_text
from storage.models import Task, Unit


class ZeroReportRoutine:
    name = ROUTINE

    async def recipients(
        self, session: AsyncSession, ctx: Context, task: Task, unit: Unit | None
    ) -> list[Recipient]:
        if unit is None:
            return []
        persons = await recipients.responsible_people(session, ctx, unit, task.day)
        return await privately_named(session, ctx, task, persons)

    def prompt(self, task: Task, unit: Unit | None, lang: str, ctx: Context) -> OutMessage:
        text = t(
            lang,
            "zero.prompt",
            unit=_unit_name(task, unit),
            day=task.day.isoformat(),
            deadline=hhmm(task.deadline_at, ctx.tz),
        )
        return OutMessage(text, buttons=answer_buttons(task.id, lang))

    def reminder(self, task: Task, unit: Unit | None, lang: str, ctx: Context) -> OutMessage:
        text = t(lang, "zero.reminder", unit=_unit_name(task, unit))
        return OutMessage(text, buttons=answer_buttons(task.id, lang))

    def alert(
        self, day: dt.date, missing: Sequence[tuple[Task, Unit | None]], lang: str, ctx: Context
    ) -> OutMessage:
        lines = [
            f"• {_unit_name(task, unit)}（{people_text(task.payload.get('responsible', []), lang)}）"
            for task, unit in missing
        ]
        return OutMessage(
            t(lang, "zero.alert", day=day.isoformat(), count=len(missing), units="\n".join(lines))
        )


def _unit_name(task: Task, unit: Unit | None) -> str:
    return unit.name if unit is not None else str(task.payload.get("target", "?"))
