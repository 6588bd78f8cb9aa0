"""School buses (校车): the escort's buttons (实到 N/N, 有人未到 → tick who is missing →
确认, 车厢已检查) and /bus (today's trips, or one bus).

Buttons carry the trip's stage: a press left over from an earlier stage, pressed twice or
forged changes nothing; only the bus's escort counts its riders.
"""

from __future__ import annotations

import datetime as dt
import io
import re

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.methods import AnswerCallbackQuery, SendDocument, SendMessage
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.core.dates import ParseFailure, describe, parse_day
from bot.core.i18n import t
from handlers.common import ctx_of, parse_id, pressed_message, school_calendar
from handlers.rendering import keyboard
from scheduler import bus as bs
from scheduler.actors import Person, has_role
from scheduler.app import App
from scheduler.bus import buttons, riders
from scheduler.duty import roster

router = Router(name="bus")
MAX_PROBLEM_LINES = 20
_DELAY = re.compile(
    r"^(?:晚到|迟到|晚点|late)\s*(\d{1,3})\s*(?:分钟|分|min|minutes)?(?:\s+(\S{1,20}))?$", re.I
)


@router.message(Command("bus"), F.document)
async def rider_file(
    message: Message, bot: Bot, app: App, actor: Person | None, lang: str
) -> SendMessage:
    """/bus import as a file's caption: the riders (.xlsx or .csv), checked whole."""
    if not has_role(actor, "admin"):
        return message.answer(
            t(lang, "common.unknown_user" if actor is None else "bus.import.admins_only")
        )
    assert actor is not None and message.document is not None
    document = message.document
    filename = document.file_name or ""
    if (document.file_size or 0) > roster.MAX_FILE_BYTES:
        return message.answer(t(lang, "duty.roster.too_big", kb=roster.MAX_FILE_BYTES // 1024))
    buffer = io.BytesIO()
    await bot.download(document, destination=buffer)
    # Read and checked before the transaction, in a worker thread, as the duty roster is.
    result = await riders.import_file(
        app.sessions, app.school_id, app.now(), actor, buffer.getvalue(), filename, app.settings
    )
    if not result.ok:
        lines = [roster.problem_text(p, lang) for p in result.problems[:MAX_PROBLEM_LINES]]
        if len(result.problems) > MAX_PROBLEM_LINES:
            more = len(result.problems) - MAX_PROBLEM_LINES
            lines.append(t(lang, "duty.roster.more", count=more))
        head = t(lang, "bus.import.rejected", count=len(result.problems))
        return message.answer("\n".join([head, *lines]))
    buses = "、".join(
        t(lang, "bus.import.per_bus", bus=bus, count=count) for bus, count in riders.summary(result)
    )
    return message.answer(t(lang, "bus.import.done", riders=len(result.rows), buses=buses))


@router.message(Command("bus"))
async def bus_command(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> SendMessage | SendDocument:
    if has_role(actor, "parent") and not has_role(actor, *bs.STAFF):
        assert actor is not None
        words = (command.args or "").strip()
        if words:
            return await _parent_delay(message, app, actor, words, lang)
        return await _parent_bus(message, app, actor, lang)
    if not has_role(actor, *bs.STAFF):
        return message.answer(
            t(lang, "common.unknown_user" if actor is None else "common.not_allowed")
        )
    words = (command.args or "").strip()
    if words.lower() in ("import", "导入"):
        return message.answer(t(lang, "bus.import.how"))
    if words.lower() in ("template", "模板") and has_role(actor, "admin"):
        return message.answer_document(
            BufferedInputFile(riders.template_xlsx(app.settings), riders.TEMPLATE_FILENAME),
            caption=t(lang, "bus.import.template_caption"),
        )
    if not words:
        return message.answer(
            await bs.listing(app.sessions, ctx_of(app), app.today(), lang, app.settings.bus)
        )
    number = parse_id(words)
    if number is None:
        return message.answer(t(lang, "bus.usage"))
    bus = await bs.bus_of(app.sessions, app.school_id, app.settings.bus, number)
    if bus is None:
        return message.answer(t(lang, "bus.unknown_bus", number=number))
    return message.answer(
        t(
            lang,
            "bus.info",
            bus=bs.bus_label(bus, number, lang),
            company=bus.company or "—",
            driver=bus.driver or "—",
            escort=bus.escort,
            route=bus.route or "—",
            am_board=bus.morning_board.strftime("%H:%M"),
            am_arrive=bus.morning_arrive.strftime("%H:%M"),
            pm_board=bus.afternoon_board.strftime("%H:%M"),
            pm_arrive=bus.afternoon_arrive.strftime("%H:%M"),
            riders=len(bus.riders),
        )
    )


@router.message(Command("absent"))
async def absent_command(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> SendMessage:
    """/absent [班级] 姓名 [日期]: a rider will not ride that day (today when no date); a
    parent whose child the bot knows writes the date alone (/absent 明天)."""
    if not has_role(actor, "admin", "head_teacher", "parent"):
        return message.answer(
            t(lang, "common.unknown_user" if actor is None else "bus.absent_not_allowed")
        )
    assert actor is not None
    args = (command.args or "").strip()
    calendar = await school_calendar(app)
    tz = app.settings.school.tz
    usage = (
        "absent.usage_parent" if not has_role(actor, "admin", "head_teacher") else "absent.usage"
    )
    words = args.split()
    class_text = words.pop(0) if words and words[0].endswith(("班", "班)")) else ""
    whole = (
        parse_day(args, app.now(), tz=tz, calendar=calendar) if args and not class_text else None
    )
    if isinstance(whole, dt.date):  # a date alone: the parent's own child
        name, day = "", whole
    elif not words:
        return message.answer(t(lang, usage))
    else:
        name, when = words[0][:20], " ".join(words[1:]) or "今天"
        parsed = parse_day(when, app.now(), tz=tz, calendar=calendar)
        if isinstance(parsed, ParseFailure):
            return message.answer(describe(parsed, lang) + "\n" + t(lang, usage))
        day = parsed
    result = await bs.mark_absent(
        app.sessions,
        ctx_of(app),
        actor,
        name,
        class_text,
        day,
        app.now(),
        app.settings,
        school_day=calendar.is_school_day(day),
    )
    app.wake_sender()
    return message.answer(_absence_reply(result, name, day, lang))


def _absence_reply(result: bs.Result, name: str, day: dt.date, lang: str) -> str:
    params = {"name": name, "day": day.isoformat()}
    match result.outcome:
        case bs.Outcome.DONE:
            bus = bs.bus_label(result.bus, result.bus.number if result.bus else 0, lang)
            return t(lang, "bus.absent_done", rider=result.missing[0], bus=bus, **params)
        case bs.Outcome.PAST_DAY:
            return t(lang, "bus.absent_past", **params)
        case bs.Outcome.NO_BUS_DAY:
            return t(lang, "bus.absent_no_bus_day", **params)
        case bs.Outcome.NO_CHILD:
            return t(lang, "bus.absent_no_child")
        case bs.Outcome.AMBIGUOUS if result.missing:
            return t(lang, "bus.absent_which_child", names="、".join(result.missing))
        case bs.Outcome.AMBIGUOUS:
            return t(lang, "bus.absent_which_class", **params)
        case bs.Outcome.NOT_ALLOWED:
            return t(lang, "bus.absent_not_allowed")
        case _:
            return t(lang, "bus.absent_no_rider", **params)


async def _parent_delay(
    message: Message, app: App, actor: Person, words: str, lang: str
) -> SendMessage:
    """/bus 晚到 10 [姓名]: the child will be at the stop late for today's next run."""
    found = _DELAY.match(words)
    if found is None:
        return message.answer(t(lang, "bus.delay_usage"))
    minutes, name = int(found[1]), found[2] or ""
    calendar = await school_calendar(app)
    result = await bs.report_delay(
        app.sessions,
        ctx_of(app),
        actor,
        minutes,
        name,
        app.now(),
        app.settings,
        school_day=calendar.is_school_day(app.today()),
    )
    app.wake_sender()
    match result.outcome:
        case bs.Outcome.DONE:
            rider, leg, board = result.missing
            bus = bs.bus_label(result.bus, result.bus.number if result.bus else 0, lang)
            return message.answer(
                t(lang, "bus.delay_done", rider=rider, bus=bus, minutes=minutes, board=board)
            )
        case bs.Outcome.BAD_COUNT:
            return message.answer(t(lang, "bus.delay_bad_minutes", max=bs.MAX_DELAY_MINUTES))
        case bs.Outcome.NO_BUS_DAY:
            return message.answer(t(lang, "bus.delay_no_bus_day"))
        case bs.Outcome.PAST_DAY:
            return message.answer(t(lang, "bus.delay_too_late"))
        case bs.Outcome.AMBIGUOUS:
            return message.answer(t(lang, "bus.delay_which_child", names="、".join(result.missing)))
        case _:
            return message.answer(t(lang, "bus.parent_unknown_child"))


async def _parent_bus(message: Message, app: App, actor: Person, lang: str) -> SendMessage:
    """A parent's /bus: their child's bus and stop, with 「今天/明天不坐校车」 buttons."""
    calendar = await school_calendar(app)
    today = app.today()
    mine = await bs.own_buses(app.sessions, ctx_of(app), actor, app.settings.bus)
    if not mine:
        return message.answer(t(lang, "bus.parent_unknown_child"))
    days = [(t(lang, "bus.when.today"), today)] if calendar.is_school_day(today) else []
    following = calendar.next_school_day(today)
    if following is not None:
        tomorrow = following == today + dt.timedelta(days=1)
        when = t(lang, "bus.when.next") if tomorrow else following.strftime("%m-%d ")
        days.append((when, following))
    lines = []
    for rider in mine:
        bus = rider.bus
        lines.append(
            t(
                lang,
                "bus.parent_child",
                name=rider.name,
                bus=bs.bus_label(bus, rider.bus_number, lang),
                stop=rider.stop or "—",
                board=bus.morning_board.strftime("%H:%M") if bus else "—",
            )
        )
    rows = buttons.absence_rows([(r.rider_id, r.name) for r in mine], days, lang)
    return message.answer("\n".join(lines), reply_markup=keyboard(rows))


@router.callback_query(bs.AbsencePress.filter())
async def absence_pressed(
    query: CallbackQuery, press: bs.AbsencePress, app: App, actor: Person | None, lang: str
) -> AnswerCallbackQuery:
    if actor is None:
        return query.answer(t(lang, "bus.not_found"), show_alert=True)
    calendar = await school_calendar(app)
    result = await bs.mark_own_child(
        app.sessions,
        ctx_of(app),
        actor,
        press.rider_id,
        press.day,
        app.now(),
        app.settings,
        school_day=calendar.is_school_day(press.day),
    )
    if result.outcome is not bs.Outcome.DONE:
        return query.answer(_absence_reply(result, "", press.day, lang), show_alert=True)
    app.wake_sender()
    message = pressed_message(query)
    if message is not None:
        await message.answer(_absence_reply(result, "", press.day, lang))
    return query.answer()


@router.callback_query(bs.Press.filter())
async def pressed(
    query: CallbackQuery, press: bs.Press, app: App, actor: Person | None, lang: str
) -> AnswerCallbackQuery:
    if actor is None:
        return query.answer(t(lang, "common.unknown_user"), show_alert=True)
    done = await bs.pressed(
        app.sessions, ctx_of(app), press, actor, app.now(), app.settings.bus, lang
    )
    match done.outcome:
        case bs.Outcome.DONE:
            pass
        case bs.Outcome.NOT_ALLOWED:
            return query.answer(t(lang, "bus.not_escort", escort=done.escort), show_alert=True)
        case bs.Outcome.STALE:
            return query.answer(t(lang, "bus.stale"), show_alert=True)
        case _:  # not found, or a tick of no rider
            return query.answer(t(lang, "bus.not_found"), show_alert=True)
    app.wake_sender()
    message = pressed_message(query)
    if message is not None and done.message is not None:
        await message.edit_text(done.message.text, reply_markup=keyboard(done.message.buttons))
    return query.answer()


# A press of ours that does not unpack (forged, truncated, a stage that is none): the bus's
# own word for it, not the fallback's.
_PREFIXES = tuple(
    f"{prefix}:"
    for family in (bs.Press, bs.AbsencePress)
    for prefix in (family.prefix, *family.legacy_prefixes)
)


@router.callback_query(F.data.startswith(_PREFIXES))
async def not_ours_any_more(query: CallbackQuery, lang: str) -> AnswerCallbackQuery:
    return query.answer(t(lang, "bus.not_found"), show_alert=True)
