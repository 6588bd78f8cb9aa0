"""The 1530 answer rules as services (scheduler/education.py): who may press Done, which
task a photo is the evidence of; each service owns its transaction and returns an outcome."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import App
from bot.core.clock import FakeClock
from scheduler import education
from scheduler.education import DonePress, Kept, Outcome
from storage.models import Outbox, Person, Submission, Task
from tests.conftest import add_person, local, unit_by_slug

pytestmark = pytest.mark.stock_sqlite_too


async def _prompted(app: App, clock: FakeClock) -> dict[str, Task]:
    """The school day at 15:55: grade 3's 1530 prompts (dismissal 16:00) are out."""
    clock.set(local("2026-11-25 15:55"))
    await app.tick()
    async with app.sessions() as session:
        found = (await session.scalars(select(Task).where(Task.routine == "education"))).all()
    units = {u.id: u.slug for u in [await unit_by_slug(app, f"3-{n}") for n in (1, 2)] if u}
    return {units[t.unit_id]: t for t in found if t.unit_id in units}


async def _teacher(app: App, slug: str, name: str, tg_id: int) -> Person:
    return await add_person(app, name, "head_teacher", await unit_by_slug(app, slug), tg_id)


async def _confirm(app: App, task_id: int, person: Person) -> education.Confirmation:
    return await education.confirm_done(
        app.sessions, app.school_id, task_id, person, app.now(), app.today()
    )


def test_the_done_button_reads_edu_and_still_answers_the_t_buttons_sent_before() -> None:
    assert DonePress(42).pack() == "edu:42:done"
    assert DonePress.unpack("t:42:done") == DonePress.unpack("edu:42:done") == DonePress(42)
    assert DonePress.unpack("t:42:undo") is None and DonePress.unpack("t:4200000000:done") is None


async def test_the_class_teacher_confirms_once_and_the_next_press_says_who_did(
    app: App, clock: FakeClock
) -> None:
    teacher = await _teacher(app, "3-1", "王老师", 5101)
    task = (await _prompted(app, clock))["3-1"]
    first = await _confirm(app, task.id, teacher)
    assert (first.outcome, first.unit_name, first.kind) == (Outcome.DONE, "三(1)班", "daily")
    again = await _confirm(app, task.id, teacher)
    assert (again.outcome, again.done_by) == (Outcome.ALREADY, "王老师")


async def test_after_the_deadline_the_class_is_confirmed_late(app: App, clock: FakeClock) -> None:
    teacher = await _teacher(app, "3-1", "王老师", 5101)
    task = (await _prompted(app, clock))["3-1"]
    clock.set(local("2026-11-25 16:40"))
    assert (await _confirm(app, task.id, teacher)).outcome is Outcome.LATE


async def test_another_class_teacher_cannot_confirm_and_nothing_changes(
    app: App, clock: FakeClock
) -> None:
    other = await _teacher(app, "3-2", "李老师", 5102)
    task = (await _prompted(app, clock))["3-1"]
    assert (await _confirm(app, task.id, other)).outcome is Outcome.NOT_YOURS
    async with app.sessions() as session:
        assert (await session.get(Task, task.id)).status != "done"  # type: ignore[union-attr]
        assert not (await session.scalars(select(Submission))).all()


async def test_a_forged_or_foreign_task_id_is_refused_without_a_change(
    app: App, clock: FakeClock
) -> None:
    admin = await add_person(app, "校长", "admin", None, 5100)
    await _prompted(app, clock)
    assert (await _confirm(app, 999_999, admin)).outcome is Outcome.EXPIRED
    async with app.sessions.begin() as session:
        other = Task(
            school_id=app.school_id,
            routine="zero_report",
            kind="daily",
            key="zr:test",
            day=app.today(),
            unit_id=None,
            due_at=app.now(),
            deadline_at=app.now(),
            escalate_at=app.now(),
            payload={},
            created_at=app.now(),
        )
        session.add(other)
    assert (await _confirm(app, other.id, admin)).outcome is Outcome.STALE


async def test_a_photo_replying_to_the_prompt_is_that_class_evidence(
    app: App, clock: FakeClock
) -> None:
    teacher = await _teacher(app, "3-1", "王老师", 5101)
    task = (await _prompted(app, clock))["3-1"]
    async with app.sessions() as session:
        prompt = await session.scalar(select(Outbox).where(Outbox.task_id == task.id))
    assert prompt is not None
    async with app.sessions.begin() as session:  # as the sender does once Telegram answered
        row = await session.get(Outbox, prompt.id)
        assert row is not None
        row.sent_message_id = 77
    target = await education.photo_target(
        app.sessions,
        app.school_id,
        teacher,
        tg_chat_id=prompt.tg_chat_id,
        private=prompt.tg_chat_id == 5101,
        reply_to_bot=77,
        today=app.today(),
        now=app.now(),
    )
    assert target == education.PhotoTarget(task.id, task.unit_id)


async def test_a_private_photo_goes_to_the_teachers_class_else_is_kept_unlinked(
    app: App, clock: FakeClock
) -> None:
    teacher = await _teacher(app, "3-1", "王老师", 5101)
    admin = await add_person(app, "校长", "admin", None, 5100)
    task = (await _prompted(app, clock))["3-1"]
    found = {}
    for person in (teacher, admin):
        found[person.display_name] = await education.photo_target(
            app.sessions,
            app.school_id,
            person,
            tg_chat_id=person.tg_user_id or 0,
            private=True,
            reply_to_bot=None,
            today=app.today(),
            now=app.now(),
        )
    assert found == {"王老师": education.PhotoTarget(task.id, task.unit_id), "校长": None}
    stored = app.media.save(b"\xff\xd8\xff\xe0class-photo", "image/jpeg")
    photo = (stored, "file-id", "unique-id", "image/jpeg")
    saved = await education.keep_photo(
        app.sessions,
        app.school_id,
        teacher,
        found["王老师"],
        photo,
        app.now(),
        caption="",
        tg_chat_id=5101,
        tg_message_id=1,
    )
    unlinked = await education.keep_photo(
        app.sessions,
        app.school_id,
        admin,
        None,
        photo,
        app.now(),
        caption="",
        tg_chat_id=5100,
        tg_message_id=2,
    )
    assert (saved.outcome, saved.unit_name) == (Kept.SAVED, "三(1)班")
    assert unlinked.outcome is Kept.UNLINKED
    async with app.sessions() as session:
        kept = {s.person_id: s.task_id for s in (await session.scalars(select(Submission))).all()}
    assert kept == {teacher.id: task.id, admin.id: None}
