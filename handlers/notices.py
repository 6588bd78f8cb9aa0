"""/notice: write a notice to parents step by step, send it on confirmation, see who confirmed;
and the parents' 已阅知晓 button.

Every step stores what the author sent in the draft at once (nothing is lost, a restart
resumes), and nothing reaches a parent before the author presses 确认发送. Each step is one
service of scheduler/notices/ (``steps``, ``presses``, ``views``) in its own transaction; this
module parses, keeps the conversation's state, and answers after the transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import CallbackQuery, Message

from bot.core.dates import describe, examples, school_part_times
from bot.core.i18n import t
from handlers.common import (
    NOT_COMMAND,
    ctx_of,
    parse_id,
    pressed_message,
    refuse_unless,
    school_calendar,
)
from handlers.media import MediaTooLarge, download_file, download_photo
from handlers.rendering import keyboard, send
from scheduler import notices as service
from scheduler.actors import Person
from scheduler.app import App
from scheduler.notices.buttons import (
    ChasePress,
    DraftAction,
    DraftPress,
    ReadPress,
    ReceiptAction,
    ReceiptPress,
    Rows,
    audience_rows,
    groups_rows,
    skip_rows,
)
from scheduler.notices.presses import Guardian
from scheduler.notices.steps import Ask, Step
from scheduler.notices.views import View
from scheduler.routine import Context

log = logging.getLogger(__name__)
router = Router(name="notices")

AUTHORS = ("admin", "head_teacher")
MAX_MESSAGE = 4096
SKIP_WORDS = {"跳过", "skip", "无", "没有", "不用", "no", "none"}
NOT_A_COMMAND = F.text & NOT_COMMAND
TYPED = (ReceiptAction.SIGN, ReceiptAction.TEXT)  # receipt parts the guardian types
# What a typed part may come back with that keeps the guardian typing (the state stays):
TYPE_AGAIN = (
    service.Receipt.WRONG_NAME,
    service.Receipt.BAD_SIGNATURE,
    service.Receipt.EMPTY,
    service.Receipt.TOO_LONG,
)


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


@dataclass(frozen=True)
class _Pressed:
    """A draft's button pressed in its author's conversation, at its step (``draft_pressed``)."""

    query: CallbackQuery
    message: Message
    draft_id: int
    arg: str
    app: App
    actor: Person | None
    lang: str
    state: FSMContext

    async def close(self) -> None:
        """Answer the press and take the buttons off its message."""
        await self.query.answer()
        await self.message.edit_reply_markup(reply_markup=None)


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
    private = message.chat.type == "private"
    view = await service.report_view(
        app.sessions, ctx_of(app), notice_id, actor, lang, private=private
    )
    match view.outcome:
        case View.NOT_FOUND:
            await message.answer(t(lang, "notice.not_found", id=notice_id))
            return
        case View.NOT_ALLOWED:
            await message.answer(t(lang, "common.not_allowed"))
            return
        case View.NOT_SENT:
            await message.answer(t(lang, "notice.not_sent_yet", id=notice_id))
            return
    # Names stay private (Chengdu 2023: no lists of parents in parent groups): a group sees
    # each class's rate and counts only.
    chunks = list(view.chunks)
    if not private:
        chunks[-1] += "\n\n" + t(lang, "notice.report.group_only_rates")
    buttons = keyboard(view.buttons)
    for index, chunk in enumerate(chunks):
        if index:
            await _between_messages(app)
        last = index == len(chunks) - 1
        await message.answer(chunk, reply_markup=buttons if last else None)


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
    notice_id = await service.new_draft(app.sessions, app.school_id, actor, text, app.now())
    await state.update_data(draft=notice_id)
    await state.set_state(NoticeForm.attachment)
    await message.answer(
        t(lang, "notice.ask_attachment"), reply_markup=keyboard(skip_rows(notice_id, lang))
    )


@router.message(NoticeForm.text, NOT_COMMAND)
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


async def _skip_pressed(pressed: _Pressed) -> None:
    assert pressed.actor is not None
    await pressed.close()
    await _ask_audience(pressed.message, pressed.app, pressed.actor, pressed.lang, pressed.state)


@router.message(NoticeForm.attachment, NOT_COMMAND)
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
    step = await service.attach_file(
        app.sessions, app.school_id, draft_id, actor, kind, file_id, path, filename
    )
    if step is Step.GONE:
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
    question = await service.audience_question(app.sessions, actor)
    match question.ask:
        case Ask.CHOOSE:
            draft_id = await _draft_id(state)
            await message.answer(
                _joined(before, t(lang, "notice.ask_audience")),
                reply_markup=keyboard(audience_rows(draft_id or 0, lang)),
            )
        case Ask.OWN_CLASS:
            assert question.audience is not None
            await _choose_audience(message, app, actor, lang, state, question.audience, before)
        case _:
            await message.answer(
                _joined(
                    before, t(lang, "notice.ask_own_classes", classes="、".join(question.classes))
                )
            )


@router.message(NoticeForm.audience, NOT_A_COMMAND)
async def audience_typed(
    message: Message, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    assert actor is not None and message.text is not None
    parsed = await service.read_audience(app.sessions, app.school_id, message.text)
    if parsed.audience is None:
        await message.answer(t(lang, "notice.audience.unknown", text=parsed.unknown))
        return
    await _choose_audience(message, app, actor, lang, state, parsed.audience)


async def _audience_pressed(pressed: _Pressed) -> None:
    assert pressed.actor is not None
    await pressed.close()
    audience = service.Audience("school" if pressed.arg == "school" else "staff")
    await _choose_audience(
        pressed.message, pressed.app, pressed.actor, pressed.lang, pressed.state, audience
    )


async def _choose_audience(
    message: Message,
    app: App,
    actor: Person,
    lang: str,
    state: FSMContext,
    audience: service.Audience,
    before: str = "",
) -> None:
    wanted = await _draft_id(state)  # first: reading the state may need the database
    chosen = await service.choose_audience(app.sessions, app.school_id, wanted, actor, audience)
    match chosen.outcome:
        case Step.NOT_ALLOWED:
            classes = "、".join(chosen.own_classes) or "-"
            await message.answer(t(lang, "notice.audience.not_allowed", classes=classes))
            return
        case Step.GONE:
            await _draft_gone(message, state, lang)
            return
    summary = chosen.summary
    assert summary is not None
    described = service.describe_audience(audience, summary, lang)
    await state.set_state(NoticeForm.deadline)
    await message.answer(
        _joined(before, t(lang, "notice.ask_deadline", audience=described, total=summary.total))
    )


@router.message(NoticeForm.audience, NOT_COMMAND)
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
    done = await service.set_deadline(app.sessions, app.school_id, wanted, actor, deadline)
    if done.outcome is Step.GONE:
        await _draft_gone(message, state, lang)
        return
    if done.staff:
        await _preview(message, app, actor, lang, state)
        return
    await state.set_state(NoticeForm.groups)
    await _ask_groups(message, lang, wanted)


@router.message(NoticeForm.deadline, NOT_COMMAND)
async def deadline_expected(message: Message, lang: str) -> None:
    await message.answer(t(lang, "notice.deadline_expected") + "\n\n" + examples(lang))


# --- step 5: the class groups too? -----------------------------------------------------------


async def _groups_pressed(pressed: _Pressed) -> None:
    app, actor, lang, state = pressed.app, pressed.actor, pressed.lang, pressed.state
    assert actor is not None
    groups = pressed.arg == "1"
    step = await service.set_groups(app.sessions, app.school_id, pressed.draft_id, actor, groups)
    if step is Step.GONE:
        await _draft_gone(pressed.query, state, lang)
        return
    await pressed.close()
    await _preview(pressed.message, app, actor, lang, state)


@router.message(NoticeForm.groups, NOT_COMMAND)
async def groups_expected(message: Message, lang: str, state: FSMContext) -> None:
    await _ask_groups(message, lang, await _draft_id(state))


async def _ask_groups(message: Message, lang: str, draft_id: int | None) -> None:
    await message.answer(
        t(lang, "notice.ask_groups"), reply_markup=keyboard(groups_rows(draft_id or 0, lang))
    )


# --- step 6: preview and confirm -------------------------------------------------------------


async def _preview(message: Message, app: App, actor: Person, lang: str, state: FSMContext) -> None:
    """The notice as parents will see it and what will happen, with 确认发送 and 取消.

    A text notice and its summary fit in one message (which later becomes the progress
    line); a photo or a file goes first, on its own.
    """
    wanted = await _draft_id(state)  # first: reading the state may need the database
    shown = await service.preview(
        app.sessions,
        app.school_id,
        wanted,
        actor,
        lang,
        app.tz,
        app.settings.notices,
        app.now(),
    )
    if shown.outcome is Step.GONE:
        await _draft_gone(message, state, lang)
        return
    await state.set_state(NoticeForm.preview)
    buttons = keyboard(shown.buttons)
    intro = t(lang, "notice.preview_intro")
    parts = shown.messages
    together = f"{intro}\n\n{parts[0].text}\n\n———\n{shown.check}"
    if len(parts) == 1 and parts[0].kind == "text" and len(together) <= MAX_MESSAGE:
        await message.answer(together, reply_markup=buttons)
        return
    assert message.bot is not None
    for part in parts:
        try:
            await send(message.bot, message.chat.id, part)
        except TelegramAPIError:  # a part Telegram refused: the author sees the rest
            log.warning("a notice preview's part was refused", exc_info=True)
        await _between_messages(app)
    await message.answer(f"{intro}\n\n{shown.check}", reply_markup=buttons)


async def _between_messages(app: App) -> None:
    # Direct replies share Telegram's one-message-a-second limit per chat with the outbox.
    await asyncio.sleep(app.settings.telegram.per_chat_interval_s)


async def _send_pressed(pressed: _Pressed) -> None:
    app, actor, lang, query = pressed.app, pressed.actor, pressed.lang, pressed.query
    assert actor is not None
    ctx = ctx_of(app)
    sent = await service.send_draft(
        app.sessions,
        ctx,
        app.settings.notices,
        pressed.draft_id,
        actor,
        app.now(),
        progress_chat_id=pressed.message.chat.id,
        progress_message_id=pressed.message.message_id,
    )
    if sent.outcome is Step.GONE:
        await _draft_gone(query, pressed.state, lang)
        return
    await pressed.state.clear()
    match sent.sent:
        case service.SendOutcome.QUEUED:
            app.wake_sender()
            _follow(app, ctx, sent.notice_id)
            await query.answer(t(lang, "notice.sending"))
        case service.SendOutcome.DEADLINE_PASSED:
            await query.answer(t(lang, "notice.deadline_passed"), show_alert=True)
        case service.SendOutcome.NOT_ALLOWED:
            await query.answer(t(lang, "common.not_allowed"), show_alert=True)
        case _:
            await query.answer(t(lang, "notice.incomplete"), show_alert=True)


async def _cancel_pressed(pressed: _Pressed) -> None:
    app, actor = pressed.app, pressed.actor
    assert actor is not None
    # A draft already gone is cancelled all the same: the answer is the same.
    await service.cancel(app.sessions, app.school_id, pressed.draft_id, actor, app.now())
    await pressed.state.clear()
    await pressed.query.answer()
    await pressed.message.edit_text(t(pressed.lang, "notice.cancelled"), reply_markup=None)


@router.message(NoticeForm.preview, NOT_COMMAND)
async def confirm_expected(message: Message, lang: str) -> None:
    await message.answer(t(lang, "notice.confirm_expected"))


async def _receipt_pressed(pressed: _Pressed) -> None:
    """On the preview: choose what parents give back (a choice, a signature, a note)."""
    await pressed.state.set_state(NoticeForm.receipt)
    await pressed.close()
    await pressed.message.answer(t(pressed.lang, "notice.ask_receipt"))


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
    step = await service.set_receipt_spec(
        app.sessions, app.school_id, wanted, actor, parsed.spec.to_json()
    )
    if step is Step.GONE:
        await _draft_gone(message, state, lang)
        return
    await _preview(message, app, actor, lang, state)


@router.message(NoticeForm.receipt, NOT_COMMAND)
async def receipt_expected(message: Message, lang: str) -> None:
    await message.answer(t(lang, "notice.ask_receipt"))


# --- the draft's buttons: one handler, each action at its step -----------------------------------


@dataclass(frozen=True)
class _DraftButton:
    step: State  # the conversation's step the button belongs to
    args: str | tuple[str, ...]  # what its ``arg`` may be (any other: not this handler's)
    run: Callable[[_Pressed], Awaitable[None]]


DRAFT_BUTTONS = {
    DraftAction.SKIP: _DraftButton(NoticeForm.attachment, "", _skip_pressed),
    DraftAction.AUDIENCE: _DraftButton(NoticeForm.audience, ("school", "staff"), _audience_pressed),
    DraftAction.GROUPS: _DraftButton(NoticeForm.groups, ("1", "0"), _groups_pressed),
    DraftAction.SEND: _DraftButton(NoticeForm.preview, "", _send_pressed),
    DraftAction.CANCEL: _DraftButton(NoticeForm.preview, "", _cancel_pressed),
    DraftAction.RECEIPT: _DraftButton(NoticeForm.preview, "", _receipt_pressed),
}


async def draft_pressed(
    query: CallbackQuery,
    press: DraftPress,
    app: App,
    actor: Person | None,
    lang: str,
    state: FSMContext,
) -> None:
    """A draft's button works only in its author's conversation, at its step."""
    button = DRAFT_BUTTONS[press.action]
    if await state.get_state() != button.step.state or await _draft_id(state) != press.notice_id:
        await query.answer(t(lang, "notice.draft_gone"), show_alert=True)
        return
    assert isinstance(query.message, Message)
    pressed = _Pressed(query, query.message, press.notice_id, press.arg, app, actor, lang, state)
    await button.run(pressed)


for _action, _button in DRAFT_BUTTONS.items():
    router.callback_query(DraftPress.filter(action=_action, arg=_button.args))(draft_pressed)


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


@router.callback_query(ReadPress.filter())
async def read_pressed(
    query: CallbackQuery, press: ReadPress, app: App, actor: Person | None, lang: str
) -> AnswerCallbackQuery:
    """Returns its answer: by webhook it is the response, and a press replayed after its
    query expired ("query is too old") must not fail the update."""
    if actor is None:
        return query.answer(t(lang, "common.unknown_user"), show_alert=True)
    notice_id = press.notice_id
    message = pressed_message(query)
    guardian = _guardian(app, notice_id, actor, None, message)
    result = await service.confirm_read(app.sessions, guardian, app.now())
    match result.outcome:
        case service.Press.RECORDED | service.Press.ALREADY:
            assert result.confirmed_at is not None
            if message is not None:
                buttons = service.confirmed_buttons(notice_id, lang, result.confirmed_at, app.tz)
                # A second press finds the button already changed: "not modified" is fine.
                with contextlib.suppress(TelegramBadRequest):
                    await message.edit_reply_markup(reply_markup=keyboard(buttons))
            if result.outcome is service.Press.RECORDED:
                return query.answer(t(lang, "notice.press.recorded"))
            shown = result.confirmed_at.astimezone(app.tz).strftime("%m-%d %H:%M")
            return query.answer(t(lang, "notice.press.already", time=shown), show_alert=True)
        case service.Press.NOT_RECIPIENT:
            return query.answer(t(lang, "notice.press.not_recipient"), show_alert=True)
        case _:
            return query.answer(t(lang, "notice.press.unknown"), show_alert=True)


# --- a guardian's receipt for one child: 已阅知晓, a choice, a signature, a note ---------------


@router.callback_query(ReceiptPress.filter())
async def receipt_button(
    query: CallbackQuery,
    press: ReceiptPress,
    app: App,
    actor: Person | None,
    lang: str,
    state: FSMContext,
) -> AnswerCallbackQuery:
    if actor is None:
        return query.answer(t(lang, "common.unknown_user"), show_alert=True)
    action, pupil_id = press.action, press.pupil_id
    message = pressed_message(query)
    guardian = _guardian(app, press.notice_id, actor, pupil_id, message)
    result = await service.answer_receipt(app.sessions, guardian, action, app.now(), lang, app.tz)
    match result.outcome:
        case service.Receipt.UNKNOWN:
            return query.answer(t(lang, "notice.press.unknown"), show_alert=True)
        case service.Receipt.NOT_RECIPIENT:
            return query.answer(t(lang, "notice.press.not_recipient"), show_alert=True)
        case service.Receipt.NOT_ASKED:
            return query.answer(t(lang, "notice.receipt.not_asked"), show_alert=True)
    if message is not None and result.buttons is not None and action not in TYPED:
        with contextlib.suppress(TelegramBadRequest):  # a second press: "not modified"
            await message.edit_reply_markup(reply_markup=keyboard(result.buttons))
    if action in TYPED:
        if action is ReceiptAction.SIGN and result.outcome is service.Receipt.ALREADY:
            return query.answer(t(lang, "notice.receipt.already_signed"), show_alert=True)
        form = ReceiptForm.signature if action is ReceiptAction.SIGN else ReceiptForm.text
        await state.set_state(form)
        await state.set_data(
            {
                "notice": press.notice_id,
                "pupil": pupil_id or 0,
                "chat": guardian.tg_chat_id,
                "message": guardian.tg_message_id,
                "child": result.child,
            }
        )
        if message is not None:
            if action is ReceiptAction.SIGN:
                example = result.child or actor.display_name
                await message.answer(t(lang, "notice.receipt.ask_signature", child=example))
            else:
                await message.answer(
                    t(lang, "notice.receipt.ask_text", limit=service.MAX_REPLY_TEXT)
                )
        return query.answer()
    chose = action.option_index is not None and result.option is not None
    if result.outcome is service.Receipt.ALREADY:
        if chose:
            return query.answer(
                t(lang, "notice.receipt.already_chosen", option=result.option), show_alert=True
            )
        assert result.confirmed_at is not None
        shown = result.confirmed_at.astimezone(app.tz).strftime("%m-%d %H:%M")
        return query.answer(t(lang, "notice.press.already", time=shown), show_alert=True)
    if result.completed:
        return query.answer(t(lang, "notice.receipt.complete"))
    if chose:
        return query.answer(t(lang, "notice.receipt.chosen", option=result.option))
    return query.answer(t(lang, "notice.press.recorded"))


@router.message(ReceiptForm.signature, NOT_A_COMMAND)
@router.message(ReceiptForm.text, NOT_A_COMMAND)
async def guardian_typed(
    message: Message, bot: Bot, app: App, actor: Person | None, lang: str, state: FSMContext
) -> None:
    """The signature or the short note a guardian types after 签字 / 说明 (``receipt_button``
    kept the notice, the child and the message with the buttons in the state)."""
    assert message.text is not None
    data = await state.get_data()
    if actor is None:
        await message.answer(t(lang, "common.unknown_user"))
        return
    signing = await state.get_state() == ReceiptForm.signature.state
    if not signing and len(message.text.strip()) > service.MAX_REPLY_TEXT:
        await message.answer(t(lang, "notice.receipt.text_too_long", limit=service.MAX_REPLY_TEXT))
        return
    pupil_id = int(data.get("pupil", 0)) or None
    guardian = _guardian(app, int(data.get("notice", 0)), actor, pupil_id, message)
    action = ReceiptAction.SIGN if signing else ReceiptAction.TEXT
    now = app.now()
    result = await service.answer_receipt(
        app.sessions, guardian, action, now, lang, app.tz, message.text
    )
    child = result.child or str(data.get("child") or "") or actor.display_name
    reply = _typed_reply(result, action, lang, child, service.local_time(now, app.tz))
    if result.outcome not in TYPE_AGAIN:
        await state.clear()
    if result.outcome is service.Receipt.RECORDED:
        await _refresh_buttons(bot, data, result.buttons)
    await message.answer(reply)


@router.message(ReceiptForm.signature, NOT_COMMAND)
async def signature_expected(message: Message, lang: str, state: FSMContext) -> None:
    child = str((await state.get_data()).get("child") or "")
    await message.answer(t(lang, "notice.receipt.signature_expected", child=child or "王小明"))


@router.message(ReceiptForm.text, NOT_COMMAND)
async def reply_text_expected(message: Message, lang: str) -> None:
    await message.answer(t(lang, "notice.receipt.text_expected"))


def _typed_reply(
    result: service.ReceiptAnswer, action: ReceiptAction, lang: str, child: str, now: str
) -> str:
    signing = action is ReceiptAction.SIGN
    match result.outcome:
        case service.Receipt.WRONG_NAME:
            return t(lang, "notice.receipt.wrong_name", child=child)
        case service.Receipt.BAD_SIGNATURE:
            return t(lang, "notice.receipt.bad_signature", child=child)
        case service.Receipt.EMPTY:
            return t(lang, "notice.receipt.text_expected")
        case service.Receipt.TOO_LONG:
            return t(lang, "notice.receipt.text_too_long", limit=service.MAX_REPLY_TEXT)
        case service.Receipt.ALREADY if signing:
            return t(lang, "notice.receipt.already_signed")
        case service.Receipt.RECORDED if signing:
            name, relation = result.signed_name, result.signed_relation
            reply = t(lang, "notice.receipt.signed", name=name, relation=relation, time=now)
            if result.completed:
                reply += "\n" + t(lang, "notice.receipt.complete")
            return reply
        case service.Receipt.RECORDED:
            return t(lang, "notice.receipt.text_saved")
        case _:
            return t(lang, "notice.press.unknown")


def _guardian(
    app: App, notice_id: int, actor: Person, pupil_id: int | None, message: Message | None
) -> Guardian:
    chat_id, message_id = (message.chat.id, message.message_id) if message else (None, None)
    return Guardian(app.school_id, notice_id, actor, pupil_id, chat_id, message_id)


async def _refresh_buttons(bot: Bot, data: dict[str, object], buttons: Rows | None) -> None:
    """The notice's buttons now show the signature or the note (best effort)."""
    chat, message_id = data.get("chat"), data.get("message")
    if buttons is None or not chat or not message_id:
        return
    with contextlib.suppress(TelegramBadRequest):
        await bot.edit_message_reply_markup(
            chat_id=int(str(chat)), message_id=int(str(message_id)), reply_markup=keyboard(buttons)
        )


# --- the head teacher's one-button reminder ----------------------------------------------------


@router.callback_query(ChasePress.filter())
async def chase_pressed(
    query: CallbackQuery, press: ChasePress, app: App, actor: Person | None, lang: str
) -> AnswerCallbackQuery:
    """🔔: one private reminder to the class's guardians still without a receipt."""
    if actor is None:
        return query.answer(t(lang, "common.unknown_user"), show_alert=True)
    result = await service.chase_class(
        app.sessions, ctx_of(app), press.notice_id, press.unit_id, actor, app.now()
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


async def _draft_gone(event: Message | CallbackQuery, state: FSMContext, lang: str) -> None:
    """The draft was sent, cancelled or replaced: the conversation ends. Called outside the
    transaction, since the answer is a Bot API call and clearing the state a write."""
    await state.clear()
    if isinstance(event, CallbackQuery):
        await event.answer(t(lang, "notice.draft_gone"), show_alert=True)
    else:
        await event.answer(t(lang, "notice.draft_gone"))
