"""/district today, notice and export: a district admin's view of every school of the process
(bot/district.py opens them), from any school's bot. Services: scheduler/district.py."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import FSInputFile, Message

from bot.core.i18n import t
from handlers.common import refuse_unless
from handlers.export import export_span
from scheduler.actors import Person
from scheduler.app import App
from scheduler.district import (
    DISTRICT_ADMIN,
    District,
    NoticeOutcome,
    district_of,
    district_today,
    export_book,
    format_district_today,
    send_district_notice,
)
from scheduler.exports import kind_namer

router = Router(name="district")

TODAY = ("today", "今天", "今日")
NOTICE = ("notice", "通知")
EXPORT = ("export", "导出", "台账")


@router.message(Command("district"))
async def district_command(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> None:
    if not await refuse_unless(message, actor, lang, DISTRICT_ADMIN):
        return
    assert actor is not None  # refuse_unless answered a stranger
    district = district_of(app)
    if district is None:
        await message.answer(t(lang, "district.not_a_district"))
        return
    words = (command.args or "").strip()
    head, rest = (words.split(maxsplit=1) + [""])[:2] if words else ("", "")
    if head in TODAY:
        days = await district_today(app.sessions, district.schools(), app.now())
        await message.answer(format_district_today(district.name, app.today(), days, lang))
    elif head in NOTICE and rest.strip():
        results = await send_district_notice(
            app.sessions, district.schools(), actor.tg_user_id or 0, rest.strip(), app.now()
        )
        district.wake_senders()
        lines = [t(lang, "district.notice.head", n=len(results))]
        for result in results:
            match result.outcome:
                case NoticeOutcome.QUEUED:
                    lines.append(
                        t(
                            lang,
                            "district.notice.queued",
                            school=result.name,
                            reachable=result.reachable,
                            total=result.total,
                        )
                    )
                case NoticeOutcome.NOT_DISTRICT_ADMIN | NoticeOutcome.REFUSED:
                    lines.append(t(lang, "district.notice.refused", school=result.name))
        await message.answer("\n".join(lines))
    elif head in EXPORT and rest.strip():
        await export_district_book(message, app, district, actor, rest.strip(), lang)
    else:
        await message.answer(t(lang, "district.usage"))


async def export_district_book(
    message: Message, app: App, district: District[Any], actor: Person, text: str, lang: str
) -> None:
    """/district export 本月: one .xlsx for every school, a sheet per routine, a school
    column (storage/exports/district.py)."""
    span = await export_span(message, app, text, lang)
    if span is None:
        return
    settings = app.settings
    path = settings.resolve(settings.storage.export_dir) / (
        f"district_{span.start}_{span.end}_{app.now():%Y%m%dT%H%M%S}_{actor.id}.xlsx"
    )
    schools = district.schools()
    await export_book(
        app.sessions,
        schools,
        app.school_id,
        actor.id,
        span.start,
        span.end,
        path,
        app.now(),
        lang=lang,
        kind_name=kind_namer(lang, settings.duty),
    )
    await message.answer_document(
        FSInputFile(path),
        caption=t(lang, "district.export.done", n=len(schools), start=span.start, end=span.end),
    )
