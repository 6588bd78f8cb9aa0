"""/export <range>: the record book (台账) of a period as an .xlsx and a .docx, for admins.

The files are built by storage.exports (a worker thread does the writing); this handler parses
the range, shows progress by editing one message, sends the files and audits the action.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Literal

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import FSInputFile, Message

from bot.app import App
from bot.core.dates import ParseFailure, describe, examples, parse_range
from bot.core.i18n import t
from bot.core.settings import DutySettings
from handlers.common import ADMIN, refuse_unless, school_calendar
from scheduler.actors import Person
from scheduler.duty.roster import post_label
from scheduler.planning import default_labels
from storage import audit
from storage.exports import TELEGRAM_DOCUMENT_LIMIT, Step, export_records
from storage.exports.labels import Names, listed
from storage.people import ROLES

log = logging.getLogger(__name__)
router = Router(name="export")

MAX_DAYS = 366


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


@router.message(Command("export"))
async def export(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> None:
    if not await refuse_unless(message, actor, lang, *ADMIN):
        return
    assert actor is not None
    text = (command.args or "").strip()
    if not text:
        await message.answer(t(lang, "export.usage") + "\n\n" + examples(lang))
        return
    calendar = await school_calendar(app)
    span = parse_range(text, app.now(), tz=app.settings.school.tz, calendar=calendar)
    if isinstance(span, ParseFailure):
        await message.answer(describe(span, lang) + "\n\n" + examples(lang))
        return
    if span.days > MAX_DAYS:
        await message.answer(t(lang, "export.too_long", days=MAX_DAYS))
        return

    progress = await message.answer(t(lang, "export.step.collect", start=span.start, end=span.end))

    async def show(step: Step) -> None:
        await edit_quietly(progress, t(lang, f"export.step.{step}", start=span.start, end=span.end))

    settings = app.settings
    out_dir = settings.resolve(settings.storage.export_dir) / (
        f"{span.start}_{span.end}_{app.now():%Y%m%dT%H%M%S}_{actor.id}"
    )
    try:
        paths = await export_records(
            app.sessions,
            app.school_id,
            span.start,
            span.end,
            out_dir,
            lang=lang,
            kind_name=kind_namer(lang, app.settings.duty),
            progress=show,
        )
    except Exception:
        log.exception("export of %s..%s failed", span.start, span.end)
        await edit_quietly(progress, t(lang, "export.failed"))
        return
    async with app.sessions.begin() as session:
        audit.record(
            session,
            app.school_id,
            actor.id,
            "export",
            app.now(),
            start=span.start.isoformat(),
            end=span.end.isoformat(),
            files=[p.name for p in paths],
        )
    await edit_quietly(progress, t(lang, "export.sending", count=len(paths)))
    for path in paths:
        if path.stat().st_size > TELEGRAM_DOCUMENT_LIMIT:
            await message.answer(t(lang, "export.file_too_large", name=path.name))
            continue
        await message.answer_document(FSInputFile(path))
    await edit_quietly(progress, t(lang, "export.done", start=span.start, end=span.end))


async def edit_quietly(progress: Message, text: str) -> None:
    # Progress is a courtesy: "message is not modified" or a deleted message must not stop
    # the export.
    with contextlib.suppress(TelegramBadRequest):
        await progress.edit_text(text)
