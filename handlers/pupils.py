"""/pupils: a class's list (names, and how many have a guardian linked), and importing the
class lists from a file sent with the caption /pupils. The rules and the transactions are the
services' of scheduler/pupils.py."""

from __future__ import annotations

import io

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.core.i18n import t
from handlers.common import refuse_unless
from scheduler import pupils
from scheduler.actors import Person
from scheduler.app import App
from scheduler.duty import roster as duty_roster

router = Router(name="pupils")

STAFF = ("admin", "head_teacher")


@router.message(F.document, F.chat.type == "private", F.caption.startswith("/pupils"))
async def class_list_file(
    message: Message, bot: Bot, app: App, actor: Person | None, lang: str
) -> None:
    if not await refuse_unless(message, actor, lang, *STAFF):
        return
    assert actor is not None and message.document is not None
    document = message.document
    if (document.file_size or 0) > duty_roster.MAX_FILE_BYTES:
        kb = duty_roster.MAX_FILE_BYTES // 1024
        await message.answer(t(lang, "duty.roster.too_big", kb=kb))
        return
    buffer = io.BytesIO()
    await bot.download(document, destination=buffer)
    # Read before the transaction, in a worker thread (the duty roster's bounded reader).
    table = await duty_roster.read_file(buffer.getvalue(), document.file_name or "")
    if isinstance(table, duty_roster.RosterImport):
        await message.answer(
            "\n".join(t(lang, p.key, **p.params) for p in table.problems) or t(lang, "pupils.usage")
        )
        return
    result = await pupils.import_class_list(app.sessions, app.school_id, actor, table, app.now())
    if not result.ok:
        lines = [
            t(lang, "pupils.bad_row", row=p.row, reason=t(lang, p.key, **p.params))
            for p in result.problems
        ]
        await message.answer(t(lang, "pupils.problems", problems="\n".join(lines)))
        return
    await message.answer(t(lang, "pupils.imported", added=result.added, known=result.known))


@router.message(Command("pupils"))
async def show_class_list(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> None:
    if not await refuse_unless(message, actor, lang, *STAFF):
        return
    assert actor is not None
    args = (command.args or "").strip()[:40]
    if not args or message.chat.type != "private":  # names are shown privately only
        await message.answer(t(lang, "pupils.usage"))
        return
    found = await pupils.class_list(app.sessions, app.school_id, actor, args)
    match found.outcome:
        case pupils.Listed.UNKNOWN_UNIT:
            await message.answer(t(lang, "onb.unknown_unit", unit=args))
        case pupils.Listed.NOT_ALLOWED:
            await message.answer(t(lang, "common.not_allowed"))
        case _ if not found.names:
            await message.answer(t(lang, "pupils.list.empty", unit=found.unit_name))
        case _:
            names = "、".join(f"{name}{'✓' if linked else ''}" for name, linked in found.names)
            await message.answer(
                t(
                    lang,
                    "pupils.list",
                    unit=found.unit_name,
                    count=len(found.names),
                    linked=sum(1 for _, linked in found.names if linked),
                    names=names[:3500],
                )
            )
