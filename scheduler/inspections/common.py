"""What the inspection modules share: the routine's name, the buttons' callback data, and
the checklist as a task keeps it (its items, their answers, the owner)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.core.callbacks import CallbackData
from bot.core.i18n import t
from bot.core.messages import Button
from scheduler.rules.inspections import ROUTINE
from storage.models import Task

PREFIX = "in"  # the buttons' first prefix, still read
Rows = tuple[tuple[Button, ...], ...]


class Choice(StrEnum):
    OK = "ok"  # 正常
    HAZARD = "hz"  # 有隐患: a hazard is raised with the item filled in
    REST_OK = "all"  # 其余全部正常


@dataclass(frozen=True)
class Press(CallbackData, prefix="insp", legacy=(PREFIX,)):
    """An item's button: ``insp:<task id>:<item index>:<choice>`` (``in:…`` before: the same
    layout, so buttons already sent keep working)."""

    task_id: int
    index: int  # the item's place in the task's list (0 for REST_OK)
    choice: Choice


@dataclass(frozen=True)
class Item:
    area: str  # the area's id in config.toml
    zh: str
    en: str

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def items_of(task: Task) -> list[Item]:
    return [Item(*row) for row in task.payload.get("items", [])]


def answers_of(task: Task) -> dict[str, dict[str, Any]]:
    """Item index (as text: JSON keys) → {"a": "ok" | "hz", "by": person id, "hazard": id}."""
    return dict(task.payload.get("answers", {}))


def check_name(task: Task, lang: str) -> str:
    return task.theme if lang == "zh" else str(task.payload.get("name_en") or task.theme)


def kind_label(task: Task, lang: str) -> str:
    return t(lang, f"insp.kind.{task.kind}")


def item_rows(task: Task, lang: str) -> Rows:
    """One row per item not answered yet (正常 / 有隐患), then 其余全部正常."""
    answers = answers_of(task)
    rows: list[tuple[Button, ...]] = [
        (
            Button(t(lang, "insp.button.ok", n=n), Press(task.id, i, Choice.OK).pack()),
            Button(t(lang, "insp.button.hazard", n=n), Press(task.id, i, Choice.HAZARD).pack()),
        )
        for i, n in ((i, i + 1) for i in range(len(items_of(task))))
        if str(i) not in answers
    ]
    if len(rows) > 1:
        rows.append(
            (Button(t(lang, "insp.button.rest_ok"), Press(task.id, 0, Choice.REST_OK).pack()),)
        )
    return tuple(rows)


def checklist(task: Task, lang: str) -> str:
    """The items, numbered, each with its answer once given."""
    answers = answers_of(task)
    lines = []
    for i, item in enumerate(items_of(task)):
        answer = answers.get(str(i))
        mark = ""
        if answer and answer.get("a") == Choice.OK:
            mark = " ✅"
        elif answer:
            mark = " ⚠️ " + t(lang, "insp.hazard_mark", id=answer.get("hazard", "?"))
        lines.append(f"{i + 1}. {item.text(lang)}{mark}")
    return "\n".join(lines)


__all__ = ["ROUTINE"]
