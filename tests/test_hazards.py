"""The hazard services on SQLite and PostgreSQL: what the chat test does not walk through."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from sqlalchemy import select

from bot.app import App
from bot.core.clock import FakeClock
from bot.core.settings import Settings
from bot.demo_scenes.photos import scene_photo
from scheduler import hazards as hz
from scheduler.routine import Context
from storage.models import Outbox, Person
from storage.submissions import ReceivedFile
from tests.conftest import add_person, local, settings_for

_tg_ids = itertools.count(7_000_001)


def ctx_of(app: App) -> Context:
    return Context(app.school_id, app.settings.school.language, app.tz)


async def person(app: App, name: str, role: str) -> Person:
    return await add_person(app, name, role, None, next(_tg_ids))


async def raised_and_listed(app: App, deadline: dt.date) -> tuple[int, Person, Person]:
    """A hazard raised by a teacher, assigned by the principal to 李老师 and listed."""
    principal = await person(app, "校长", "admin")
    owner = await person(app, "李老师", "teacher")
    async with app.sessions.begin() as session:
        started = await hz.start(session, ctx_of(app), owner, app.now())
        await hz.save(
            session,
            ctx_of(app),
            started.hazard_id,
            owner,
            what="楼梯扶手松动",
            place="二楼",
            category="building",
            severity="general",
        )
        await hz.submit(session, ctx_of(app), started.hazard_id, owner, app.now())
        assigned = await hz.assign(
            session, ctx_of(app), started.hazard_id, principal, "李老师", deadline, app.now()
        )
        assert assigned.outcome is hz.Outcome.DONE
        listed = await hz.sign_list(
            session,
            ctx_of(app),
            started.hazard_id,
            1,
            principal,
            app.now(),  # the first round
        )
        assert listed.outcome is hz.Outcome.DONE
    return started.hazard_id, principal, owner


async def reminders(app: App) -> list[Outbox]:
    async with app.sessions() as session:
        rows = await session.scalars(select(Outbox).where(Outbox.key.startswith("hz:")))
        return [r for r in rows if "提醒" in str(r.payload.get("text"))]


async def test_an_owner_given_a_hazard_due_tomorrow_is_reminded_tomorrow_not_today(
    app: App, clock: FakeClock
) -> None:
    clock.set(local("2026-11-25 09:00"))
    await raised_and_listed(app, dt.date(2026, 11, 26))
    clock.set(local("2026-11-25 18:00"))
    await app.tick()
    assert await reminders(app) == []
    clock.set(local("2026-11-26 08:00"))
    await app.tick()
    await app.tick()
    assert len(await reminders(app)) == 1


async def test_a_deadline_further_than_the_school_allows_is_refused_and_changes_nothing(
    app: App, clock: FakeClock
) -> None:
    hazard_id, principal, _ = await raised_and_listed(app, dt.date(2026, 11, 27))
    far = app.today() + dt.timedelta(days=app.settings.hazards.max_deadline_days + 1)
    async with app.sessions.begin() as session:
        result = await hz.assign(
            session, ctx_of(app), hazard_id, principal, "李老师", far, app.now()
        )
    assert result.outcome is hz.Outcome.FAR_DEADLINE
    async with app.sessions() as session:
        shown = await hz.history(session, ctx_of(app), hazard_id, "zh", app.today())
    assert shown is not None and "期限 2026-11-27" in shown.text


async def test_a_fix_without_a_photo_is_taken_when_the_school_does_not_ask_for_one(
    shipped_settings: Settings, database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    from bot.app import close_app, open_app

    settings = settings_for(
        shipped_settings, database_url, tmp_path, hazards__fix_photo_required=False
    )
    app = await open_app(settings, clock=clock)
    try:
        hazard_id, _, owner = await raised_and_listed(app, dt.date(2026, 11, 27))
        async with app.sessions.begin() as session:
            await hz.start_fix(session, ctx_of(app), hazard_id, 1, owner, app.now())
            result = await hz.finish_fix(
                session, ctx_of(app), hazard_id, owner, "已紧固", app.now(), settings.hazards
            )
        assert result.outcome is hz.Outcome.DONE
    finally:
        await close_app(app)


def test_the_command_menu_offers_the_hazard_bus_and_drill_commands_in_both_languages() -> None:
    from bot.core.i18n import t
    from bot.runner import COMMANDS

    assert {"hazard", "hazards", "bus", "drill", "absent"} <= set(COMMANDS)
    assert t("zh", "cmd.bus").startswith("今天的校车") and t("en", "cmd.drill").startswith(
        "the next"
    )
    assert t("zh", "cmd.hazard").startswith("登记隐患")
    assert t("en", "cmd.hazards").startswith("open hazards")


async def photo_file(app: App) -> ReceivedFile:
    return (app.media.save(scene_photo("railing fixed")), "f-fix", "u-fix", "image/jpeg")


async def monthly_figures(app: App) -> list[str]:
    async with app.sessions() as session:
        rows = await session.scalars(
            select(Outbox).where(Outbox.key.startswith("hz:month:")).order_by(Outbox.id)
        )
        return [str(r.payload.get("text")) for r in rows]


async def test_the_principal_gets_last_months_hazard_figures_on_the_first_school_day(
    app: App, clock: FakeClock
) -> None:
    clock.set(local("2026-11-25 09:00"))
    hazard_id, principal, owner = await raised_and_listed(app, dt.date(2026, 11, 26))
    clock.set(local("2026-11-27 08:00"))
    await app.tick()  # overdue: the duty leader is told
    clock.set(local("2026-11-27 10:00"))
    async with app.sessions.begin() as session:
        await hz.start_fix(session, ctx_of(app), hazard_id, 1, owner, app.now())
        await hz.add_fix_photo(
            session, ctx_of(app), hazard_id, owner, await photo_file(app), app.now()
        )
        await hz.finish_fix(session, ctx_of(app), hazard_id, owner, "已紧固", app.now())
        verified = await hz.accept(session, ctx_of(app), hazard_id, 1, principal, app.now())
    assert verified.outcome is hz.Outcome.DONE, verified
    clock.set(local("2026-11-30 17:00"))  # the month's last school day: not yet
    await app.tick()
    assert await monthly_figures(app) == []
    clock.set(local("2026-12-01 07:59"))
    await app.tick()
    assert await monthly_figures(app) == []
    clock.set(local("2026-12-01 08:00"))
    await app.tick()
    await app.tick()
    (text,) = await monthly_figures(app)
    assert text.startswith(
        "📊 2026年11月隐患排查整改：发现 1 条，复查验收 1 条（其中按期整改 0 条）"
    )
    assert "逾期 1 条，重新打开 0 条。目前未销号 1 条" in text  # awaiting the sign-off


async def test_after_the_national_day_holiday_the_figures_come_on_the_first_school_day(
    app: App, clock: FakeClock
) -> None:
    await person(app, "校长", "admin")
    clock.set(local("2026-10-08 08:00"))  # October's first school day
    await app.tick()
    (text,) = await monthly_figures(app)
    assert text.startswith("📊 2026年9月隐患排查整改：发现 0 条")


def test_a_deadline_may_be_named_by_the_school_calendar(shipped_settings: Settings) -> None:
    from scheduler.calendar import SchoolCalendar

    calendar = SchoolCalendar(shipped_settings)
    friday = local("2026-11-27 10:00")
    tz = shipped_settings.school.tz
    # The next school day after a Friday is Monday; 3天内 still reads as three days on.
    assert hz.parse_deadline("下个上学日", friday, tz, calendar) == dt.date(2026, 11, 30)
    assert hz.parse_deadline("3天内", friday, tz, calendar) == dt.date(2026, 11, 30)
    # The last school day before the final exams config.toml names for this term.
    assert hz.parse_deadline("期末前", friday, tz, calendar) == dt.date(2027, 1, 8)


def test_every_step_of_the_conversation_has_the_handlers_state() -> None:
    """A service names the conversation's next step; the handler keeps an aiogram state for
    each (a step without one would fail in the middle of a transaction)."""
    from handlers.hazards import _STATES
    from scheduler.hazards.services import Step

    assert set(_STATES) == set(Step)
    assert len({state.state for state in _STATES.values()}) == len(Step)
