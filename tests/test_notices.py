"""Notice services on SQLite and PostgreSQL: audience, broadcast, 已阅知晓, reminder, reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select, update

from bot.app import App
from bot.core.dates import describe, school_part_times
from bot.core.messages import OutMessage
from bot.core.settings import NoticeSettings, Settings
from scheduler import notices as service
from scheduler.calendar import SchoolCalendar
from scheduler.notices.buttons import (
    ChasePress,
    DraftAction,
    DraftPress,
    ReadPress,
    ReceiptAction,
    ReceiptPress,
    receipt_data,
)
from scheduler.registry import TickContext, tick_jobs
from scheduler.routine import Context
from storage import notices as store
from storage import outbox, people
from storage.models import Outbox, Person, Submission, Unit
from storage.notices import Audience, Notice
from storage.outbox import PRIORITY_BULK
from tests.conftest import SHANGHAI, add_person, local

# --- a small school in the database ----------------------------------------------------------


@dataclass
class Seeded:
    admin: Person
    teachers: dict[str, Person]  # class slug → head teacher
    parents: dict[str, list[Person]]  # class slug → parents, in joining order
    units: dict[str, Unit]


async def seed(
    app: App, slugs: tuple[str, ...] = ("3-1", "3-2", "4-1"), per_class: int = 4
) -> Seeded:
    async with app.sessions() as session:
        units = {u.slug: u for u in await people.units(session, app.school_id, "class")}
    admin = await add_person(app, "校长", "admin", None, 100)
    teachers: dict[str, Person] = {}
    parents: dict[str, list[Person]] = {}
    tg = 1000
    for slug in slugs:
        tg += 1
        teachers[slug] = await add_person(app, f"班主任{slug}", "head_teacher", units[slug], tg)
        parents[slug] = []
        for n in range(1, per_class + 1):
            tg += 1
            parents[slug].append(
                await add_person(app, f"家长{slug}-{n}", "parent", units[slug], tg)
            )
    return Seeded(admin, teachers, parents, units)


def ctx_of(app: App) -> Context:
    return Context(app.school_id, app.settings.school.language, app.tz)


async def draft(
    app: App,
    author: Person,
    audience: Audience,
    deadline: dt.datetime,
    *,
    text: str = "致家长的一封信：防溺水\n请不要让孩子私自下水。",
    groups: bool = False,
) -> int:
    async with app.sessions.begin() as session:
        author_row = await session.get(Person, author.id)
        assert author_row is not None
        notice = await service.start_draft(session, app.school_id, author_row, text, app.now())
        notice.audience = audience.to_json()
        notice.deadline_at = deadline
        notice.post_to_groups = groups
        return notice.id


async def send(app: App, notice_id: int, author: Person) -> service.SendResult:
    async with app.sessions.begin() as session:
        notice = await session.get(Notice, notice_id)
        author_row = await session.get(Person, author.id)
        assert notice is not None and author_row is not None
        return await service.confirm_and_enqueue(
            session,
            ctx_of(app),
            app.settings.notices,
            notice,
            author_row,
            app.now(),
            progress_chat_id=100,
            progress_message_id=55,
        )


async def deliveries(app: App, notice_id: int) -> dict[str, Outbox]:
    async with app.sessions() as session:
        rows = await session.scalars(select(Outbox).where(Outbox.key.like(f"notice:{notice_id}:%")))
        return {r.key: r for r in rows}


async def settle_all(app: App, notice_id: int, status_of: dict[int, str] | None = None) -> None:
    """What the sender would do: every delivery row sent (or the given status per chat)."""
    status_of = status_of or {}
    async with app.sessions.begin() as session:
        rows = await session.scalars(
            select(Outbox).where(
                Outbox.status == "pending", Outbox.key.like(f"notice:{notice_id}:%")
            )
        )
        for index, row in enumerate(rows):
            status = status_of.get(row.tg_chat_id, "sent")
            await outbox.settle(session, row.id, status, app.now(), message_id=5000 + index)
            if status == "unreachable":
                await people.mark_unreachable(session, row.school_id, row.tg_chat_id)


async def run_jobs(app: App) -> dict[str, int]:
    now = app.now()
    today = now.astimezone(app.tz).date()
    day_end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), app.tz)
    done = {}
    async with app.sessions.begin() as session:
        tc = TickContext(
            session, ctx_of(app), app.settings, SchoolCalendar(app.settings), today, now, day_end
        )
        for name, job in tick_jobs():
            if name.startswith("scheduler.notices."):
                done[name.rsplit(".", 1)[1]] = await job(tc)
    return done


async def press(app: App, notice_id: int, person: Person) -> service.PressResult:
    async with app.sessions.begin() as session:
        row = await session.get(Person, person.id)
        assert row is not None
        return await service.record_press(
            session, app.school_id, notice_id, row, app.now(), tg_chat_id=row.tg_user_id
        )


# --- pure parts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kind", "grades", "slugs"),
    [
        ("全校", "school", (), ()),
        ("All", "school", (), ()),
        ("教职工", "staff", (), ()),
        ("3年级", "grades", (3,), ()),
        ("三、四年级", "grades", (3, 4), ()),
        ("grades 5, 6", "grades", (5, 6), ()),
        ("3-2 4-1", "classes", (), ("3-2", "4-1")),
        ("三（2）班，3-2、 一(1)班", "classes", (), ("3-2", "1-1")),
    ],
)
async def test_audience_typed_by_people(
    app: App, typed: str, kind: str, grades: tuple[int, ...], slugs: tuple[str, ...]
) -> None:
    async with app.sessions() as session:
        classes = await people.units(session, app.school_id, "class")
    by_slug = {u.slug: u.id for u in classes}
    parsed = service.parse_audience(typed, classes)
    assert parsed.audience == Audience(kind, grades, tuple(by_slug[s] for s in slugs))  # type: ignore[arg-type]


@pytest.mark.parametrize(("typed", "unknown"), [("3-9", "3-9"), ("7年级", "7年级"), ("", "")])
async def test_audience_not_understood_names_the_bad_part(
    app: App, typed: str, unknown: str
) -> None:
    async with app.sessions() as session:
        classes = await people.units(session, app.school_id, "class")
    parsed = service.parse_audience(f"3-1 {typed}" if typed == "3-9" else typed, classes)
    assert parsed.audience is None and parsed.unknown == unknown


def test_deadline_typed_by_people() -> None:
    now = local("2026-11-25 08:00")  # a Wednesday
    settings = NoticeSettings()
    friday = service.deadline_from_text("周五", now, SHANGHAI, settings)
    assert friday == local("2026-11-27 20:00")  # a day alone ends at the configured time
    assert service.deadline_from_text("明天下午5点", now, SHANGHAI, settings) == local(
        "2026-11-26 17:00"
    )
    past = service.deadline_from_text("昨天", now, SHANGHAI, settings)
    far = service.deadline_from_text("2027-06-01", now, SHANGHAI, settings)
    nonsense = service.deadline_from_text("等我想想", now, SHANGHAI, settings)
    assert isinstance(past, service.DeadlineProblem) and past.key == "notice.deadline.past"
    assert isinstance(far, service.DeadlineProblem) and far.key == "notice.deadline.too_far"
    assert isinstance(nonsense, service.DeadlineProblem) and nonsense.failure is not None


def test_a_deadline_of_wednesday_afternoon_offers_the_schools_own_afternoon_time(
    shipped_settings: Settings,
) -> None:
    now = local("2026-11-23 08:00")  # a Monday
    own = school_part_times(**shipped_settings.dates.model_dump())  # config.toml: 下午 = 17:00
    assert own["下午"] == dt.time(17) and own["晚上"] == dt.time(20)
    asked = service.deadline_from_text(
        "周三傍晚", now, SHANGHAI, NoticeSettings(), part_times={"傍晚": dt.time(17, 45)}
    )
    assert isinstance(asked, service.DeadlineProblem) and asked.failure is not None
    assert local("2026-11-25 17:45") in asked.failure.candidates
    assert "17:45" in describe(asked.failure, "zh")


def test_long_text_with_a_photo_goes_as_two_messages_and_the_button_stays_on_the_text() -> None:
    notice = Notice(
        id=7,
        text="防溺水" * 400,
        attachment_kind="photo",
        file_id="PHOTO",
        media_path="/m/x.jpg",
        filename="",
        deadline_at=local("2026-11-27 20:00"),
    )
    first, second = service.notice_messages(notice, "zh", SHANGHAI)
    assert first.kind == "photo" and first.file_id == "PHOTO" and not first.buttons
    assert second.kind == "text" and second.buttons[0][0].data == "nread:7:ok"
    notice.text = "短通知"
    (only,) = service.notice_messages(notice, "en", SHANGHAI)
    assert only.kind == "photo" and "I have read this" in only.buttons[0][0].text


# --- the broadcast ---------------------------------------------------------------------------


async def test_confirm_queues_one_bulk_message_per_reachable_parent_once(app: App) -> None:
    school = await seed(app)
    units = school.units
    nochat = await add_person(app, "家长3-1-未启动", "parent", units["3-1"], 5001, chat=False)
    blocked = await add_person(app, "家长3-2-屏蔽", "parent", units["3-2"], 5002, blocked=True)
    # A parent of two classes gets the notice once.
    async with app.sessions.begin() as session:
        twice = await session.get(Person, school.parents["3-1"][0].id)
        assert twice is not None
        await people.grant_role(session, twice, "parent", units["3-2"].id, app.now())
    audience = Audience("classes", unit_ids=(units["3-1"].id, units["3-2"].id))
    async with app.sessions() as session:
        summary = await service.summarize_audience(session, app.school_id, audience)
    assert (summary.total, summary.reachable, summary.unreachable) == (10, 8, 2)

    notice_id = await draft(app, school.admin, audience, local("2026-11-27 18:00"))
    assert await deliveries(app, notice_id) == {}  # a draft sends nothing
    result = await send(app, notice_id, school.admin)
    again = await send(app, notice_id, school.admin)

    rows = await deliveries(app, notice_id)
    parents = [p for slug in ("3-1", "3-2") for p in school.parents[slug]]
    expected = {store.delivery_key(notice_id, p.id) for p in parents}
    assert (result.outcome, result.total, result.reachable) == (service.SendOutcome.QUEUED, 10, 8)
    assert again.outcome is service.SendOutcome.ALREADY
    assert {k for k in rows if ":progress:" not in k} == expected
    assert all(rows[k].priority == PRIORITY_BULK for k in expected)
    assert all(rows[k].expires_at == local("2026-11-27 18:00") for k in expected)
    assert nochat.id not in {r.person_id for r in rows.values()}
    assert blocked.id not in {r.person_id for r in rows.values()}
    message = OutMessage.from_payload(rows[store.delivery_key(notice_id, parents[0].id)].payload)
    assert "防溺水" in message.text and message.buttons[0][0].data == f"nread:{notice_id}:ok"
    progress = OutMessage.from_payload(rows[f"notice:{notice_id}:progress:0"].payload)
    assert progress.edit_message_id == 55 and "0 / 8" in progress.text


async def test_head_teacher_writes_to_own_class_only(app: App) -> None:
    school = await seed(app)
    teacher = school.teachers["3-1"]
    own = Audience("classes", unit_ids=(school.units["3-1"].id,))
    other = Audience("classes", unit_ids=(school.units["3-1"].id, school.units["3-2"].id))
    assert service.may_address(teacher, own)
    assert not service.may_address(teacher, other)
    assert not service.may_address(teacher, Audience("school"))
    assert service.may_address(school.admin, Audience("staff"))
    refused = await draft(app, teacher, other, local("2026-11-27 18:00"))
    assert (await send(app, refused, teacher)).outcome is service.SendOutcome.NOT_ALLOWED
    assert await deliveries(app, refused) == {}


async def test_progress_line_counts_up_and_marks_the_broadcast_sent(app: App) -> None:
    school = await seed(app, ("3-1",), per_class=3)
    notice_id = await draft(app, school.admin, Audience("school"), local("2026-11-27 18:00"))
    await send(app, notice_id, school.admin)
    blocked_chat = school.parents["3-1"][2].tg_user_id
    assert blocked_chat is not None
    await settle_all(app, notice_id, {blocked_chat: "unreachable"})
    assert (await run_jobs(app))["advance_broadcasts"] == 1
    assert (await run_jobs(app))["advance_broadcasts"] == 0  # nothing moved: no new edit
    rows = await deliveries(app, notice_id)
    final = OutMessage.from_payload(rows[f"notice:{notice_id}:progress:3"].payload)
    assert "2 / 3" in final.text and "1" in final.text
    async with app.sessions() as session:
        notice = await session.get(Notice, notice_id)
        assert notice is not None and notice.status == store.SENT


async def test_group_posts_when_asked(app: App) -> None:
    school = await seed(app, ("3-1", "3-2"), per_class=1)
    async with app.sessions.begin() as session:
        await people.bind_group(
            session,
            app.school_id,
            -777,
            "group",
            "三(1)班",
            school.units["3-1"],
            school.admin,
            app.now(),
        )
    notice_id = await draft(
        app, school.admin, Audience("grades", grades=(3,)), local("2026-11-27 18:00"), groups=True
    )
    result = await send(app, notice_id, school.admin)
    rows = await deliveries(app, notice_id)
    group_rows = [r for r in rows.values() if r.tg_chat_id == -777]
    assert result.groups == 1 and len(group_rows) == 1
    assert not OutMessage.from_payload(group_rows[0].payload).buttons


# --- 已阅知晓, the reminder and the deadline ---------------------------------------------------


async def test_press_is_recorded_once_with_who_and_when(app: App) -> None:
    school = await seed(app, ("3-1",), per_class=2)
    notice_id = await draft(app, school.admin, Audience("school"), local("2026-11-27 18:00"))
    parent, stranger = school.parents["3-1"][0], school.teachers["3-1"]
    assert (await press(app, notice_id, parent)).outcome is service.Press.UNKNOWN  # a draft
    await send(app, notice_id, school.admin)
    first = await press(app, notice_id, parent)
    app.clock.advance(dt.timedelta(minutes=5))  # type: ignore[attr-defined]
    second = await press(app, notice_id, parent)
    assert first == service.PressResult(service.Press.RECORDED, local("2026-11-25 08:00"))
    assert second == service.PressResult(service.Press.ALREADY, local("2026-11-25 08:00"))
    assert (await press(app, notice_id, stranger)).outcome is service.Press.NOT_RECIPIENT
    async with app.sessions() as session:
        kept = await session.scalar(select(func.count(Submission.id)))
    assert kept == 1


async def test_one_reminder_to_the_unconfirmed_who_got_it_then_reports_at_the_deadline(
    app: App,
) -> None:
    school = await seed(app)  # 3 classes × 4 parents
    units = school.units
    nochat = await add_person(app, "家长4-1-未启动", "parent", units["4-1"], 6001, chat=False)
    deadline = local("2026-11-27 18:00")  # reminder 24 h before: 11-26 18:00
    notice_id = await draft(app, school.admin, Audience("grades", grades=(3, 4)), deadline)
    await send(app, notice_id, school.admin)
    blocked = school.parents["3-2"][3]
    assert blocked.tg_user_id is not None
    await settle_all(app, notice_id, {blocked.tg_user_id: "unreachable"})
    confirmers = [p for slug in school.parents for p in school.parents[slug][:2]]
    for parent in confirmers:
        await press(app, notice_id, parent)

    app.clock.set(local("2026-11-26 17:59"))  # type: ignore[attr-defined]
    assert (await run_jobs(app))["send_reminders"] == 0
    app.clock.set(local("2026-11-26 18:00"))  # type: ignore[attr-defined]
    assert (await run_jobs(app))["send_reminders"] == 5  # 12 − 6 confirmed − 1 blocked
    assert (await run_jobs(app))["send_reminders"] == 0
    reminded = {
        r.person_id
        for k, r in (await deliveries(app, notice_id)).items()
        if k.startswith(f"notice:{notice_id}:remind:")
    }
    expected = {p.id for slug in school.parents for p in school.parents[slug][2:]} - {blocked.id}
    assert reminded == expected

    await press(app, notice_id, school.parents["3-1"][2])  # one more after the reminder
    app.clock.set(deadline)  # type: ignore[attr-defined]
    jobs = await run_jobs(app)
    assert jobs["close_at_deadline"] == 4  # the admin and three head teachers
    assert (await run_jobs(app))["close_at_deadline"] == 0
    reports = {
        r.person_id: OutMessage.from_payload(r.payload).text
        for k, r in (await deliveries(app, notice_id)).items()
        if k.startswith(f"notice:{notice_id}:report:")
    }
    whole = reports[school.admin.id]
    assert (
        "7 / 13" in whole and "三(1)班】3 / 4（75%）" in whole and "三(2)班】2 / 4（50%）" in whole
    )
    assert "家长3-2-3" in whole and "家长4-1-未启动" in whole
    own = reports[school.teachers["3-2"].id]
    assert "三(2)班" in own and "三(1)班" not in own and "四(1)班" not in own
    assert "未确认：家长3-2-3" in own and "无法送达（未使用机器人或已屏蔽）：家长3-2-4" in own
    assert "家长3-2-1" not in own  # confirmed parents are not listed
    four = reports[school.teachers["4-1"].id]
    assert "无法送达（未使用机器人或已屏蔽）：家长4-1-未启动" in four
    async with app.sessions() as session:
        notice = await session.get(Notice, notice_id)
        assert notice is not None and notice.status == store.CLOSED
    assert nochat.id not in reminded


async def preview_of(app: App, notice_id: int) -> str:
    async with app.sessions() as session:
        notice = await session.get(Notice, notice_id)
        assert notice is not None
        audience = Audience.from_json(notice.audience)
        assert audience is not None
        summary = await service.summarize_audience(session, app.school_id, audience)
        return service.preview_summary(
            notice, audience, summary, "zh", app.tz, app.settings.notices, app.now()
        )


async def test_a_reminder_that_would_follow_the_notice_at_once_is_dropped_and_the_preview_says_so(
    app: App,
) -> None:
    school = await seed(app, ("3-1",), per_class=2)
    deadline = local("2026-12-07 17:00")  # 24 h before: 12-06 17:00
    app.clock.set(local("2026-12-06 14:30"))  # type: ignore[attr-defined]
    early = await draft(app, school.admin, Audience("school"), deadline)
    # In time, but only just: the preview says by when it must be sent for the reminder.
    assert "12-06 17:00 提醒未确认的家长（请在 12-06 15:00 前发送" in await preview_of(app, early)

    app.clock.set(local("2026-12-06 16:20"))  # type: ignore[attr-defined]
    late = await draft(app, school.admin, Audience("school"), deadline)
    preview = await preview_of(app, late)
    assert "提醒：无" in preview and "12-06 17:00" in preview
    await send(app, late, school.admin)
    await settle_all(app, late)
    async with app.sessions() as session:
        notice = await session.get(Notice, late)
        assert notice is not None and notice.remind_at is None
    # Parents got the notice at 16:20: no "please confirm" 40 minutes later.
    app.clock.set(local("2026-12-06 17:00"))  # type: ignore[attr-defined]
    assert (await run_jobs(app))["send_reminders"] == 0
    app.clock.set(local("2026-12-07 09:00"))  # type: ignore[attr-defined]
    assert (await run_jobs(app))["send_reminders"] == 0


async def test_no_reminder_while_the_broadcast_is_still_draining(app: App) -> None:
    school = await seed(app, ("3-1",), per_class=2)
    notice_id = await draft(app, school.admin, Audience("school"), local("2026-11-25 12:00"))
    await send(app, notice_id, school.admin)
    app.clock.set(local("2026-11-25 11:30"))  # type: ignore[attr-defined]
    async with app.sessions.begin() as session:
        await session.execute(
            update(Notice).where(Notice.id == notice_id).values(remind_at=local("2026-11-25 11:00"))
        )
    assert (await run_jobs(app))["send_reminders"] == 0
    await settle_all(app, notice_id)
    # The progress job runs first, sees the broadcast drained; then the reminder may go.
    assert (await run_jobs(app))["send_reminders"] == 2


def test_a_long_report_is_split_between_classes() -> None:
    notice = Notice(id=3, text="通知", deadline_at=local("2026-11-27 18:00"))
    classes = [
        service.ClassStatus(
            n, f"班{n}", total=60, confirmed=0, missing=[f"家长{n}-{i:02d}" for i in range(60)]
        )
        for n in range(24)
    ]
    chunks = service.format_report(service.NoticeReport(notice, classes), "zh", SHANGHAI)
    assert len(chunks) > 1 and all(len(c) <= service.REPORT_CHUNK for c in chunks)
    assert sum(c.count("【班") for c in chunks) == 24
    joined = "".join(chunks)
    assert all(f"家长{n}-59" in joined for n in range(24))


# --- the buttons' callback data ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "now"),
    [
        # Buttons sent before the codec (nd:, n:, nm:) keep working, layout for layout.
        ("nd:5:skip", "ndraft:5:skip"),
        ("nd:5:aud:school", "ndraft:5:aud:school"),
        ("nd:5:aud:staff", "ndraft:5:aud:staff"),
        ("nd:5:grp:1", "ndraft:5:grp:1"),
        ("nd:5:grp:0", "ndraft:5:grp:0"),
        ("nd:5:send", "ndraft:5:send"),
        ("nd:5:cancel", "ndraft:5:cancel"),
        ("nd:5:rcpt", "ndraft:5:rcpt"),
        ("n:5:ok", "nread:5:ok"),
        ("n:5:0:ok", "nreceipt:5:0:ok"),
        ("n:5:12:o4", "nreceipt:5:12:o4"),
        ("n:5:12:sg", "nreceipt:5:12:sg"),
        ("n:5:12:tx", "nreceipt:5:12:tx"),
        ("nm:5:3", "nchase:5:3"),
    ],
)
def test_a_notice_button_sent_before_the_codec_unpacks_as_the_one_sent_now(
    sent: str, now: str
) -> None:
    found = [
        family.unpack(sent)
        for family in (DraftPress, ReadPress, ReceiptPress, ChasePress)
        if family.unpack(sent) is not None
    ]
    assert len(found) == 1, found  # exactly one family answers an old button
    assert found[0] is not None and found[0].pack() == now


def test_the_notice_buttons_pack_as_before_with_a_readable_prefix() -> None:
    assert DraftPress(5, DraftAction.SKIP).pack() == "ndraft:5:skip"
    assert DraftPress(5, DraftAction.GROUPS, "1").pack() == "ndraft:5:grp:1"
    assert receipt_data(5, None, ReceiptAction.READ) == "nread:5:ok"
    assert receipt_data(5, None, ReceiptAction.SIGN) == "nreceipt:5:0:sg"
    assert receipt_data(5, 7, ReceiptAction.option(2)) == "nreceipt:5:7:o2"
    assert ReceiptPress.unpack("nreceipt:5:7:o2") == ReceiptPress(5, 7, ReceiptAction.OPTION_2)
    assert ReceiptPress(5, 0, ReceiptAction.READ).pupil_id is None


@pytest.mark.parametrize(
    "forged",
    ["nd:5:aud", "nd:5:skip:x:y", "n:5:ok:x", "n:5:1:o5", "n:x:ok", "nm:5", "nread:5:no"],
)
def test_a_forged_notice_button_unpacks_to_no_press(forged: str) -> None:
    assert all(family.unpack(forged) is None for family in (ReadPress, ReceiptPress, ChasePress))
    draft = DraftPress.unpack(forged)
    # "nd:5:aud" reads as an audience press with no audience: no handler's filter takes it.
    assert draft is None or draft.arg == ""
