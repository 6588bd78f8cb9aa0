"""The daily report / zero report services on SQLite and PostgreSQL: planning, answering,
incidents, chasing, the roll-up, and the conversation state that survives a restart."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import event, func, select

from bot.app import App, close_app, open_app
from bot.core.clock import FakeClock
from bot.core.messages import OutMessage
from bot.core.settings import Settings
from bot.fsm_storage import DatabaseStorage
from handlers.conversation import move_to
from scheduler import zero_report as zr
from scheduler.calendar import SchoolCalendar
from scheduler.routine import Context
from scheduler.rules.zero_report import plan_zero_report
from storage import outbox
from storage import zero_report as incidents
from storage.fsm import FsmState
from storage.media import StoredFile
from storage.models import Attachment, AuditLog, Outbox, Person, Submission, Task
from tests.conftest import add_person, local, settings_for, unit_by_slug

_tg_ids = itertools.count(5_000_001)
D = dt.date


def ctx_of(app: App) -> Context:
    return Context(app.school_id, app.settings.school.language, app.tz)


async def make_person(app: App, name: str, role: str, unit_slug: str | None = None) -> Person:
    unit = await unit_by_slug(app, unit_slug) if unit_slug else None
    return await add_person(app, name, role, unit, next(_tg_ids))


async def at(app: App, clock: FakeClock, when: str) -> None:
    clock.set(local(when))
    await app.tick()


async def task_for(app: App, slug: str, day: str = "2026-11-25") -> Task:
    async with app.sessions() as session:
        task = await session.scalar(select(Task).where(Task.key == f"zero:{day}:{slug}"))
    assert task is not None
    return task


async def outbox_rows(app: App, prefix: str) -> list[Outbox]:
    async with app.sessions() as session:
        rows = await session.scalars(
            select(Outbox).where(Outbox.key.startswith(prefix)).order_by(Outbox.id)
        )
        return list(rows.all())


async def mark_all_sent(app: App) -> None:
    """What the sender would do: every pending row sent, message ids 1, 2, 3 …"""
    async with app.sessions.begin() as session:
        rows = (await session.scalars(select(Outbox).where(Outbox.status == "pending"))).all()
        for n, row in enumerate(rows, start=1):
            await outbox.settle(session, row.id, "sent", app.now(), message_id=1000 + n)


def fake_photo(tmp_path: Path, name: str) -> tuple[StoredFile, str, str, str]:
    path = tmp_path / f"{name}.jpg"
    path.write_bytes(b"\xff\xd8" + name.encode())
    return (
        StoredFile("0" * 60 + name[:4].ljust(4, "0"), path.stat().st_size, path),
        f"file-{name}",
        f"u-{name}",
        "image/jpeg",
    )


# -- the planner ------------------------------------------------------------------------------


def test_every_class_and_department_reports_every_school_day(shipped_settings: Settings) -> None:
    calendar = SchoolCalendar(shipped_settings)
    events = plan_zero_report(shipped_settings, calendar, D(2026, 11, 25))
    assert len(events) == 24 + 3
    by_target = {e.target: e for e in events}
    event = by_target["3-2"]
    assert event.key == "zero:2026-11-25:3-2"
    assert (event.routine, event.kind, event.target_name) == ("zero_report", "class", "三(2)班")
    assert event.at == local("2026-11-25 14:30")
    assert event.deadline == local("2026-11-25 15:30")
    assert event.second_deadline == local("2026-11-25 16:30")
    assert by_target["canteen"].kind == "department"
    assert plan_zero_report(shipped_settings, calendar, D(2026, 11, 28)) == []  # Saturday
    assert plan_zero_report(shipped_settings, calendar, D(2026, 10, 1)) == []  # National Day


def test_a_school_can_switch_the_zero_report_off(shipped_settings: Settings) -> None:
    raw = shipped_settings.model_dump(mode="json", exclude={"base_dir"})
    raw["zero_report"]["enabled"] = False
    settings = Settings.model_validate(raw)
    assert plan_zero_report(settings, SchoolCalendar(settings), D(2026, 11, 25)) == []


# -- prompts, answers and who sees what -------------------------------------------------------


async def test_the_prompt_reaches_the_responsible_people_privately_with_two_buttons(
    app: App, clock: FakeClock
) -> None:
    teacher = await make_person(app, "王老师", "head_teacher", "3-2")
    cook = await make_person(app, "食堂张师傅", "staff", "canteen")
    await make_person(app, "家长1", "parent", "3-2")
    await at(app, clock, "2026-11-25 14:29")
    assert await outbox_rows(app, "prompt:zero:") == []
    await at(app, clock, "2026-11-25 14:30")
    prompts = await outbox_rows(app, "prompt:zero:")
    assert {row.person_id for row in prompts} == {teacher.id, cook.id}  # no parent, no group
    task = await task_for(app, "3-2")
    to_teacher = OutMessage.from_payload(
        next(r for r in prompts if r.person_id == teacher.id).payload
    )
    assert "今日安全情况报告" in to_teacher.text and "三(2)班" in to_teacher.text
    assert [b.data for b in to_teacher.buttons[0]] == [
        f"zero:{task.id}:zero",
        f"zero:{task.id}:inc",
    ]
    assert [b.text for b in to_teacher.buttons[0]] == ["✅ 零报告", "⚠️ 有情况"]
    await at(app, clock, "2026-11-25 14:31")
    assert len(await outbox_rows(app, "prompt:zero:")) == 2  # a second tick sends nothing new


def test_buttons_sent_before_the_callback_codec_still_unpack() -> None:
    """The prompts' and the conversation's buttons already in chats (z:, zu:, zs:, zp:,
    zc:) answer as the readable ones do."""
    old_and_new = [
        ("z:12:zero", zr.TaskPress(12, zr.TaskAction.ZERO), "zero:12:zero"),
        ("z:12:inc", zr.TaskPress(12, zr.TaskAction.INCIDENT), "zero:12:inc"),
        ("zu:3:inc", zr.UnitPress(3), "zero_unit:3:inc"),
        ("zs:7:urgent", zr.SeverityPress(7, zr.Severity.URGENT), "zero_sev:7:urgent"),
        ("zp:7:done", zr.PhotosPress(7), "zero_pics:7:done"),
        ("zc:7:drop", zr.ConfirmPress(7, zr.Choice.DROP), "zero_send:7:drop"),
    ]
    for old, press, new in old_and_new:
        assert type(press).unpack(old) == press and press.pack() == new
    assert zr.SeverityPress.unpack("zs:7:huge") is None and zr.UnitPress.unpack("zu:3:zero") is None


@pytest.mark.stock_sqlite_too
async def test_one_answer_completes_the_unit_and_the_others_see_who(
    app: App, clock: FakeClock
) -> None:
    first = await make_person(app, "食堂张师傅", "staff", "canteen")
    second = await make_person(app, "食堂李师傅", "staff", "canteen")
    await at(app, clock, "2026-11-25 14:30")
    await mark_all_sent(app)
    task = await task_for(app, "canteen")
    clock.set(local("2026-11-25 14:40"))
    async with app.sessions.begin() as session:
        pressed = next(r for r in await outbox_rows(app, "prompt:zero:") if r.person_id == first.id)
        answer = await zr.record_zero(
            session,
            ctx_of(app),
            task.id,
            first,
            app.now(),
            tg_chat_id=pressed.tg_chat_id,
            tg_message_id=pressed.sent_message_id,
        )
    assert (answer.outcome, answer.unit_name) == (zr.Outcome.DONE, "食堂")
    task = await task_for(app, "canteen")
    assert (task.status, task.done_by, task.payload["answer"]) == ("done", first.id, "zero")
    edits = await outbox_rows(app, "zero:answered:")
    assert [row.person_id for row in edits] == [second.id]  # not the one who pressed
    edit = OutMessage.from_payload(edits[0].payload)
    assert edit.edit_message_id is not None and "食堂张师傅" in edit.text
    assert [b.data for row in edit.buttons for b in row] == [f"zero:{task.id}:inc"]
    async with app.sessions.begin() as session:
        again = await zr.record_zero(session, ctx_of(app), task.id, second, app.now())
    assert (again.outcome, again.answered_by, again.answer) == (
        zr.Outcome.ALREADY,
        "食堂张师傅",
        "zero",
    )
    # At 15:30 the answered unit gets no reminder.
    await at(app, clock, "2026-11-25 15:30")
    assert await outbox_rows(app, "remind:zero:2026-11-25:canteen") == []


async def test_a_late_answer_is_kept_as_late(app: App, clock: FakeClock) -> None:
    teacher = await make_person(app, "王老师", "head_teacher", "3-2")
    await at(app, clock, "2026-11-25 14:30")
    task = await task_for(app, "3-2")
    clock.set(local("2026-11-25 15:45"))
    async with app.sessions.begin() as session:
        answer = await zr.record_zero(session, ctx_of(app), task.id, teacher, app.now())
    assert answer.outcome is zr.Outcome.LATE
    assert (await task_for(app, "3-2")).status == "late"


async def test_bad_presses_change_nothing(app: App, clock: FakeClock) -> None:
    teacher = await make_person(app, "王老师", "head_teacher", "3-2")
    other = await make_person(app, "李老师", "head_teacher", "4-1")
    parent = await make_person(app, "家长1", "parent", "3-2")
    await at(app, clock, "2026-11-25 14:30")
    task = await task_for(app, "3-2")
    async with app.sessions() as session:
        submissions_before = await session.scalar(select(func.count(Submission.id)))
    for person in (other, parent):
        async with app.sessions.begin() as session:
            answer = await zr.record_zero(session, ctx_of(app), task.id, person, app.now())
            started = await zr.start_incident(
                session, ctx_of(app), person, app.now(), task_id=task.id
            )
        assert answer.outcome is zr.Outcome.NOT_YOURS and answer.unit_name == "三(2)班"
        assert started.outcome is zr.Outcome.NOT_YOURS
    async with app.sessions.begin() as session:
        unknown = await zr.record_zero(session, ctx_of(app), 999_999, teacher, app.now())
    assert unknown.outcome is zr.Outcome.NOT_FOUND
    # The next day, yesterday's button is closed.
    await at(app, clock, "2026-11-26 09:00")
    async with app.sessions.begin() as session:
        old = await zr.record_zero(session, ctx_of(app), task.id, teacher, app.now())
        old_incident = await zr.start_incident(
            session, ctx_of(app), teacher, app.now(), task_id=task.id
        )
    assert old.outcome is zr.Outcome.EXPIRED and old_incident.outcome is zr.Outcome.EXPIRED
    assert (await task_for(app, "3-2")).status == "missed"
    async with app.sessions() as session:
        assert await session.scalar(select(func.count(Submission.id))) == submissions_before
        assert await session.scalar(select(func.count(incidents.Incident.id))) == 0


# -- incidents --------------------------------------------------------------------------------


async def report_incident(
    app: App,
    person: Person,
    *,
    task_id: int | None = None,
    unit_id: int | None = None,
    severity: str = "general",
    photos: list[tuple[StoredFile, str, str, str]] | None = None,
) -> zr.Submitted:
    async with app.sessions.begin() as session:
        started = await zr.start_incident(
            session, ctx_of(app), person, app.now(), task_id=task_id, unit_id=unit_id
        )
        assert started.outcome is zr.Outcome.DONE and started.incident_id is not None
        draft = await zr.draft_of(session, ctx_of(app), started.incident_id, person)
        assert draft is not None
        draft.text, draft.place, draft.severity = "学生摔倒擦伤膝盖", "操场", severity
    for photo in photos or []:
        async with app.sessions.begin() as session:
            await zr.add_photo(session, ctx_of(app), started.incident_id, person, photo, app.now())
    async with app.sessions.begin() as session:
        return await zr.submit_incident(
            session, ctx_of(app), started.incident_id, person, app.now()
        )


async def test_an_urgent_incident_alerts_leaders_and_admins_at_once_with_photos(
    app: App, clock: FakeClock, tmp_path: Path
) -> None:
    teacher = await make_person(app, "王老师", "head_teacher", "3-2")
    colleague = await make_person(app, "王老师2", "head_teacher", "3-2")
    leader = await make_person(app, "赵主任", "duty_leader")
    admin = await make_person(app, "校长", "admin")
    await at(app, clock, "2026-11-25 14:30")
    await mark_all_sent(app)
    task = await task_for(app, "3-2")
    clock.set(local("2026-11-25 14:50"))
    photos = [fake_photo(tmp_path, "p1"), fake_photo(tmp_path, "p2")]
    submitted = await report_incident(
        app, teacher, task_id=task.id, severity="urgent", photos=photos
    )
    assert submitted.outcome is zr.Outcome.DONE and submitted.urgent and submitted.alerted == 2
    alerts = await outbox_rows(app, f"zero:inc:{submitted.incident_id}:")
    assert {row.person_id for row in alerts} == {leader.id, admin.id}
    assert {row.priority for row in alerts} == {outbox.PRIORITY_ALERT}
    assert all(row.send_after <= app.now() for row in alerts)
    to_leader = [OutMessage.from_payload(r.payload) for r in alerts if r.person_id == leader.id]
    assert [m.kind for m in to_leader] == ["text", "photo", "photo"]
    assert (
        "紧急" in to_leader[0].text
        and "操场" in to_leader[0].text
        and "王老师" in to_leader[0].text
    )
    assert [m.media_path for m in to_leader[1:]] == [str(p[0].path) for p in photos]
    # Stored: the incident, its submission and both photos linked to it; the task is answered.
    async with app.sessions() as session:
        incident = await incidents.get(session, app.school_id, submitted.incident_id or 0)
        assert incident is not None and incident.status == "open" and incident.severity == "urgent"
        attachments = await incidents.photos(session, incident)
        submission = await session.get(Submission, incident.submission_id)
    assert [a.tg_file_id for a in attachments] == ["file-p1", "file-p2"]
    assert submission is not None and submission.text == "学生摔倒擦伤膝盖"
    assert submission.data["severity"] == "urgent" and submission.task_id == task.id
    task = await task_for(app, "3-2")
    assert (task.status, task.payload["answer"]) == ("done", "incident")
    edits = await outbox_rows(app, "zero:answered:")
    assert {row.person_id for row in edits} == {teacher.id, colleague.id}  # buttons gone
    assert "有情况" in OutMessage.from_payload(edits[0].payload).text


async def test_without_a_duty_leader_the_admins_get_an_urgent_alert_once_not_its_reporter(
    app: App, clock: FakeClock
) -> None:
    """No duty leader: the leader's alert goes to the admins, who get the urgent one anyway;
    each admin gets it once, and the admin who reported it (for a unit) not at all."""
    principal = await make_person(app, "校长", "admin")
    deputy = await make_person(app, "副校长", "admin")
    await at(app, clock, "2026-11-25 14:30")
    task = await task_for(app, "3-2")
    submitted = await report_incident(app, deputy, task_id=task.id, severity="urgent")
    assert submitted.outcome is zr.Outcome.DONE and submitted.alerted == 1
    alerts = await outbox_rows(app, f"zero:inc:{submitted.incident_id}:")
    assert [row.person_id for row in alerts] == [principal.id]


async def test_a_normal_incident_alerts_the_duty_leader_only(app: App, clock: FakeClock) -> None:
    cook = await make_person(app, "食堂张师傅", "staff", "canteen")
    leader = await make_person(app, "赵主任", "duty_leader")
    await make_person(app, "校长", "admin")
    await at(app, clock, "2026-11-25 14:30")
    submitted = await report_incident(app, cook, task_id=(await task_for(app, "canteen")).id)
    assert not submitted.urgent
    alerts = await outbox_rows(app, f"zero:inc:{submitted.incident_id}:")
    assert [row.person_id for row in alerts] == [leader.id]
    assert "【情况报告】" in OutMessage.from_payload(alerts[0].payload).text


async def test_an_incident_after_a_zero_report_keeps_both(app: App, clock: FakeClock) -> None:
    teacher = await make_person(app, "王老师", "head_teacher", "3-2")
    await make_person(app, "赵主任", "duty_leader")
    await at(app, clock, "2026-11-25 14:30")
    task = await task_for(app, "3-2")
    async with app.sessions.begin() as session:
        await zr.record_zero(session, ctx_of(app), task.id, teacher, app.now())
    clock.set(local("2026-11-25 16:00"))
    submitted = await report_incident(app, teacher, unit_id=task.unit_id)
    assert submitted.outcome is zr.Outcome.DONE
    task = await task_for(app, "3-2")
    assert (task.status, task.payload["answer"]) == ("done", "zero")
    async with app.sessions() as session:
        report = await zr.day_report(session, ctx_of(app), D(2026, 11, 25))
    row = next(r for r in report.rows if r.unit_name == "三(2)班")
    assert row.answer == "zero" and [i.id for i in row.incidents] == [submitted.incident_id]
    grid = zr.format_grid(report, "zh", app.tz, D(2026, 11, 25))
    assert f"⚠️ 三(2)班 有情况 #{submitted.incident_id}（一般），先前已零报告" in grid


async def test_a_unit_that_reported_an_incident_before_its_task_existed_is_done_for_the_day(
    app: App, clock: FakeClock
) -> None:
    """The morning's /report came before the day's first tick made the tasks: the unit is
    still not asked, reminded or named to the duty leader, and 零报告 is refused politely."""
    teacher = await make_person(app, "王老师", "head_teacher", "3-2")
    leader = await make_person(app, "赵主任", "duty_leader")
    unit = await unit_by_slug(app, "3-2")
    assert unit is not None
    clock.set(local("2026-11-25 09:00"))  # no tick yet today: no task
    submitted = await report_incident(app, teacher, unit_id=unit.id)
    assert submitted.outcome is zr.Outcome.DONE

    await at(app, clock, "2026-11-25 14:30")
    assert await outbox_rows(app, "prompt:zero:2026-11-25:3-2:") == []
    task = await task_for(app, "3-2")
    assert (task.status, task.payload["answer"], task.done_by) == ("done", "incident", teacher.id)
    assert task.done_at == local("2026-11-25 09:00")  # answered when it was reported
    await at(app, clock, "2026-11-25 15:30")
    assert await outbox_rows(app, "remind:zero:2026-11-25:3-2:") == []
    await at(app, clock, "2026-11-25 16:30")
    alerts = await outbox_rows(app, "alert:zero_report:")
    assert [row.person_id for row in alerts] == [leader.id]
    assert "三(2)班" not in OutMessage.from_payload(alerts[0].payload).text

    async with app.sessions.begin() as session:  # 零报告 on an old or forwarded prompt
        again = await zr.record_zero(session, ctx_of(app), task.id, teacher, app.now())
    assert (again.outcome, again.answer, again.answered_by) == (
        zr.Outcome.ALREADY,
        "incident",
        "王老师",
    )
    assert again.at == local("2026-11-25 09:00")
    async with app.sessions() as session:
        report = await zr.day_report(session, ctx_of(app), D(2026, 11, 25))
    line = next(
        x for x in zr.format_grid(report, "zh", app.tz, app.today()).splitlines() if "三(2)班" in x
    )
    assert line == f"⚠️ 三(2)班 有情况 #{submitted.incident_id}（一般）"


async def test_an_incident_begun_before_the_task_existed_answers_the_prompt_sent_meanwhile(
    app: App, clock: FakeClock
) -> None:
    teacher = await make_person(app, "王老师", "head_teacher", "3-2")
    unit = await unit_by_slug(app, "3-2")
    assert unit is not None
    clock.set(local("2026-11-25 09:00"))
    async with app.sessions.begin() as session:
        started = await zr.start_incident(session, ctx_of(app), teacher, app.now(), unit_id=unit.id)
        assert started.incident_id is not None
        await zr.save_answer(
            session, ctx_of(app), started.incident_id, teacher, text="楼梯湿滑", place="二楼"
        )
        await zr.save_answer(session, ctx_of(app), started.incident_id, teacher, severity="general")
    await at(app, clock, "2026-11-25 14:30")  # the task is made and its prompt goes out
    await mark_all_sent(app)
    clock.set(local("2026-11-25 14:40"))  # sent before the next tick
    async with app.sessions.begin() as session:
        submitted = await zr.submit_incident(
            session, ctx_of(app), started.incident_id, teacher, app.now()
        )
    assert submitted.outcome is zr.Outcome.DONE
    task = await task_for(app, "3-2")
    assert (task.status, task.payload["answer"]) == ("done", "incident")
    async with app.sessions.begin() as session:
        again = await zr.record_zero(session, ctx_of(app), task.id, teacher, app.now())
        incident = await incidents.get(session, app.school_id, started.incident_id)
    assert again.outcome is zr.Outcome.ALREADY and again.answer == "incident"
    assert incident is not None and incident.task_id == task.id
    edits = await outbox_rows(app, "zero:answered:")
    assert [row.person_id for row in edits] == [teacher.id]  # the prompt loses its buttons


async def test_the_grid_shows_a_units_answers_in_the_order_they_were_given(
    app: App, clock: FakeClock
) -> None:
    teacher = await make_person(app, "王老师", "head_teacher", "3-2")
    unit = await unit_by_slug(app, "3-2")
    assert unit is not None
    await at(app, clock, "2026-11-25 09:00")
    async with app.sessions.begin() as session:  # begun first, sent last
        slow = await zr.start_incident(session, ctx_of(app), teacher, app.now(), unit_id=unit.id)
        assert slow.incident_id is not None
        await zr.save_answer(
            session, ctx_of(app), slow.incident_id, teacher, text="门锁坏了", place="三楼"
        )
        await zr.save_answer(session, ctx_of(app), slow.incident_id, teacher, severity="general")
    # Another draft of the same person would cancel this one: a colleague's comes in between.
    colleague = await make_person(app, "王老师2", "head_teacher", "3-2")
    clock.set(local("2026-11-25 09:30"))
    fast = await report_incident(app, colleague, unit_id=unit.id)
    clock.set(local("2026-11-25 10:00"))
    async with app.sessions.begin() as session:
        await zr.submit_incident(session, ctx_of(app), slow.incident_id, teacher, app.now())
    async with app.sessions() as session:
        report = await zr.day_report(session, ctx_of(app), D(2026, 11, 25))
    assert [i.id for i in report.incidents] == [fast.incident_id, slow.incident_id]
    grid = zr.format_grid(report, "zh", app.tz, D(2026, 11, 25))
    assert f"⚠️ 三(2)班 有情况 #{fast.incident_id} #{slow.incident_id}（一般）" in grid

    # A day recorded before a unit's incident closed its report: a 零报告 pressed after the
    # incident is shown after it, not as "先前".
    row = next(r for r in report.rows if r.unit_name == "三(2)班")
    later = replace(row, answer="zero", answered_at=local("2026-11-25 14:40"))
    earlier = replace(row, answer="zero", answered_at=local("2026-11-25 08:50"))
    for unit_row, wanted in ((later, "，之后又零报告 14:40"), (earlier, "，先前已零报告")):
        text = zr.format_grid(replace(report, rows=[unit_row]), "zh", app.tz, D(2026, 11, 25))
        assert text.splitlines()[1].endswith(wanted), text
    english = zr.format_grid(replace(report, rows=[later]), "en", app.tz, D(2026, 11, 25))
    assert english.splitlines()[1].endswith(", then a zero report at 14:40")


async def test_a_draft_that_is_incomplete_or_someone_elses_cannot_be_sent(
    app: App, clock: FakeClock
) -> None:
    teacher = await make_person(app, "王老师", "head_teacher", "3-2")
    intruder = await make_person(app, "李老师", "head_teacher", "4-1")
    await at(app, clock, "2026-11-25 14:30")
    async with app.sessions.begin() as session:
        started = await zr.start_incident(
            session, ctx_of(app), teacher, app.now(), task_id=(await task_for(app, "3-2")).id
        )
    assert started.incident_id is not None
    async with app.sessions.begin() as session:
        incomplete = await zr.submit_incident(
            session, ctx_of(app), started.incident_id, teacher, app.now()
        )
        stolen = await zr.draft_of(session, ctx_of(app), started.incident_id, intruder)
        dropped = await zr.cancel_draft(session, ctx_of(app), started.incident_id, intruder)
    assert incomplete.outcome is zr.Outcome.NOT_FOUND and stolen is None and not dropped
    async with app.sessions.begin() as session:
        assert await zr.cancel_draft(session, ctx_of(app), started.incident_id, teacher)
    async with app.sessions() as session:
        incident = await incidents.get(session, app.school_id, started.incident_id)
    assert incident is not None and incident.status == "cancelled"  # kept, not deleted
    assert (await task_for(app, "3-2")).status == "sent"


async def test_each_answer_is_saved_with_the_conversations_next_step_in_one_transaction(
    app: App, clock: FakeClock
) -> None:
    """The handler's services (scheduler/zero_report/services.py): an answer and the step it
    moves the conversation to commit together, or not at all; a draft that is gone moves
    nothing but the end of the conversation."""
    teacher = await make_person(app, "王老师", "head_teacher", "3-2")
    intruder = await make_person(app, "李老师", "head_teacher", "4-1")
    await at(app, clock, "2026-11-25 14:30")
    ctx = ctx_of(app)
    moves: list[tuple[zr.Step | None, dict[str, Any] | None]] = []

    async def move(_session: Any, step: zr.Step | None, data: dict[str, Any] | None) -> None:
        moves.append((step, data))

    async def broken(_session: Any, step: zr.Step | None, data: dict[str, Any] | None) -> None:
        raise RuntimeError("the conversation store went away")

    task = await task_for(app, "3-2")
    started = await zr.begin_incident(app.sessions, ctx, teacher, app.now(), move, task_id=task.id)
    incident_id = started.incident_id
    assert started.outcome is zr.Outcome.DONE and incident_id is not None
    assert moves == [(zr.Step.TEXT, {"incident_id": incident_id})]
    refused = await zr.begin_incident(app.sessions, ctx, intruder, app.now(), move, task_id=task.id)
    assert refused.outcome is zr.Outcome.NOT_YOURS and len(moves) == 1

    step = zr.answer_step
    assert await step(app.sessions, ctx, incident_id, teacher, zr.Step.TEXT, "楼梯湿滑", move)
    assert moves[-1] == (zr.Step.PLACE, None)  # the conversation's data stays
    with pytest.raises(RuntimeError):
        await step(app.sessions, ctx, incident_id, teacher, zr.Step.PLACE, "二楼", broken)
    assert not await step(app.sessions, ctx, incident_id, intruder, zr.Step.PLACE, "二楼", move)
    async with app.sessions() as session:
        draft = await zr.draft_of(session, ctx, incident_id, teacher)
    assert draft is not None and (draft.text, draft.place) == ("楼梯湿滑", "")
    assert len(moves) == 2

    policy = app.settings.zero_report
    sent = await zr.finish_incident(
        app.sessions, ctx, incident_id, teacher, app.now(), move, send=True, policy=policy
    )
    assert sent.outcome is zr.Finish.GONE and moves[-1] == (None, {})  # incomplete: not sent
    dropped = await zr.finish_incident(
        app.sessions, ctx, incident_id, teacher, app.now(), move, send=False, policy=policy
    )
    assert dropped.outcome is zr.Finish.CANCELLED and moves[-1] == (None, {})
    assert await zr.photos_done(app.sessions, ctx, incident_id, teacher, move) is None
    assert len(moves) == 4


def test_what_people_type_is_checked_before_it_is_kept() -> None:
    assert zr.text_problem("学生摔倒") is None
    assert zr.text_problem("x" * 5000) == "zero.text_too_long"
    assert zr.text_problem("   ") == zr.text_problem(None) == "zero.need_text"
    assert zr.place_problem("操场") is None
    assert zr.place_problem("操" * 101) == "zero.place_too_long"
    assert zr.place_problem(None) == "zero.need_place"
    assert [zr.parse_severity(w) for w in ("一般", "较重", "紧急", "Urgent ", "3")] == [
        "general",
        "serious",
        "urgent",
        "urgent",
        "urgent",
    ]
    assert zr.parse_severity("很严重") is None and zr.parse_severity(None) is None


async def test_marking_an_incident_handled_keeps_who_when_and_tells_the_reporter(
    app: App, clock: FakeClock
) -> None:
    cook = await make_person(app, "食堂张师傅", "staff", "canteen")
    leader = await make_person(app, "赵主任", "duty_leader")
    await at(app, clock, "2026-11-25 14:30")
    submitted = await report_incident(app, cook, task_id=(await task_for(app, "canteen")).id)
    incident_id = submitted.incident_id or 0
    async with app.sessions.begin() as session:
        refused = await zr.handle(
            session, ctx_of(app), incident_id, cook, "自己处理", app.now(), done=True
        )
        unknown = await zr.handle(session, ctx_of(app), 424242, leader, "", app.now(), done=True)
    assert refused.outcome is zr.Handling.NOT_ALLOWED and unknown.outcome is zr.Handling.NOT_FOUND
    clock.set(local("2026-11-25 15:10"))
    async with app.sessions.begin() as session:
        handled = await zr.handle(
            session, ctx_of(app), incident_id, leader, "已处理，学生无碍", app.now(), done=True
        )
    assert handled.outcome is zr.Handling.HANDLED
    async with app.sessions.begin() as session:
        again = await zr.handle(
            session, ctx_of(app), incident_id, leader, "再次", app.now(), done=True
        )
        incident = await incidents.get(session, app.school_id, incident_id)
        audit_actions = (await session.scalars(select(AuditLog.action))).all()
    assert again.outcome is zr.Handling.ALREADY and again.handled_by == "赵主任"
    assert incident is not None
    assert (incident.status, incident.handled_by, incident.handled_note) == (
        "handled",
        leader.id,
        "已处理，学生无碍",
    )
    assert incident.handled_at == local("2026-11-25 15:10")
    assert "incident.handled" in audit_actions
    notices = await outbox_rows(app, f"zero:handled:{incident_id}")
    assert [row.person_id for row in notices] == [cook.id]
    assert "已处理，学生无碍" in OutMessage.from_payload(notices[0].payload).text


async def test_a_note_left_out_at_done_is_added_later_and_the_reporter_hears_both(
    app: App, clock: FakeClock
) -> None:
    cook = await make_person(app, "食堂张师傅", "staff", "canteen")
    leader = await make_person(app, "赵主任", "duty_leader")
    colleague = await make_person(app, "钱主任", "duty_leader")
    principal = await make_person(app, "校长", "admin")
    await at(app, clock, "2026-11-25 14:30")
    submitted = await report_incident(app, cook, task_id=(await task_for(app, "canteen")).id)
    incident_id = submitted.incident_id or 0

    async def note(person: Person, text: str) -> zr.Handling:
        async with app.sessions.begin() as session:
            changed = await zr.handle(
                session, ctx_of(app), incident_id, person, text, app.now(), done=False
            )
        return changed.outcome

    assert await note(leader, "还没处理") is zr.Handling.NOT_HANDLED
    async with app.sessions.begin() as session:
        await zr.handle(session, ctx_of(app), incident_id, leader, "", app.now(), done=True)
    clock.set(local("2026-11-25 16:00"))
    assert await note(leader, "已通知家长，学生无碍") is zr.Handling.NOTED
    assert await note(leader, "已通知家长，学生无碍") is zr.Handling.SAME_NOTE
    assert await note(colleague, "改别人的说明") is zr.Handling.NOT_ALLOWED
    assert await note(cook, "报告人自己改") is zr.Handling.NOT_ALLOWED
    clock.set(local("2026-11-25 16:05"))
    assert await note(principal, "已通知家长，学生无碍；校医已检查") is zr.Handling.NOTED

    async with app.sessions() as session:
        incident = await incidents.get(session, app.school_id, incident_id)
        changes = (
            await session.scalars(
                select(AuditLog).where(AuditLog.action == "incident.note").order_by(AuditLog.id)
            )
        ).all()
    assert incident is not None and incident.handled_note == "已通知家长，学生无碍；校医已检查"
    assert [(c.person_id, c.detail["old"], c.detail["new"]) for c in changes] == [
        (leader.id, "", "已通知家长，学生无碍"),
        (principal.id, "已通知家长，学生无碍", "已通知家长，学生无碍；校医已检查"),
    ]
    told = [
        OutMessage.from_payload(row.payload).text
        for row in await outbox_rows(app, "zero:")
        if row.person_id == cook.id
    ]
    assert len(told) == 3 and "赵主任 处理：—" in told[0]
    assert "已由 赵主任 更新：已通知家长，学生无碍" in told[1]
    assert "已由 校长 更新：已通知家长，学生无碍；校医已检查" in told[2]


# -- chasing and the roll-up ------------------------------------------------------------------


@pytest.mark.stock_sqlite_too
async def test_the_escalation_ladder_and_the_roll_up(app: App, clock: FakeClock) -> None:
    teachers = {
        slug: await make_person(app, f"班主任{slug}", "head_teacher", slug)
        for slug in ("1-1", "2-2", "3-2", "5-3")
    }
    leader = await make_person(app, "赵主任", "duty_leader")
    admin = await make_person(app, "校长", "admin")
    await at(app, clock, "2026-11-25 14:30")
    for slug in ("1-1", "2-2"):
        async with app.sessions.begin() as session:
            await zr.record_zero(
                session, ctx_of(app), (await task_for(app, slug)).id, teachers[slug], app.now()
            )
    urgent = await report_incident(
        app, teachers["3-2"], task_id=(await task_for(app, "3-2")).id, severity="urgent"
    )

    await at(app, clock, "2026-11-25 15:30")
    reminders = await outbox_rows(app, "remind:zero:")
    assert {row.person_id for row in reminders} == {teachers["5-3"].id}  # the others answered
    async with app.sessions() as session:
        reminded = await session.scalar(
            select(func.count(Task.id)).where(
                Task.routine == "zero_report", Task.reminded_at.is_not(None)
            )
        )
    assert reminded == 24 + 3 - 3  # every unanswered unit, with or without people

    await at(app, clock, "2026-11-25 16:30")
    alerts = await outbox_rows(app, "alert:zero_report:")
    assert [row.person_id for row in alerts] == [leader.id]  # one message, the duty leader
    text = OutMessage.from_payload(alerts[0].payload).text
    assert "五(3)班（负责人：班主任5-3）" in text and "三(2)班" not in text
    assert "食堂（没有负责人" in text

    await at(app, clock, "2026-11-25 17:29")
    assert await outbox_rows(app, "zero:rollup:") == []
    await at(app, clock, "2026-11-25 17:30")
    await at(app, clock, "2026-11-25 17:45")
    rollups = await outbox_rows(app, "zero:rollup:")
    assert [row.person_id for row in rollups] == [admin.id]  # once, to the admins
    text = "\n".join(OutMessage.from_payload(r.payload).text for r in rollups)
    assert "已报告 3/27 个单位" in text and "零报告：2 个" in text
    assert "有情况：1 起（1 个单位）" in text and "未报告：24 个" in text
    assert f"#{urgent.incident_id} 三(2)班 [紧急·未处理]" in text
    assert "五(3)班（负责人：班主任5-3）" in text


async def test_the_grid_of_another_day_and_an_empty_day(app: App, clock: FakeClock) -> None:
    teacher = await make_person(app, "王老师", "head_teacher", "3-2")
    await at(app, clock, "2026-11-25 14:30")
    async with app.sessions.begin() as session:
        await zr.record_zero(
            session, ctx_of(app), (await task_for(app, "3-2")).id, teacher, app.now()
        )
    await at(app, clock, "2026-11-26 09:00")
    async with app.sessions() as session:
        yesterday = await zr.day_report(session, ctx_of(app), D(2026, 11, 25))
        saturday = await zr.day_report(session, ctx_of(app), D(2026, 11, 28))
    grid = zr.format_grid(yesterday, "zh", app.tz, D(2026, 11, 26))
    assert grid.splitlines()[0].startswith("📋 2026-11-25 日报告：已报告 1/27")
    assert "✅ 三(2)班 零报告 王老师 14:30" in grid
    assert "❌ 五(3)班 未报告" in grid  # a past day: never answered, not "not yet"
    english = zr.format_grid(yesterday, "en", app.tz, D(2026, 11, 26))
    assert "1/27 reported" in english
    assert zr.format_grid(saturday, "zh", app.tz, D(2026, 11, 26)) == (
        "2026-11-28 没有日报告（不是上学日，或任务还没有生成）。"
    )


def test_long_texts_are_split_at_line_ends() -> None:
    text = "\n".join(f"line {n} " + "x" * 50 for n in range(200))
    parts = zr.split_message(text, 1000)
    assert all(len(p) <= 1000 for p in parts) and "\n".join(parts) == text


# -- conversation state across a restart ------------------------------------------------------


async def test_conversation_state_survives_a_new_storage(app: App, clock: FakeClock) -> None:
    key = StorageKey(bot_id=42, chat_id=7, user_id=7)
    first = DatabaseStorage(app.sessions, clock)
    await first.set_state(key, "IncidentReport:place")
    await first.update_data(key, {"incident_id": 12})
    restarted = DatabaseStorage(app.sessions, clock, cache=False)  # a new process
    assert await restarted.get_state(key) == "IncidentReport:place"
    assert await restarted.get_data(key) == {"incident_id": 12}
    other = StorageKey(bot_id=42, chat_id=8, user_id=8)
    assert await restarted.get_state(other) is None and await restarted.get_data(other) == {}
    await restarted.set_state(key, None)
    await restarted.set_data(key, {})
    async with app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(FsmState)) == 0


async def test_a_new_process_reads_every_conversation_under_way_at_once(
    app: App, clock: FakeClock
) -> None:
    """One process (SQLite): the conversations under way when it started are all read with
    its first update; people without one cost no read of their own after that."""
    before = DatabaseStorage(app.sessions, clock, cache=False)  # the process before a restart
    asked_place = StorageKey(bot_id=42, chat_id=7, user_id=7)
    asked_photos = StorageKey(bot_id=42, chat_id=8, user_id=8)
    await before.set_state(asked_place, "IncidentReport:place")
    await before.set_state(asked_photos, "IncidentReport:photos")
    await before.update_data(asked_photos, {"incident_id": 12})
    restarted = DatabaseStorage(app.sessions, clock)
    statements: list[str] = []
    event.listen(app.engine.sync_engine, "before_cursor_execute", _keep_statement(statements))
    strangers = [StorageKey(bot_id=42, chat_id=n, user_id=n) for n in range(100, 150)]
    assert [await restarted.get_state(key) for key in strangers] == [None] * 50
    assert await restarted.get_state(asked_place) == "IncidentReport:place"
    assert await restarted.get_data(asked_photos) == {"incident_id": 12}
    assert len(statements) == 1  # every row at once, at the first update
    await restarted.set_state(strangers[0], "IncidentReport:text")
    assert await restarted.get_state(strangers[0]) == "IncidentReport:text"
    assert await before.get_state(strangers[0]) == "IncidentReport:text"  # written through


def _keep_statement(kept: list[str]) -> Any:
    def keep(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        kept.append(statement)

    return keep


@pytest.mark.parametrize("cache", [True, False])
async def test_data_handed_out_is_a_copy(app: App, clock: FakeClock, cache: bool) -> None:
    key = StorageKey(bot_id=1, chat_id=2, user_id=2)
    storage = DatabaseStorage(app.sessions, clock, cache=cache)
    await storage.set_data(key, {"incident_id": 1})
    data = await storage.get_data(key)
    data["incident_id"] = 99
    assert await storage.get_data(key) == {"incident_id": 1}


class _Context:
    """The two attributes of aiogram's FSMContext that ``move_to`` reads."""

    def __init__(self, storage: DatabaseStorage, key: StorageKey) -> None:
        self.storage, self.key = storage, key


@pytest.mark.parametrize("cache", [True, False])
@pytest.mark.stock_sqlite_too
async def test_a_step_moves_with_its_transaction(app: App, clock: FakeClock, cache: bool) -> None:
    key = StorageKey(bot_id=1, chat_id=3, user_id=3)
    storage = DatabaseStorage(app.sessions, clock, cache=cache)
    context: Any = _Context(storage, key)
    await storage.set_data(key, {"incident_id": 5})
    async with app.sessions.begin() as session:
        await move_to(session, context, "IncidentReport:place")  # the data stays
    assert await storage.get_state(key) == "IncidentReport:place"
    assert await storage.get_data(key) == {"incident_id": 5}
    with pytest.raises(RuntimeError):
        async with app.sessions.begin() as session:
            await move_to(session, context, "IncidentReport:severity")
            raise RuntimeError("the answer could not be saved")
    # Rolled back with the answer: neither the database nor the cache moved on.
    assert await storage.get_state(key) == "IncidentReport:place"
    restarted = DatabaseStorage(app.sessions, clock, cache=False)
    assert await restarted.get_state(key) == "IncidentReport:place"
    async with app.sessions.begin() as session:
        await move_to(session, context, None, {})
    assert await restarted.get_state(key) is None and await storage.get_data(key) == {}


async def test_photos_counted_in_one_query(app: App, clock: FakeClock, tmp_path: Path) -> None:
    teacher = await make_person(app, "王老师", "head_teacher", "3-2")
    await make_person(app, "赵主任", "duty_leader")
    await at(app, clock, "2026-11-25 14:30")
    task = await task_for(app, "3-2")
    submitted = await report_incident(
        app, teacher, task_id=task.id, photos=[fake_photo(tmp_path, "a1")]
    )
    async with app.sessions() as session:
        found = await incidents.reported_on(session, app.school_id, D(2026, 11, 25))
        counts = await incidents.photo_counts(session, [i for i, _, _ in found])
        assert await session.scalar(select(func.count(Attachment.id))) == 1
    assert counts == {submitted.incident_id: 1}


async def test_who_is_told_what_comes_from_the_config(
    shipped_settings: Settings, database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    settings = settings_for(
        shipped_settings,
        database_url,
        tmp_path,
        zero_report__urgent_to=["duty_leader"],
        zero_report__rollup_to=["duty_leader", "admin"],
    )
    app = await open_app(settings, clock=clock)
    try:
        teacher = await make_person(app, "王老师", "head_teacher", "3-2")
        leader = await make_person(app, "赵主任", "duty_leader")
        admin = await make_person(app, "校长", "admin")
        await at(app, clock, "2026-11-25 14:30")
        task = await task_for(app, "3-2")
        async with app.sessions.begin() as session:
            started = await zr.start_incident(
                session, ctx_of(app), teacher, app.now(), task_id=task.id
            )
            assert started.incident_id is not None
            draft = await zr.draft_of(session, ctx_of(app), started.incident_id, teacher)
            assert draft is not None
            draft.text, draft.place, draft.severity = "火情", "实验室", "urgent"
        async with app.sessions.begin() as session:
            await zr.submit_incident(
                session, ctx_of(app), started.incident_id, teacher, app.now(), settings.zero_report
            )
        alerts = await outbox_rows(app, f"zero:inc:{started.incident_id}:")
        assert {row.person_id for row in alerts} == {leader.id}  # urgent, but admins not listed
        await at(app, clock, "2026-11-25 17:30")
        rollups = await outbox_rows(app, "zero:rollup:")
        assert {row.person_id for row in rollups} == {leader.id, admin.id}
    finally:
        await close_app(app)


def test_redis_keeps_conversations_when_several_processes_share_the_work(app: App) -> None:
    from aiogram.fsm.storage.redis import RedisStorage

    from bot.fsm_storage import make_fsm_storage

    shared = make_fsm_storage(
        app.sessions, app.clock, single_process=False, redis_url="redis://127.0.0.1:6379/0"
    )
    assert isinstance(shared, RedisStorage)
    local_db = make_fsm_storage(app.sessions, app.clock, single_process=True, redis_url="")
    assert isinstance(local_db, DatabaseStorage) and local_db._cache is not None


async def test_a_photo_is_kept_only_for_the_senders_own_unsent_draft(
    app: App, clock: FakeClock, tmp_path: Path
) -> None:
    teacher = await make_person(app, "王老师", "head_teacher", "3-2")
    other = await make_person(app, "李老师", "head_teacher", "4-1")
    await at(app, clock, "2026-11-25 14:30")
    task = await task_for(app, "3-2")
    async with app.sessions.begin() as session:
        started = await zr.start_incident(session, ctx_of(app), teacher, app.now(), task_id=task.id)
    assert started.incident_id is not None

    async def add(person: Person, name: str) -> bool:
        photo = fake_photo(tmp_path, name)
        async with app.sessions.begin() as session:
            return await zr.add_photo(
                session, ctx_of(app), started.incident_id or 0, person, photo, app.now()
            )

    assert await add(teacher, "mine")
    assert not await add(other, "someone else's draft")
    async with app.sessions.begin() as session:
        assert await zr.cancel_draft(session, ctx_of(app), started.incident_id, teacher)
    assert not await add(teacher, "after cancelling")
    async with app.sessions() as session:
        kept = (await session.scalars(select(Attachment.tg_file_id))).all()
    assert list(kept) == ["file-mine"]
