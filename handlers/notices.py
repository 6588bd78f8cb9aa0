"""/notice: write a notice to parents step by step, send it on confirmation, see who confirmed;
and the parents' 已阅知晓 button.

Every step stores what the author sent in the draft at once (nothing is lost, a restart
resumes), and nothing reaches a parent before the author presses 确认发送.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import App
from bot.core.dates import describe, examples, school_part_times
from bot.core.i18n import t
from bot.core.messages import Button, OutMessage
from bot.telegram_transport import TelegramTransport, keyboard
from handlers.common import ID, parse_id, refuse_unless, school_calendar
from handlers.media import MediaTooLarge, download_file, download_photo
from scheduler import notices as service
from scheduler.delivery import ResendScope, resend_offer
from scheduler.routine import Context
from storage import audit, people
from storage import notices as store
from storage.models import Person, Unit
from storage.notices import Audience, Notice

router = Router(name="notices")

AUTHORS = ("admin", "head_teacher")
MAX_MESSAGE = 4096
SKIP_WORDS = {"跳过", "skip", "无", "没有", "不用", "no", "none"}
NOT_A_COMMAND = F.text & ~F.text.startswith("/")


class NoticeForm(StatesGroup):
    text = State()
    attachment = State()
    audience = State()
    deadline = State()
    groups = State()
    preview = State()
    receipt = State()


class ReceiptForm(StatesGroup):
    """A guardian typing a signature or a short note for one child's receipt."""

    signature = State()
    text = State()


def _ctx(app: App) -> Context:
    return Context(app.school_id, app.settings.school.language, app.tz)


def _buttons(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=text, callback_data=data) for text, data in pairs]
        ]
    )


# --- /notice and /notice <id> ----------------------------------------------------------------


@router.message(Command("notice"))
async def notice_command(
    message: Message,
    command: CommandObject,
    app: App,
    actor: Person | None,
    lang: str,
    state: FSMContext,
) -> None:
    args = (command.args or "").strip()
    notice_id = parse_id(args)
    if notice_id is not None:
        await show_report(message, app, actor, lang, notice_id)
        return
    if args:
        await message.answer(t(lang, "notice.usage"))
        return
    if not await refuse_unless(message, actor, lang, *AUTHORS):
        return
    if message.chat.type != "private":
        await message.answer(t(lang, "notice.private_only"))
        return
    await state.set_state(NoticeForm.text)
    await state.set_data({})
    await message.answer(t(lang, "notice.ask_text", limit=service.MAX_NOTICE_TEXT))


async def show_report(
    message: Message, app: App, actor: Person | None, lang: str, notice_id: int
) -> None:
    if not await refuse_unless(message, actor, lang, *AUTHORS):
        return
    assert actor is not None
    resend: Button | None = None  # an admin's 重发未确认的 N 条
    async with app.sessions() as session:
        notice = await store.get(session, app.school_id, notice_id)
        scope = service.report_scope(actor, notice) if notice is not None else False
        if notice is not None and scope is not False and notice.status not in store.UNSENT:
            report = (await service.build_report(session, _ctx(app), notice)).only(
                scope if isinstance(scope, set) else None
            )
            if people.has_role(actor, "admin") and message.chat.type == "private":
                resend = await resend_offer(session, _ctx(app), ResendScope.notice(notice_id), lang)
    # Refusals are answered outside the session: the database is not held during a call.
    if notice is None:
        await message.answer(t(lang, "notice.not_found", id=notice_id))
        return
    if scope is False:
        await message.answer(t(lang, "common.not_allowed"))
        return
    if notice.status in store.UNSENT:
        await message.answer(t(lang, "notice.not_sent_yet", id=notice_id))
        return
    if isinstance(scope, set) and not report.classes:
        await message.answer(t(lang, "common.not_allowed"))
        return
    private = message.chat.type == "private"
    # Names stay private (Chengdu 2023: no lists of parents in parent groups): a group sees
    # each class's rate and counts only.
    chunks = service.format_report(report, lang, app.tz, names=private)
    if not private:
        chunks[-1] += "\n\n" + t(lang, "notice.report.group_only_rates")
    chase = _chase_buttons(report, lang) if private else None
    if resend is not None:
        rows = chase.inline_keyboard if chase is not None else []
        chase = keyboard(OutMessage("", buttons=((resend,),)))
        assert chase is not None
        chase.inline_keyboard[:0] = rows
    for index, chunk in enumerate(chunks):
        if index:
            await _between_messages(app)
        last = index == len(chunks) - 1
        await message.answer(chunk, reply_markup=chase if last else None)


def _chase_buttons(report: service.NoticeReport, lang: str) -> InlineKeyboardMarkup | None:
    """🔔 per class with guardians still to ask, while the notice collects receipts."""
    if report.notice.status not in store.LIVE:
        return None
    rows = [
        [
            InlineKeyboardButton(
                text=t(lang, "notice.button.chase", unit=row.name),
                callback_data=service.chase_callback(report.notice.id, row.unit_id),
            )
        ]
        for row in report.classes
        if row.unit_id is not None and row.missing
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows[:20]) if rows else None


# --- step 1: the text ------------------------------------------------------------------------


@router.message(NoticeForm.text, NOT_A_COMMAND)
async def got_text(
    message: Message, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    if not await refuse_unless(message, actor, lang, *AUTHORS):
        return
    assert actor is not None and message.text is not None
    text = message.text.strip()
    if len(text) > service.MAX_NOTICE_TEXT:
        await message.answer(
            t(lang, "notice.text_too_long", length=len(text), limit=service.MAX_NOTICE_TEXT)
        )
        return
    async with app.sessions.begin() as session:
        notice = await service.start_draft(session, app.school_id, actor, text, app.now())
        notice_id = notice.id
    await state.update_data(draft=notice_id)
    await state.set_state(NoticeForm.attachment)
    await message.answer(
        t(lang, "notice.ask_attachment"),
        reply_markup=_buttons((t(lang, "notice.button.skip"), f"nd:{notice_id}:skip")),
    )


@router.message(NoticeForm.text, ~F.text.startswith("/"))
async def text_needed(message: Message, lang: str) -> None:
    await message.answer(t(lang, "notice.text_needed"))


# --- step 2: an optional photo or document ---------------------------------------------------


@router.message(NoticeForm.attachment, F.photo)
async def got_photo(
    message: Message, bot: Bot, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    draft_id = await _draft_id(state)
    try:
        photo = await download_photo(bot, app, message)
    except MediaTooLarge as exc:
        await message.answer(
            t(lang, "notice.attachment_too_large", limit=exc.limit // (1024 * 1024))
        )
        return
    assert photo is not None and actor is not None
    stored, file_id, _, _ = photo
    await _attach_and_continue(
        message, app, actor, lang, state, draft_id, "photo", file_id, str(stored.path)
    )


@router.message(NoticeForm.attachment, F.document)
async def got_document(
    message: Message, bot: Bot, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    document = message.document
    assert document is not None and actor is not None
    name = document.file_name or ""
    mime = document.mime_type or ""
    if mime not in service.DOCUMENT_TYPES and not name.lower().endswith((".pdf", ".docx")):
        await message.answer(t(lang, "notice.attachment_wrong_type"))
        return
    try:
        stored = await download_file(bot, app, document, mime or "application/octet-stream")
    except MediaTooLarge as exc:
        await message.answer(
            t(lang, "notice.attachment_too_large", limit=exc.limit // (1024 * 1024))
        )
        return
    draft_id = await _draft_id(state)
    await _attach_and_continue(
        message,
        app,
        actor,
        lang,
        state,
        draft_id,
        "document",
        document.file_id,
        str(stored.path),
        name,
    )


@router.message(NoticeForm.attachment, F.text.lower().in_(SKIP_WORDS))
async def skip_typed(
    message: Message, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    assert actor is not None
    await _ask_audience(message, app, actor, lang, state)


@router.callback_query(F.data.regexp(rf"^nd:{ID}:skip$"))
async def skip_pressed(
    query: CallbackQuery, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    if not await _own_step(query, state, lang, NoticeForm.attachment):
        return
    assert actor is not None and isinstance(query.message, Message)
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await _ask_audience(query.message, app, actor, lang, state)


@router.message(NoticeForm.attachment, ~F.text.startswith("/"))
async def attachment_expected(message: Message, lang: str) -> None:
    await message.answer(t(lang, "notice.attachment_expected"))


async def _attach_and_continue(
    message: Message,
    app: App,
    actor: Person,
    lang: str,
    state: FSMContext,
    draft_id: int | None,
    kind: str,
    file_id: str,
    path: str,
    filename: str = "",
) -> None:
    async with app.sessions.begin() as session:
        notice = await _draft(session, app, draft_id, actor)
        if notice is not None:
            service.attach(notice, kind, file_id, path, filename)
    if notice is None:
        await _draft_gone(message, state, lang)
        return
    await _ask_audience(message, app, actor, lang, state, before=t(lang, "notice.attachment_kept"))


# --- step 3: the audience --------------------------------------------------------------------


async def _ask_audience(
    message: Message, app: App, actor: Person, lang: str, state: FSMContext, before: str = ""
) -> None:
    """Admins choose; a head teacher of one class writes to it without being asked.

    ``before`` is put in front of the question: one message per step, not two in a row.
    """
    await state.set_state(NoticeForm.audience)
    if people.has_role(actor, "admin"):
        draft_id = await _draft_id(state)
        await message.answer(
            _joined(before, t(lang, "notice.ask_audience")),
            reply_markup=_buttons(
                (t(lang, "notice.button.school"), f"nd:{draft_id}:aud:school"),
                (t(lang, "notice.button.staff"), f"nd:{draft_id}:aud:staff"),
            ),
        )
        return
    own = sorted(people.unit_ids_with_role(actor, "head_teacher"))
    if len(own) == 1:  # a head teacher writes to their own class: nothing to choose
        await _choose_audience(
            message, app, actor, lang, state, Audience("classes", unit_ids=(own[0],)), before
        )
        return
    async with app.sessions() as session:
        names = [u.name for u in await _units(session, own)]
    await message.answer(
        _joined(before, t(lang, "notice.ask_own_classes", classes="、".join(names)))
    )


@router.message(NoticeForm.audience, NOT_A_COMMAND)
async def audience_typed(
    message: Message, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    assert actor is not None and message.text is not None
    async with app.sessions() as session:
        classes = await people.units(session, app.school_id, "class")
    parsed = service.parse_audience(message.text, classes)
    if parsed.audience is None:
        await message.answer(t(lang, "notice.audience.unknown", text=parsed.unknown))
        return
    await _choose_audience(message, app, actor, lang, state, parsed.audience)


@router.callback_query(F.data.regexp(rf"^nd:{ID}:aud:(school|staff)$"))
async def audience_pressed(
    query: CallbackQuery, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    if not await _own_step(query, state, lang, NoticeForm.audience):
        return
    assert actor is not None and isinstance(query.message, Message)
    kind = (query.data or "").rsplit(":", 1)[1]
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await _choose_audience(
        query.message, app, actor, lang, state, Audience("school" if kind == "school" else "staff")
    )


async def _choose_audience(
    message: Message,
    app: App,
    actor: Person,
    lang: str,
    state: FSMContext,
    audience: Audience,
    before: str = "",
) -> None:
    if not service.may_address(actor, audience):
        async with app.sessions() as session:
            own = await _units(session, sorted(people.unit_ids_with_role(actor, "head_teacher")))
        await message.answer(
            t(lang, "notice.audience.not_allowed", classes="、".join(u.name for u in own) or "-")
        )
        return
    wanted = await _draft_id(state)  # first: reading the state may need the database
    async with app.sessions.begin() as session:
        notice = await _draft(session, app, wanted, actor)
        if notice is not None:
            notice.audience = audience.to_json()
            summary = await service.summarize_audience(session, app.school_id, audience)
    if notice is None:
        await _draft_gone(message, state, lang)
        return
    described = service.describe_audience(audience, summary, lang)
    await state.set_state(NoticeForm.deadline)
    await message.answer(
        _joined(before, t(lang, "notice.ask_deadline", audience=described, total=summary.total))
    )


@router.message(NoticeForm.audience, ~F.text.startswith("/"))
async def audience_expected(message: Message, lang: str) -> None:
    await message.answer(t(lang, "notice.ask_audience"))


# --- step 4: the deadline --------------------------------------------------------------------


@router.message(NoticeForm.deadline, NOT_A_COMMAND)
async def deadline_typed(
    message: Message, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    assert actor is not None and message.text is not None
    settings = app.settings.notices
    deadline = service.deadline_from_text(
        message.text,
        app.now(),
        app.settings.school.tz,
        settings,
        await school_calendar(app),
        school_part_times(**app.settings.dates.model_dump()),
    )
    if isinstance(deadline, service.DeadlineProblem):
        if deadline.failure is not None:
            await message.answer(describe(deadline.failure, lang) + "\n\n" + examples(lang))
        else:
            await message.answer(t(lang, deadline.key, days=settings.max_deadline_days))
        return
    wanted = await _draft_id(state)  # first: reading the state may need the database
    async with app.sessions.begin() as session:
        notice = await _draft(session, app, wanted, actor)
        if notice is not None:
            notice.deadline_at = deadline
            staff = notice.audience.get("kind") == "staff"
            draft_id = notice.id
    if notice is None:
        await _draft_gone(message, state, lang)
        return
    if staff:
        await _preview(message, app, actor, lang, state)
        return
    await state.set_state(NoticeForm.groups)
    await message.answer(
        t(lang, "notice.ask_groups"),
        reply_markup=_buttons(
            (t(lang, "notice.button.groups_yes"), f"nd:{draft_id}:grp:1"),
            (t(lang, "notice.button.groups_no"), f"nd:{draft_id}:grp:0"),
        ),
    )


@router.message(NoticeForm.deadline, ~F.text.startswith("/"))
async def deadline_expected(message: Message, lang: str) -> None:
    await message.answer(t(lang, "notice.deadline_expected") + "\n\n" + examples(lang))


# --- step 5: the class groups too? -----------------------------------------------------------


@router.callback_query(F.data.regexp(rf"^nd:{ID}:grp:[01]$"))
async def groups_pressed(
    query: CallbackQuery, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    if not await _own_step(query, state, lang, NoticeForm.groups):
        return
    assert actor is not None and isinstance(query.message, Message)
    wanted = await _draft_id(state)  # first: reading the state may need the database
    async with app.sessions.begin() as session:
        notice = await _draft(session, app, wanted, actor)
        if notice is not None:
            notice.post_to_groups = (query.data or "").endswith(":1")
    if notice is None:
        await _draft_gone(query, state, lang)
        return
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await _preview(query.message, app, actor, lang, state)


@router.message(NoticeForm.groups, ~F.text.startswith("/"))
async def groups_expected(message: Message, lang: str, state: FSMContext) -> None:
    draft_id = await _draft_id(state)
    await message.answer(
        t(lang, "notice.ask_groups"),
        reply_markup=_buttons(
            (t(lang, "notice.button.groups_yes"), f"nd:{draft_id}:grp:1"),
            (t(lang, "notice.button.groups_no"), f"nd:{draft_id}:grp:0"),
        ),
    )


# --- step 6: preview and confirm -------------------------------------------------------------


async def _preview(message: Message, app: App, actor: Person, lang: str, state: FSMContext) -> None:
    """The notice as parents will see it and what will happen, with 确认发送 and 取消.

    A text notice and its summary fit in one message (which later becomes the progress
    line); a photo or a file goes first, on its own.
    """
    wanted = await _draft_id(state)  # first: reading the state may need the database
    async with app.sessions() as session:
        notice = await _draft(session, app, wanted, actor)
        audience = Audience.from_json(notice.audience) if notice is not None else None
        if audience is not None:
            summary = await service.summarize_audience(session, app.school_id, audience)
    if notice is None or audience is None:
        await _draft_gone(message, state, lang)
        return
    await state.set_state(NoticeForm.preview)
    check = service.preview_summary(
        notice, audience, summary, lang, app.tz, app.settings.notices, app.now()
    )
    buttons = _buttons(
        (t(lang, "notice.button.send"), f"nd:{notice.id}:send"),
        (t(lang, "notice.button.cancel"), f"nd:{notice.id}:cancel"),
    )
    if audience.kind != "staff":
        buttons.inline_keyboard.append(
            [
                InlineKeyboardButton(
                    text=t(lang, "notice.button.receipt"), callback_data=f"nd:{notice.id}:rcpt"
                )
            ]
        )
    shown = service.notice_messages(notice, lang, app.tz, button=False)
    intro = t(lang, "notice.preview_intro")
    together = f"{intro}\n\n{shown[0].text}\n\n———\n{check}"
    if len(shown) == 1 and shown[0].kind == "text" and len(together) <= MAX_MESSAGE:
        await message.answer(together, reply_markup=buttons)
        return
    assert message.bot is not None
    transport = TelegramTransport(message.bot)
    for part in shown:
        await transport.deliver(message.chat.id, part)
        await _between_messages(app)
    await message.answer(f"{intro}\n\n{check}", reply_markup=buttons)


async def _between_messages(app: App) -> None:
    # Direct replies share Telegram's one-message-a-second limit per chat with the outbox.
    await asyncio.sleep(app.settings.telegram.per_chat_interval_s)


@router.callback_query(F.data.regexp(rf"^nd:{ID}:send$"))
async def send_pressed(
    query: CallbackQuery, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    if not await _own_step(query, state, lang, NoticeForm.preview):
        return
    assert actor is not None and isinstance(query.message, Message)
    ctx = _ctx(app)
    wanted = await _draft_id(state)  # first: reading the state may need the database
    async with app.sessions.begin() as session:
        notice = await _draft(session, app, wanted, actor)
        if notice is not None:
            author = await session.get(Person, actor.id)
            assert author is not None
            # The preview's summary message becomes the "sent / total" line, edited in place.
            result = await service.confirm_and_enqueue(
                session,
                ctx,
                app.settings.notices,
                notice,
                author,
                app.now(),
                progress_chat_id=query.message.chat.id,
                progress_message_id=query.message.message_id,
            )
            notice_id = notice.id
    if notice is None:
        await _draft_gone(query, state, lang)
        return
    await state.clear()
    match result.outcome:
        case service.SendOutcome.QUEUED:
            app.wake_sender()
            _follow(app, ctx, notice_id)
            await query.answer(t(lang, "notice.sending"))
        case service.SendOutcome.DEADLINE_PASSED:
            await query.answer(t(lang, "notice.deadline_passed"), show_alert=True)
        case service.SendOutcome.NOT_ALLOWED:
            await query.answer(t(lang, "common.not_allowed"), show_alert=True)
        case _:
            await query.answer(t(lang, "notice.incomplete"), show_alert=True)


@router.callback_query(F.data.regexp(rf"^nd:{ID}:cancel$"))
async def cancel_pressed(
    query: CallbackQuery, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    if not await _own_step(query, state, lang, NoticeForm.preview):
        return
    assert actor is not None and isinstance(query.message, Message)
    wanted = await _draft_id(state)  # first: reading the state may need the database
    async with app.sessions.begin() as session:
        notice = await _draft(session, app, wanted, actor)
        if notice is not None:
            service.cancel_draft(notice)
            audit.record(
                session, app.school_id, actor.id, "notice.cancel", app.now(), notice_id=notice.id
            )
    await state.clear()
    await query.answer()
    await query.message.edit_text(t(lang, "notice.cancelled"), reply_markup=None)


@router.message(NoticeForm.preview, ~F.text.startswith("/"))
async def confirm_expected(message: Message, lang: str) -> None:
    await message.answer(t(lang, "notice.confirm_expected"))


@router.callback_query(F.data.regexp(rf"^nd:{ID}:rcpt$"))
async def receipt_pressed(query: CallbackQuery, lang: str, state: FSMContext) -> None:
    """On the preview: choose what parents give back (a choice, a signature, a note)."""
    if not await _own_step(query, state, lang, NoticeForm.preview):
        return
    assert isinstance(query.message, Message)
    await state.set_state(NoticeForm.receipt)
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(t(lang, "notice.ask_receipt"))


@router.message(NoticeForm.receipt, NOT_A_COMMAND)
async def receipt_typed(
    message: Message, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    assert actor is not None and message.text is not None
    parsed = service.parse_receipt(message.text[:200])
    if parsed.spec is None:
        await message.answer(t(lang, parsed.problem, **(parsed.params or {})))
        return
    wanted = await _draft_id(state)  # first: reading the state may need the database
    async with app.sessions.begin() as session:
        notice = await _draft(session, app, wanted, actor)
        if notice is not None:
            service.set_receipt(notice, parsed.spec.to_json())
    if notice is None:
        await _draft_gone(message, state, lang)
        return
    await _preview(message, app, actor, lang, state)


@router.message(NoticeForm.receipt, ~F.text.startswith("/"))
async def receipt_expected(message: Message, lang: str) -> None:
    await message.answer(t(lang, "notice.ask_receipt"))


def _follow(app: App, ctx: Context, notice_id: int) -> None:
    """Edit the progress line every few seconds while the broadcast drains."""
    followers: set[asyncio.Task[None]] = app.extras.setdefault("notice_followers", set())
    task = asyncio.create_task(
        service.follow_broadcast(
            app.sessions,
            app.clock,
            ctx,
            notice_id,
            app.wake_sender,
            app.settings.notices.progress_every_s,
        ),
        name=f"notice-{notice_id}-progress",
    )
    followers.add(task)  # a task nobody references may be garbage-collected mid-way
    task.add_done_callback(followers.discard)


# --- the parents' 已阅知晓 button -------------------------------------------------------------


@router.callback_query(F.data.regexp(rf"^n:{ID}:ok$"))
async def read_pressed(
    query: CallbackQuery, app: App, actor: Person | None, lang: str
) -> AnswerCallbackQuery:
    """Returns its answer: by webhook it is the response, and a press replayed after its
    query expired ("query is too old") must not fail the update."""
    if actor is None:
        return query.answer(t(lang, "common.unknown_user"), show_alert=True)
    notice_id = int((query.data or "").split(":")[1])
    message = query.message if isinstance(query.message, Message) else None
    async with app.sessions.begin() as session:
        result = await service.record_press(
            session,
            app.school_id,
            notice_id,
            actor,
            app.now(),
            tg_chat_id=message.chat.id if message else None,
            tg_message_id=message.message_id if message else None,
        )
    match result.outcome:
        case service.Press.RECORDED | service.Press.ALREADY:
            assert result.confirmed_at is not None
            if message is not None:
                buttons = service.confirmed_buttons(notice_id, lang, result.confirmed_at, app.tz)
                # A second press finds the button already changed: "not modified" is fine.
                with contextlib.suppress(TelegramBadRequest):
                    await message.edit_reply_markup(
                        reply_markup=keyboard(OutMessage("", buttons=buttons))
                    )
            if result.outcome is service.Press.RECORDED:
                return query.answer(t(lang, "notice.press.recorded"))
            shown = result.confirmed_at.astimezone(app.tz).strftime("%m-%d %H:%M")
            return query.answer(t(lang, "notice.press.already", time=shown), show_alert=True)
        case service.Press.NOT_RECIPIENT:
            return query.answer(t(lang, "notice.press.not_recipient"), show_alert=True)
        case _:
            return query.answer(t(lang, "notice.press.unknown"), show_alert=True)


# --- a guardian's receipt for one child: 已阅知晓, a choice, a signature, a note ---------------


@router.callback_query(F.data.regexp(r"^n:\d{1,12}:\d{1,12}:(ok|o[0-4]|sg|tx)$"))
async def receipt_button(
    query: CallbackQuery, app: App, actor: Person | None, lang: str, state: FSMContext
) -> AnswerCallbackQuery:
    if actor is None:
        return query.answer(t(lang, "common.unknown_user"), show_alert=True)
    found = service.RECEIPT_CALLBACK.match(query.data or "")
    assert found is not None
    notice_id, pupil_id = int(found.group(1)), int(found.group(2)) or None
    action = found.group(3)
    message = query.message if isinstance(query.message, Message) else None
    where = {
        "tg_chat_id": message.chat.id if message else None,
        "tg_message_id": message.message_id if message else None,
    }
    now = app.now()
    async with app.sessions.begin() as session:
        if action == "ok":
            result = await service.record_read(
                session, app.school_id, notice_id, actor, pupil_id, now, **where
            )
        elif action.startswith("o"):
            result = await service.record_choice(
                session, app.school_id, notice_id, actor, pupil_id, int(action[1:]), now, **where
            )
        else:
            part = "signature" if action == "sg" else "text"
            result = await service.check_can_sign(
                session, app.school_id, notice_id, actor, pupil_id, part
            )
        buttons = (
            service.receipt_buttons(result.notice, pupil_id, lang, app.tz, result.row)
            if result.notice is not None and result.row is not None
            else None
        )
        spec = service.ReceiptSpec.of(result.notice) if result.notice is not None else None
        chosen = result.row.choice if result.row is not None else None
    match result.outcome:
        case service.Receipt.UNKNOWN:
            return query.answer(t(lang, "notice.press.unknown"), show_alert=True)
        case service.Receipt.NOT_RECIPIENT:
            return query.answer(t(lang, "notice.press.not_recipient"), show_alert=True)
        case service.Receipt.NOT_ASKED:
            return query.answer(t(lang, "notice.receipt.not_asked"), show_alert=True)
    if message is not None and buttons is not None and action not in ("sg", "tx"):
        with contextlib.suppress(TelegramBadRequest):  # a second press: "not modified"
            await message.edit_reply_markup(reply_markup=keyboard(OutMessage("", buttons=buttons)))
    if action in ("sg", "tx"):
        if action == "sg" and result.outcome is service.Receipt.ALREADY:
            return query.answer(t(lang, "notice.receipt.already_signed"), show_alert=True)
        form = ReceiptForm.signature if action == "sg" else ReceiptForm.text
        await state.set_state(form)
        await state.set_data(
            {
                "notice": notice_id,
                "pupil": pupil_id or 0,
                "chat": where["tg_chat_id"],
                "message": where["tg_message_id"],
                "child": result.child,
            }
        )
        if message is not None:
            if action == "sg":
                example = result.child or actor.display_name
                await message.answer(t(lang, "notice.receipt.ask_signature", child=example))
            else:
                await message.answer(
                    t(lang, "notice.receipt.ask_text", limit=service.MAX_REPLY_TEXT)
                )
        return query.answer()
    if result.outcome is service.Receipt.ALREADY:
        if action.startswith("o") and spec is not None and chosen is not None:
            option = spec.options[chosen]
            return query.answer(
                t(lang, "notice.receipt.already_chosen", option=option), show_alert=True
            )
        assert result.row is not None and result.row.confirmed_at is not None
        shown = result.row.confirmed_at.astimezone(app.tz).strftime("%m-%d %H:%M")
        return query.answer(t(lang, "notice.press.already", time=shown), show_alert=True)
    if result.completed:
        return query.answer(t(lang, "notice.receipt.complete"))
    if action.startswith("o") and spec is not None and chosen is not None:
        return query.answer(t(lang, "notice.receipt.chosen", option=spec.options[chosen]))
    return query.answer(t(lang, "notice.press.recorded"))


@router.message(ReceiptForm.signature, NOT_A_COMMAND)
async def signature_typed(
    message: Message, bot: Bot, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    assert message.text is not None
    data = await state.get_data()
    if actor is None:
        await message.answer(t(lang, "common.unknown_user"))
        return
    now = app.now()
    async with app.sessions.begin() as session:
        result = await service.record_signature(
            session,
            app.school_id,
            int(data.get("notice", 0)),
            actor,
            int(data.get("pupil", 0)) or None,
            message.text,
            now,
            tg_chat_id=message.chat.id,
            tg_message_id=message.message_id,
        )
        buttons = (
            service.receipt_buttons(
                result.notice, int(data.get("pupil", 0)) or None, lang, app.tz, result.row
            )
            if result.notice is not None and result.row is not None
            else None
        )
        signed = (
            (result.row.signed_name, result.row.signed_relation)
            if result.row is not None
            else ("", "")
        )
    child = result.child or str(data.get("child") or "") or actor.display_name
    match result.outcome:
        case service.Receipt.WRONG_NAME:
            await message.answer(t(lang, "notice.receipt.wrong_name", child=child))
            return
        case service.Receipt.BAD_SIGNATURE:
            await message.answer(t(lang, "notice.receipt.bad_signature", child=child))
            return
        case service.Receipt.ALREADY:
            await state.clear()
            await message.answer(t(lang, "notice.receipt.already_signed"))
            return
        case service.Receipt.RECORDED:
            pass
        case _:
            await state.clear()
            await message.answer(t(lang, "notice.press.unknown"))
            return
    await state.clear()
    await _refresh_buttons(bot, data, buttons)
    reply = t(
        lang,
        "notice.receipt.signed",
        name=signed[0],
        relation=signed[1],
        time=service.local_time(now, app.tz),
    )
    if result.completed:
        reply += "\n" + t(lang, "notice.receipt.complete")
    await message.answer(reply)


@router.message(ReceiptForm.signature, ~F.text.startswith("/"))
async def signature_expected(message: Message, lang: str, state: FSMContext) -> None:
    child = str((await state.get_data()).get("child") or "")
    await message.answer(t(lang, "notice.receipt.signature_expected", child=child or "王小明"))


@router.message(ReceiptForm.text, NOT_A_COMMAND)
async def reply_text_typed(
    message: Message, bot: Bot, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    assert message.text is not None
    data = await state.get_data()
    if actor is None:
        await message.answer(t(lang, "common.unknown_user"))
        return
    if len(message.text.strip()) > service.MAX_REPLY_TEXT:
        await message.answer(t(lang, "notice.receipt.text_too_long", limit=service.MAX_REPLY_TEXT))
        return
    async with app.sessions.begin() as session:
        result = await service.record_reply_text(
            session,
            app.school_id,
            int(data.get("notice", 0)),
            actor,
            int(data.get("pupil", 0)) or None,
            message.text,
            app.now(),
        )
        buttons = (
            service.receipt_buttons(
                result.notice, int(data.get("pupil", 0)) or None, lang, app.tz, result.row
            )
            if result.notice is not None and result.row is not None
            else None
        )
    match result.outcome:
        case service.Receipt.RECORDED:
            await state.clear()
            await _refresh_buttons(bot, data, buttons)
            await message.answer(t(lang, "notice.receipt.text_saved"))
        case service.Receipt.EMPTY:
            await message.answer(t(lang, "notice.receipt.text_expected"))
        case service.Receipt.TOO_LONG:
            await message.answer(
                t(lang, "notice.receipt.text_too_long", limit=service.MAX_REPLY_TEXT)
            )
        case _:
            await state.clear()
            await message.answer(t(lang, "notice.press.unknown"))


@router.message(ReceiptForm.text, ~F.text.startswith("/"))
async def reply_text_expected(message: Message, lang: str) -> None:
    await message.answer(t(lang, "notice.receipt.text_expected"))


async def _refresh_buttons(bot: Bot, data: dict, buttons: object) -> None:  # type: ignore[type-arg]
    """The notice's buttons now show the signature or the note (best effort)."""
    chat, message_id = data.get("chat"), data.get("message")
    if buttons is None or not chat or not message_id:
        return
    with contextlib.suppress(TelegramBadRequest):
        await bot.edit_message_reply_markup(
            chat_id=int(chat),
            message_id=int(message_id),
            reply_markup=keyboard(OutMessage("", buttons=buttons)),  # type: ignore[arg-type]
        )


# --- the head teacher's one-button reminder ----------------------------------------------------


@router.callback_query(F.data.regexp(rf"^nm:{ID}:{ID}$"))
async def chase_pressed(
    query: CallbackQuery, app: App, actor: Person | None, lang: str
) -> AnswerCallbackQuery:
    """🔔: one private reminder to the class's guardians still without a receipt."""
    if actor is None:
        return query.answer(t(lang, "common.unknown_user"), show_alert=True)
    _, notice_part, unit_part = (query.data or "").split(":")
    notice_id, unit_id = parse_id(notice_part), parse_id(unit_part)
    if notice_id is None or unit_id is None:
        return query.answer(t(lang, "notice.press.unknown"), show_alert=True)
    async with app.sessions.begin() as session:
        result = await service.remind_missing(
            session, _ctx(app), notice_id, unit_id, actor, app.now()
        )
    match result.outcome:
        case service.Chase.SENT:
            app.wake_sender()
            return query.answer(
                t(lang, "notice.chase.sent", unit=result.unit_name, count=result.count),
                show_alert=True,
            )
        case service.Chase.ALREADY:
            return query.answer(
                t(lang, "notice.chase.already", unit=result.unit_name), show_alert=True
            )
        case service.Chase.NOBODY:
            return query.answer(
                t(lang, "notice.chase.nobody", unit=result.unit_name), show_alert=True
            )
        case service.Chase.CLOSED:
            return query.answer(t(lang, "notice.chase.closed"), show_alert=True)
        case service.Chase.NOT_ALLOWED:
            return query.answer(t(lang, "common.not_allowed"), show_alert=True)
        case _:
            return query.answer(t(lang, "notice.press.unknown"), show_alert=True)


# --- helpers ---------------------------------------------------------------------------------


def _joined(*parts: str) -> str:
    return "\n".join(part for part in parts if part)


async def _draft_id(state: FSMContext) -> int | None:
    value = (await state.get_data()).get("draft")
    return int(value) if isinstance(value, int) else None


async def _draft(
    session: AsyncSession, app: App, draft_id: int | None, actor: Person
) -> Notice | None:
    if draft_id is None:
        return None
    return await service.own_draft(session, app.school_id, draft_id, actor)


async def _draft_gone(event: Message | CallbackQuery, state: FSMContext, lang: str) -> None:
    """The draft was sent, cancelled or replaced: the conversation ends. Called outside the
    transaction, since the answer is a Bot API call and clearing the state a write."""
    await state.clear()
    if isinstance(event, CallbackQuery):
        await event.answer(t(lang, "notice.draft_gone"), show_alert=True)
    else:
        await event.answer(t(lang, "notice.draft_gone"))


async def _own_step(query: CallbackQuery, state: FSMContext, lang: str, step: State) -> bool:
    """A draft's button works only in its author's conversation, at that step."""
    wanted = int((query.data or "").split(":")[1])
    if await state.get_state() != step.state or await _draft_id(state) != wanted:
        await query.answer(t(lang, "notice.draft_gone"), show_alert=True)
        return False
    return True


async def _units(session: AsyncSession, unit_ids: list[int]) -> list[Unit]:
    return [u for u in [await session.get(Unit, uid) for uid in unit_ids] if u is not None]
