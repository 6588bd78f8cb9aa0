"""/district today and /district notice: a district admin's view of every school of the
process (bot/district.py), from any school's bot. Services: scheduler/district.py."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.app import App
from bot.district import DISTRICT, District
from bot.i18n import t
from handlers.common import refuse_unless
from scheduler.district import (
    DISTRICT_ADMIN,
    NoticeOutcome,
    SchoolRef,
    district_today,
    format_district_today,
    send_district_notice,
)
from storage.models import Person

router = Router(name="district")

TODAY = ("today", "今天", "今日")
NOTICE = ("notice", "通知")


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
    else:
        await message.answer(t(lang, "district.usage"))
