"""/export <range>: the record book (台账) of a period as an .xlsx and a .docx, for admins.

The files are built and the export audited by scheduler/exports.py; this handler parses the
range, shows progress by editing one message and sends the files.
"""

from __future__ import annotations

import contextlib

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import FSInputFile, Message

from bot.core.dates import DateRange, ParseFailure, describe, examples, parse_range
from bot.core.i18n import t
from handlers.common import ADMIN, refuse_unless, school_calendar
from scheduler.actors import Person
from scheduler.app import App
from scheduler.exports import MAX_DAYS, TELEGRAM_DOCUMENT_LIMIT, Export, Step, export_book

router = Router(name="export")


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
    span = await export_span(message, app, text, lang)
    if span is None:
        return

    progress = await message.answer(t(lang, "export.step.collect", start=span.start, end=span.end))

    async def show(step: Step) -> None:
        await edit_quietly(progress, t(lang, f"export.step.{step}", start=span.start, end=span.end))

    settings = app.settings
    out_dir = settings.resolve(settings.storage.export_dir) / (
        f"{span.start}_{span.end}_{app.now():%Y%m%dT%H%M%S}_{actor.id}"
    )
    exported = await export_book(
        app.sessions,
        app.school_id,
        actor,
        span.start,
        span.end,
        out_dir,
        app.now(),
        lang=lang,
        duty=settings.duty,
        progress=show,
    )
    if exported.outcome is Export.FAILED:
        await edit_quietly(progress, t(lang, "export.failed"))
        return
    await edit_quietly(progress, t(lang, "export.sending", count=len(exported.files)))
    for path in exported.files:
        if path.stat().st_size > TELEGRAM_DOCUMENT_LIMIT:
            await message.answer(t(lang, "export.file_too_large", name=path.name))
            continue
        await message.answer_document(FSInputFile(path))
    await edit_quietly(progress, t(lang, "export.done", start=span.start, end=span.end))


async def export_span(message: Message, app: App, text: str, lang: str) -> DateRange | None:
    """The period an export asks for (/export, /district export), in the school's calendar;
    None when it is not one or too long, and the person is told why."""
    calendar = await school_calendar(app)
    span = parse_range(text, app.now(), tz=app.settings.school.tz, calendar=calendar)
    if isinstance(span, ParseFailure):
        await message.answer(describe(span, lang) + "\n\n" + examples(lang))
        return None
    if span.days > MAX_DAYS:
        await message.answer(t(lang, "export.too_long", days=MAX_DAYS))
        return None
    return span


async def edit_quietly(progress: Message, text: str) -> None:
    # Progress is a courtesy: "message is not modified" or a deleted message must not stop
    # the export.
    with contextlib.suppress(TelegramBadRequest):
        await progress.edit_text(text)
