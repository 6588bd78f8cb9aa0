"""Joining: /start with an invite, /invite, /bind a class group, /lang, /help, /cancel."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import ChatMemberUpdated, Message

from bot.app import App
from bot.core.i18n import LANGUAGES, catalog, t
from bot.core.messages import OutMessage
from bot.runner import PRIVACY_ON, tell_admins_of_privacy_mode
from bot.telegram_transport import keyboard
from handlers.common import display_name, refuse_unless
from scheduler import invites, privacy
from scheduler.actors import Person
from scheduler.invites import Invitation
from storage import audit, people, pupils

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
    token = (command.args or "").strip()
    user = message.from_user
    assert user is not None
    first_admin = consent_asked = False
    async with app.sessions.begin() as session:
        result = await people.redeem_invite(
            session,
            app.school_id,
            token[:64],
            user.id,
            display_name(user.first_name, user.last_name, user.username),
            user.username,
            app.now(),
        )
        if result.outcome in (people.Redeem.OK, people.Redeem.ALREADY):
            assert result.person is not None
            await people.remember_private_chat(
                session, app.school_id, result.person, message.chat.id, app.now()
            )
        if result.outcome is people.Redeem.OK:
            assert result.person is not None and result.invite is not None
            audit.record(
                session,
                app.school_id,
                result.person.id,
                "joined",
                app.now(),
                role=result.invite.role,
                invite_id=result.invite.id,
            )
            unit = (
                await session.get(people.Unit, result.invite.unit_id)
                if result.invite.unit_id
                else None
            )
            role_text = role_label(result.invite.role, unit.name if unit else "", lang)
            # The setup code (made by nobody) makes the school's first admin.
            first_admin = result.invite.role == "admin" and result.invite.created_by is None
            # A guardian reads the school's consent text (PIPL) before anything else.
            consent_asked = privacy.on_join(result.person, result.invite.role, app.settings)
    if result.outcome is people.Redeem.OK and consent_asked:
        text, rows = privacy.consent_message(app.settings, lang)
        await message.answer(text, reply_markup=keyboard(OutMessage(text, buttons=rows)))
    elif result.outcome is people.Redeem.OK:
        await message.answer(
            t(
                lang,
                "onb.welcome",
                name=result.person.display_name,  # type: ignore[union-attr]
                school=app.settings.school.name,
                role=role_text,
            )
            + child_line(result.child, lang)
            + "\n\n"
            + help_text(result.person, lang)  # type: ignore[arg-type]
        )
        if first_admin and app.extras.get(PRIVACY_ON):
            await tell_admins_of_privacy_mode(app)  # start-up had no admin to tell
    elif result.outcome is people.Redeem.ALREADY and result.child is not None:
        await message.answer(child_line(result.child, lang).strip())
    elif result.outcome is people.Redeem.ALREADY:
        await message.answer(t(lang, "onb.already_joined"))
    else:
        await message.answer(t(lang, f"onb.invite.{result.outcome.value}"))


@router.message(CommandStart(), F.chat.type == "private")
async def start_plain(message: Message, app: App, actor: Person | None, lang: str) -> None:
    if actor is None:
        await message.answer(t(lang, "common.unknown_user"))
        return
    async with app.sessions.begin() as session:
        person = await session.get(Person, actor.id)
        assert person is not None
        await people.remember_private_chat(
            session, app.school_id, person, message.chat.id, app.now()
        )
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
    async with app.sessions() as session:
        unit = None
        if command.args:
            unit = await people.find_unit(session, app.school_id, command.args[:40])
        else:
            own = people.unit_ids_with_role(actor, "head_teacher")
            if len(own) == 1:
                unit = await session.get(people.Unit, next(iter(own)))
    # Refusals are answered outside any transaction (a class group's replies wait for its
    # slot of 20 a minute, which must not hold the database).
    if unit is None:
        await message.answer(t(lang, "usage.bind"))
        return
    if not people.has_role(actor, "admin") and unit.id not in people.unit_ids_with_role(
        actor, "head_teacher"
    ):
        await message.answer(t(lang, "onb.bind.not_your_class", unit=unit.name))
        return
    async with app.sessions.begin() as session:
        await people.bind_group(
            session,
            app.school_id,
            message.chat.id,
            message.chat.type,
            message.chat.title or "",
            unit,
            actor,
            app.now(),
        )
        audit.record(
            session,
            app.school_id,
            actor.id,
            "group.bind",
            app.now(),
            unit=unit.slug,
            chat_id=message.chat.id,
        )
        unit_name = unit.name
    await message.answer(t(lang, "onb.bind.done", unit=unit_name))


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
    async with app.sessions.begin() as session:
        person = await session.get(Person, actor.id)
        assert person is not None
        person.language = choice
        audit.record(session, app.school_id, actor.id, "lang.set", app.now(), language=choice)
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


def child_line(child: pupils.Child | None, lang: str) -> str:
    """The child an invite linked the parent to (notices about them name them)."""
    if child is None:
        return ""
    return "\n" + t(lang, "onb.child_linked", child=child.name, unit=child.unit_name)


def role_label(role: str, unit_name: str, lang: str) -> str:
    label = t(lang, f"role.{role}")
    return f"{unit_name} {label}".strip() if unit_name else label


def help_text(person: Person, lang: str) -> str:
    roles = people.role_names(person)
    sections = [t(lang, "help.everyone")]
    if roles & {"teacher", "head_teacher", "staff", "guard", "safety_officer"}:
        sections.append(t(lang, "help.staff"))
    if "head_teacher" in roles:
        sections.append(t(lang, "help.head_teacher"))
    if roles & {"admin", "duty_leader"}:
        sections.append(t(lang, "help.leader"))
    if "admin" in roles:
        sections.append(t(lang, "help.admin"))
    if roles == {"parent"}:
        sections.append(t(lang, "help.parent"))
    return "\n\n".join(sections)
