"""/district today and /district notice: a district admin's view of every school of the
process (bot/district.py), from any school's bot. Services: scheduler/district.py."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import FSInputFile, Message

from bot.app import App
from bot.core.dates import ParseFailure, describe, examples, parse_range
from bot.core.i18n import t
from bot.district import DISTRICT, District
from handlers.common import refuse_unless, school_calendar
from handlers.export import MAX_DAYS, kind_namer
from scheduler.actors import Person
from scheduler.district import (
    DISTRICT_ADMIN,
    NoticeOutcome,
    SchoolRef,
    district_today,
    format_district_today,
    send_district_notice,
)
from storage import audit
from storage.exports.district import export_district

router = Router(name="district")

TODAY = ("today", "今天", "今日")
NOTICE = ("notice", "通知")
EXPORT = ("export", "导出", "台账")


def school_refs(district: District) -> list[SchoolRef]:
    return [
        SchoolRef(
            app.school_id,
            app.settings.school.name,
            app.settings.school.language,
            app.tz,
            app.today(),
            app.settings.notices,
        )
        for app in district.apps
    ]


@router.message(Command("district"))
async def district_command(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> None:
    if not await refuse_unless(message, actor, lang, DISTRICT_ADMIN):
        return
    assert actor is not None  # refuse_unless answered a stranger
    district: District | None = app.extras.get(DISTRICT)
    if district is None:
        await message.answer(t(lang, "district.not_a_district"))
        return
    words = (command.args or "").strip()
    head, rest = (words.split(maxsplit=1) + [""])[:2] if words else ("", "")
    if head in TODAY:
        days = await district_today(app.sessions, school_refs(district), app.now())
        await message.answer(format_district_today(district.name, app.today(), days, lang))
    elif head in NOTICE and rest.strip():
        results = await send_district_notice(
            app.sessions, school_refs(district), actor.tg_user_id or 0, rest.strip(), app.now()
        )
        for school in district.apps:
            school.wake_sender()
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
    message: Message, app: App, district: District, actor: Person, text: str, lang: str
) -> None:
    """/district export 本月: one .xlsx for every school, a sheet per routine, a school
    column (storage/exports/district.py)."""
    span = parse_range(
        text, app.now(), tz=app.settings.school.tz, calendar=await school_calendar(app)
    )
    if isinstance(span, ParseFailure):
        await message.answer(describe(span, lang) + "\n\n" + examples(lang))
        return
    if span.days > MAX_DAYS:
        await message.answer(t(lang, "export.too_long", days=MAX_DAYS))
        return
    settings = app.settings
    path = settings.resolve(settings.storage.export_dir) / (
        f"district_{span.start}_{span.end}_{app.now():%Y%m%dT%H%M%S}_{actor.id}.xlsx"
    )
    schools = [(school.school_id, school.settings.school.name) for school in district.apps]
    await export_district(
        app.sessions,
        schools,
        span.start,
        span.end,
        path,
        lang=lang,
        kind_name=kind_namer(lang, settings.duty),
    )
    async with app.sessions.begin() as session:
        audit.record(
            session,
            app.school_id,
            actor.id,
            "district.export",
            app.now(),
            start=span.start.isoformat(),
            end=span.end.isoformat(),
            schools=len(schools),
        )
    await message.answer_document(
        FSInputFile(path),
        caption=t(lang, "district.export.done", n=len(schools), start=span.start, end=span.end),
    )
