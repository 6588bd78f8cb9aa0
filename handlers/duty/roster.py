"""24-hour duty: /duty, /roster and roster files, /swap."""

from __future__ import annotations

import datetime as dt
import io

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.core.dates import ParseFailure, describe, parse_day
from bot.core.i18n import t
from handlers.common import ADMIN, LEADERS, ctx_of, refuse_unless, school_calendar
from handlers.duty.common import STAFF
from scheduler.actors import Person
from scheduler.app import App
from scheduler.duty import roster, services
from scheduler.duty import swap as swaps
from scheduler.duty.buttons import SwapPress
from scheduler.duty.services import Change

router = Router(name="duty_roster")

WEEK_WORDS = {"week", "本周", "一周", "周", "7"}
MAX_PROBLEM_LINES = 40


# --- the roster --------------------------------------------------------------------------


@router.message(Command("duty"))
async def duty_command(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> None:
    """/duty: today and tomorrow; /duty week; /duty <date>; /duty <date> <post> <name>."""
    if not await refuse_unless(message, actor, lang, *STAFF):
        return
    assert actor is not None
    args = (command.args or "").strip()
    tokens = args.split()
    post_at = next(
        (i for i, word in enumerate(tokens) if roster.find_post(app.settings, word)), None
    )
    if post_at is not None:
        await _set_post(message, app, actor, lang, tokens, post_at)
        return
    today = app.today()
    if not args:
        days = [today, today + dt.timedelta(days=1)]
    elif args.lower() in WEEK_WORDS:
        if not await refuse_unless(message, actor, lang, *LEADERS):
            return
        days = [today + dt.timedelta(days=n) for n in range(7)]
    else:
        calendar = await school_calendar(app)
        day = parse_day(args, app.now(), tz=app.settings.school.tz, calendar=calendar)
        if isinstance(day, ParseFailure):
            await message.answer(describe(day, lang) + "\n\n" + t(lang, "duty.usage"))
            return
        days = [day]
    text = await services.roster_of(
        app.sessions, app.school_id, app.settings, days, lang, compact=len(days) > 2
    )
    await message.answer(text)


async def _set_post(
    message: Message, app: App, actor: Person, lang: str, tokens: list[str], post_at: int
) -> None:
    if not await refuse_unless(message, actor, lang, *ADMIN):
        return
    names = [n for word in tokens[post_at + 1 :] for n in roster.split_names(word)]
    result = await services.set_post(
        app.sessions,
        app.school_id,
        app.settings,
        app.now(),
        actor,
        " ".join(tokens[:post_at]),
        tokens[post_at],
        names,
        lang,
    )
    match result.outcome:
        case Change.DONE:
            await message.answer(t(lang, "duty.set.done") + "\n" + result.roster)
        case Change.REFUSED:
            assert result.problem is not None
            problem = roster.problem_text(result.problem, lang)
            await message.answer(problem + "\n\n" + t(lang, "duty.usage"))


@router.message(Command("roster"))
async def roster_command(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> None:
    """/roster template sends the .xlsx template; /roster alone says how to import."""
    if not await refuse_unless(message, actor, lang, *ADMIN):
        return
    if (command.args or "").strip().lower() not in ("template", "模板"):
        await message.answer(t(lang, "duty.roster.help"))
        return
    first_day = app.today() + dt.timedelta(days=1)
    data = await services.roster_template(app.sessions, app.school_id, app.settings, first_day)
    await message.answer_document(
        BufferedInputFile(data, filename=roster.TEMPLATE_FILENAME),
        caption=t(lang, "duty.roster.template_caption"),
    )


def _looks_like_roster(message: Message) -> bool:
    name = (message.document.file_name or "").lower() if message.document else ""
    return name.endswith((".xlsx", ".csv"))


@router.message(F.document, F.chat.type == "private", _looks_like_roster)
async def roster_file(
    message: Message, bot: Bot, app: App, actor: Person | None, lang: str
) -> None:
    if not await refuse_unless(message, actor, lang, *ADMIN):
        return
    assert actor is not None and message.document is not None
    document = message.document
    if (document.file_size or 0) > roster.MAX_FILE_BYTES:
        await message.answer(t(lang, "duty.roster.too_big", kb=roster.MAX_FILE_BYTES // 1024))
        return
    buffer = io.BytesIO()
    await bot.download(document, destination=buffer)
    # Read before the transaction, in a worker thread: a big sheet holds neither the database
    # nor the other chats.
    table = await roster.read_file(buffer.getvalue(), document.file_name or "")
    imported = await services.import_roster(
        app.sessions,
        app.school_id,
        app.settings,
        app.now(),
        actor,
        table,
        document.file_name or "",
        lang,
    )
    result = imported.result
    if imported.outcome is Change.REFUSED:
        await message.answer(_rejection(result.problems, lang))
        return
    first, last = result.days[0], result.days[-1]
    head = t(
        lang,
        "duty.roster.imported",
        rows=len(result.assignments),
        days=len(result.days),
        first=first.isoformat(),
        last=last.isoformat(),
    )
    await message.answer(f"{head}\n\n{imported.roster}")


def _rejection(problems: list[roster.Problem], lang: str) -> str:
    lines = [roster.problem_text(p, lang) for p in problems[:MAX_PROBLEM_LINES]]
    if len(problems) > MAX_PROBLEM_LINES:
        lines.append(t(lang, "duty.roster.more", count=len(problems) - MAX_PROBLEM_LINES))
    head = t(lang, "duty.roster.rejected", count=len(problems))
    return "\n".join([head, *lines])


# --- swaps -------------------------------------------------------------------------------


@router.message(Command("swap"))
async def swap_command(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> None:
    if not await refuse_unless(message, actor, lang, *STAFF):
        return
    assert actor is not None
    asked = await services.request_swap(
        app.sessions,
        ctx_of(app),
        app.settings,
        app.now(),
        actor,
        (command.args or "")[:200],
        lang,
    )
    # Answers go out after the transaction: the database is not held during a Bot API call.
    match asked.outcome:
        case Change.DONE:
            app.wake_sender()
            text = t(lang, "duty.swap.requested", name=asked.partner, what=asked.what)
            await message.answer(text)
        case Change.REFUSED:
            assert asked.problem is not None
            await message.answer(_problem_with_usage(asked.problem, "duty.swap.usage", lang))


@router.callback_query(SwapPress.filter())
async def swap_answer(
    query: CallbackQuery, press: SwapPress, app: App, actor: Person | None, lang: str
) -> None:
    if actor is None:
        await query.answer(t(lang, "common.unknown_user"), show_alert=True)
        return
    result = await services.answer_swap(
        app.sessions, ctx_of(app), app.settings, app.now(), actor, press.swap_id, press.accept
    )
    app.wake_sender()
    text = t(lang, f"duty.swap.answer.{result.answer.value}")
    if result.answer in (swaps.Answer.ACCEPTED, swaps.Answer.DECLINED):
        await query.answer(text)
        if isinstance(query.message, Message):
            await query.message.edit_text(
                f"{query.message.text or ''}\n\n{text}", reply_markup=None
            )
    else:
        await query.answer(text, show_alert=True)


def _problem_with_usage(problem: roster.Problem, usage_key: str, lang: str) -> str:
    text = roster.problem_text(problem, lang)
    return text if problem.key == usage_key else f"{text}\n\n{t(lang, usage_key)}"
