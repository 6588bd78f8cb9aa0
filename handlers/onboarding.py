"""Joining: /start with an invite, /invite, /bind a class group, /lang, /help, /cancel. The
transactions are the services' of scheduler/invites.py; answers go out after them."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import ChatMemberUpdated, Message

from bot.core.i18n import LANGUAGES, catalog, t
from handlers.common import display_name, refuse_unless
from handlers.rendering import keyboard
from scheduler import admin, invites, privacy
from scheduler.actors import Person
from scheduler.admin import PRIVACY_ON
from scheduler.app import App
from scheduler.invites import Binding, Invitation, Joining

router = Router(name="onboarding")

ROLE_ALIASES = {
    "admin": "admin",
    "管理员": "admin",
    "duty_leader": "duty_leader",
    "leader": "duty_leader",
    "值班领导": "duty_leader",
    "带班领导": "duty_leader",
    "safety_officer": "safety_officer",
    "safety": "safety_officer",
    "安全员": "safety_officer",
    "安全主任": "safety_officer",
    "teacher": "teacher",
    "教师": "teacher",
    "老师": "teacher",
    "head_teacher": "teacher",
    "班主任": "teacher",
    "guard": "guard",
    "保安": "guard",
    "门卫": "guard",
    "staff": "staff",
    "职工": "staff",
    "部门": "staff",
    "parent": "parent",
    "家长": "parent",
}


@router.message(CommandStart(deep_link=True), F.chat.type == "private")
async def start_with_invite(message: Message, command: CommandObject, app: App, lang: str) -> None:
    user = message.from_user
    assert user is not None
    joined = await invites.join(
        app.sessions,
        app.school_id,
        (command.args or "").strip(),
        tg_user_id=user.id,
        name=display_name(user.first_name, user.last_name, user.username),
        username=user.username,
        tg_chat_id=message.chat.id,
        now=app.now(),
        settings=app.settings,
    )
    match joined.outcome:
        case Joining.OK if joined.consent_asked:
            text, rows = privacy.consent_message(app.settings, lang)
            await message.answer(text, reply_markup=keyboard(rows))
        case Joining.OK:
            assert joined.person is not None
            await message.answer(
                t(
                    lang,
                    "onb.welcome",
                    name=joined.person.display_name,
                    school=app.settings.school.name,
                    role=role_label(joined.role, joined.unit_name, lang),
                )
                + child_line(joined.child_name, joined.child_unit, lang)
                + "\n\n"
                + help_text(joined.person, lang)
            )
            if joined.first_admin and app.extras.get(PRIVACY_ON):
                # Start-up had no admin to tell (bot/runner.py check_bot).
                await admin.tell_admins_of_privacy_mode(
                    app.sessions,
                    app.school_id,
                    app.today(),
                    app.now(),
                    app.settings.school.language,
                )
                app.wake_sender()
        case Joining.ALREADY if joined.child_name:
            await message.answer(child_line(joined.child_name, joined.child_unit, lang).strip())
        case Joining.ALREADY:
            await message.answer(t(lang, "onb.already_joined"))
        case _:
            await message.answer(t(lang, f"onb.invite.{joined.outcome.value}"))


@router.message(CommandStart(), F.chat.type == "private")
async def start_plain(message: Message, app: App, actor: Person | None, lang: str) -> None:
    if actor is None:
        await message.answer(t(lang, "common.unknown_user"))
        return
    await invites.remember_chat(app.sessions, app.school_id, actor.id, message.chat.id, app.now())
    await message.answer(help_text(actor, lang))


@router.message(Command("help"))
async def show_help(
    message: Message, command: CommandObject, actor: Person | None, lang: str
) -> None:
    if actor is None:
        await message.answer(t(lang, "common.unknown_user"))
        return
    topic = (command.args or "").strip().lstrip("/").lower()[:30]
    if not topic:
        await message.answer(help_text(actor, lang))
    elif key := next((k for k in (f"usage.{topic}", f"{topic}.usage") if k in catalog()), None):
        await message.answer(t(lang, key))
    else:
        await message.answer(t(lang, "help.unknown_topic", topic=topic))


@router.message(Command("invite"))
async def invite(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> None:
    if not await refuse_unless(message, actor, lang, "admin", "head_teacher"):
        return
    assert actor is not None
    parts = (command.args or "").split(maxsplit=1)
    role = ROLE_ALIASES.get(parts[0].lower()) if parts else None
    if role is None or len(command.args or "") > 100:
        await message.answer(t(lang, "usage.invite"))
        return
    invited = await invites.invite(
        app.sessions,
        app.school_id,
        actor,
        role,
        parts[1] if len(parts) > 1 else "",
        app.now(),
        app.settings.invites,
    )
    # Answered outside the service's transaction: the database is not held during a call.
    match invited.outcome:
        case Invitation.UNKNOWN_UNIT:
            await message.answer(t(lang, "onb.unknown_unit", unit=invited.asked))
        case Invitation.NEEDS_UNIT:
            await message.answer(t(lang, "onb.invite.needs_unit"))
        case Invitation.WRONG_UNIT:
            await message.answer(t(lang, "usage.invite"))
        case Invitation.OTHER_CLASS | Invitation.PARENTS_ONLY:
            # A head teacher invites their own class's parents: say which class that is.
            classes = invited.own_classes
            await message.answer(
                t(
                    lang,
                    f"onb.invite.{invited.outcome.value}",
                    classes=("、" if lang == "zh" else ", ").join(classes),
                    unit=invited.unit_name,
                    example=classes[0] if classes else "",
                )
            )
        case Invitation.CREATED:
            assert invited.expires_at is not None
            link = f"https://t.me/{app.bot_username}?start={invited.token}"
            expires = invited.expires_at.astimezone(app.tz).strftime("%Y-%m-%d %H:%M")
            child = invited.child
            await message.answer(
                t(
                    lang,
                    "onb.invite.created",
                    role=role_label(invited.role, invited.unit_name, lang),
                    link=link,
                    expires=expires,
                    uses=invited.max_uses,
                )
                + (("\n" + t(lang, "onb.invite.for_child", child=child)) if child else "")
            )


@router.message(Command("bind"), F.chat.type.in_({"group", "supergroup"}))
async def bind_group(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> None:
    if not await refuse_unless(message, actor, lang, "admin", "head_teacher"):
        return
    assert actor is not None
    bound = await invites.bind(
        app.sessions,
        app.school_id,
        actor,
        command.args or "",
        tg_chat_id=message.chat.id,
        kind=message.chat.type,
        title=message.chat.title or "",
        now=app.now(),
    )
    # Answered outside the transaction (a class group's replies wait for its slot of 20 a
    # minute, which must not hold the database).
    match bound.outcome:
        case Binding.NO_UNIT:
            await message.answer(t(lang, "usage.bind"))
        case Binding.NOT_YOUR_CLASS:
            await message.answer(t(lang, "onb.bind.not_your_class", unit=bound.unit_name))
        case Binding.BOUND:
            await message.answer(t(lang, "onb.bind.done", unit=bound.unit_name))


@router.message(Command("bind"))
async def bind_outside_group(message: Message, lang: str) -> None:
    await message.answer(t(lang, "onb.bind.only_groups"))


@router.message(Command("lang"))
async def set_language(
    message: Message, command: CommandObject, app: App, actor: Person | None, lang: str
) -> None:
    if actor is None:
        await message.answer(t(lang, "common.unknown_user"))
        return
    choice = (command.args or "").strip().lower()[:5]
    if choice not in LANGUAGES:
        await message.answer(t(lang, "usage.lang"))
        return
    await invites.set_language(app.sessions, app.school_id, actor.id, choice, app.now())
    await message.answer(t(choice, "onb.lang.done"))


@router.message(Command("cancel"))
async def cancel(message: Message, state: FSMContext, lang: str) -> None:
    if await state.get_state() is None:
        await message.answer(t(lang, "common.nothing_to_cancel"))
        return
    await state.clear()
    await message.answer(t(lang, "common.cancelled"))


@router.my_chat_member(F.chat.type.in_({"group", "supergroup"}))
async def added_to_group(event: ChatMemberUpdated, app: App) -> None:
    if event.new_chat_member.status in ("member", "administrator"):
        await event.answer(t(app.settings.school.language, "onb.group_hello"))


def child_line(child: str, unit_name: str, lang: str) -> str:
    """The child an invite linked the parent to (notices about them name them)."""
    if not child:
        return ""
    return "\n" + t(lang, "onb.child_linked", child=child, unit=unit_name)


def role_label(role: str, unit_name: str, lang: str) -> str:
    label = t(lang, f"role.{role}")
    return f"{unit_name} {label}".strip() if unit_name else label


def help_text(person: Person, lang: str) -> str:
    return "\n\n".join(t(lang, key) for key in invites.help_keys(person))
