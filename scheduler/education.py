"""The "1530" safety-education routine: prompts, reminders and the duty leader's alert."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import t
from scheduler import recipients
from scheduler.routine import Context, Recipient
from storage.messages import OutMessage, single_button
from storage.models import Task, Unit

KIND_KEYS = {
    "daily": "edu.kind.daily",
    "weekly": "edu.kind.weekly",
    "weekend": "edu.kind.weekend",
    "holiday": "edu.kind.holiday",
}


def done_callback(task_id: int) -> str:
    return f"t:{task_id}:done"


class EducationRoutine:
    name = "education"

    async def recipients(
        self, session: AsyncSession, ctx: Context, task: Task, unit: Unit | None
    ) -> list[Recipient]:
        return await recipients.unit_group_or_people(session, ctx, unit, task.day)

    def prompt(self, task: Task, unit: Unit | None, lang: str, ctx: Context) -> OutMessage:
        points = "\n".join(f"• {p}" for p in task.payload.get("points", []))
        text = t(
            lang,
            "edu.prompt",
            kind=t(lang, KIND_KEYS.get(task.kind, "edu.kind.daily")),
            unit=_unit_name(task, unit),
            theme=task.theme,
            points=points or "•",
            deadline=_hhmm(task.deadline_at, ctx),
        )
        drill = task.payload.get("drill")  # set by the drills' settle job on a drill day
        if drill:
            text += "\n" + t(lang, "edu.drill_today", theme=drill["theme"], time=drill["time"])
        return OutMessage(
            text, buttons=single_button(t(lang, "edu.button.done"), done_callback(task.id))
        )

    def reminder(self, task: Task, unit: Unit | None, lang: str, ctx: Context) -> OutMessage:
        text = t(
            lang,
            "edu.reminder",
            kind=t(lang, KIND_KEYS.get(task.kind, "edu.kind.daily")),
            unit=_unit_name(task, unit),
            theme=task.theme,
        )
        return OutMessage(
            text, buttons=single_button(t(lang, "edu.button.done"), done_callback(task.id))
        )

    def alert(
        self, day: dt.date, missing: Sequence[tuple[Task, Unit | None]], lang: str, ctx: Context
    ) -> OutMessage:
        lines = []
        for task, unit in missing:
            line = f"• {_unit_name(task, unit)} — {t(lang, KIND_KEYS.get(task.kind, 'edu.kind.daily'))}"
            if task.payload.get("no_recipient"):
                line += " " + t(lang, "edu.no_recipient")
            lines.append(line)
        return OutMessage(
            t(lang, "edu.alert", day=day.isoformat(), count=len(missing), units="\n".join(lines))
        )


def _unit_name(task: Task, unit: Unit | None) -> str:
    return unit.name if unit is not None else str(task.payload.get("target", "?"))


def _hhmm(moment: dt.datetime, ctx: Context) -> str:
    return moment.astimezone(ctx.tz).strftime("%H:%M")


ROUTINES = [EducationRoutine()]
