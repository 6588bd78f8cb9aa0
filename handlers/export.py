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
from bot.dates import ParseFailure, describe, examples, parse_range
from bot.i18n import t
from handlers.common import ADMIN, refuse_unless
from scheduler.planning import default_labels
from storage import audit
from storage.exports import TELEGRAM_DOCUMENT_LIMIT, Step, export_records
from storage.exports.labels import KindNamer
from storage.models import Person

log = logging.getLogger(__name__)
router = Router(name="export")

MAX_DAYS = 366


def kind_namer(lang: str) -> KindNamer:
    """(routine, kind) → the planner's label in ``lang`` (每日1分钟), or the kind itself."""
    labels = default_labels()
    language: Literal["zh", "en"] = "en" if lang == "en" else "zh"

    def name(routine: str, kind: str) -> str:
        label = labels.get((routine, kind))
        return label.text(language) if label is not None else kind

    return name


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
    span = parse_range(text, app.now(), tz=app.settings.school.tz)
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
            kind_name=kind_namer(lang),
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
