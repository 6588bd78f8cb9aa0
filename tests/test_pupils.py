"""Pupils, guardians and the receipts a notice asks for, below the handlers: what the sender
types as the receipt, what a guardian types as a signature, a notice per child, the other
guardian's receipt counting for the child, class lists from a file, and the monthly list of
guardians who confirm less than half."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from bot.app import App
from scheduler import notices as service
from scheduler import pupils as class_lists
from scheduler.duty import roster as duty_roster
from scheduler.notices.chase import still_to_ask
from scheduler.notices.receipts import parse_signature
from storage import notices as store
from storage import people, pupils
from storage.models import Person, Unit
from storage.notices import Audience, NoticeRecipient
from tests.conftest import add_person, local


def test_the_sender_types_the_options_a_signature_and_a_note_separated_by_slashes() -> None:
    spec = service.parse_receipt("留本地/出市/出省/签字").spec
    assert spec == service.ReceiptSpec(("留本地", "出市", "出省"), True, False)
    assert service.parse_receipt("同意、不同意 说明").spec == service.ReceiptSpec(
        ("同意", "不同意"), False, True
    )
    assert service.parse_receipt("已阅").spec == service.ReceiptSpec()
    assert service.ReceiptSpec().to_json() == {}
    assert service.parse_receipt("同意").problem == "notice.receipt.one_option"
    assert service.parse_receipt("1/2/3/4/5/6").problem == "notice.receipt.too_many"
    assert service.parse_receipt("同意/" + "长" * 13).problem == "notice.receipt.option_too_long"


def test_a_signature_is_the_childs_name_and_the_relation_however_it_is_typed() -> None:
    assert parse_signature("王小明 妈妈") == ("王小明", "妈妈")
    assert parse_signature("王小明妈妈") == ("王小明", "妈妈")
    assert parse_signature("王小明，爷爷") == ("王小明", "爷爷")
    assert parse_signature("Wang Xiaoming mother") == ("WangXiaoming", "mother")
    assert parse_signature("王小明") is None
    assert parse_signature("妈妈") is None


async def _class(app: App, slug: str) -> Unit:
    async with app.sessions() as session:
        unit = await people.find_unit(session, app.school_id, slug)
    assert unit is not None
    return unit


async def _guardian(app: App, person: Person, unit: Unit, child: str) -> int:
    async with app.sessions.begin() as session:
        pupil, _ = await pupils.find_or_add(session, app.school_id, unit, child, app.now())
        found = await session.get(Person, person.id)
        assert found is not None
        await pupils.link(session, app.school_id, found, pupil, app.now())
        return pupil.id


async def test_a_parent_of_two_children_gets_one_message_per_child_and_the_other_parents_receipt_counts(
    app: App,
) -> None:
    one, two = await _class(app, "3-1"), await _class(app, "3-2")
    mother = await add_person(app, "妈妈甲", "parent", one, 501)
    father = await add_person(app, "爸爸甲", "parent", one, 502)
    unlinked = await add_person(app, "家长乙", "parent", one, 503)
    first = await _guardian(app, mother, one, "王 小明")  # spaces do not count
    await _guardian(app, father, one, "王小明")
    second = await _guardian(app, mother, two, "王小红")
    async with app.sessions() as session:
        members = await store.audience_members(session, app.school_id, Audience("school"))
    rows = [(m.person_id, m.pupil_id) for m in members]
    assert rows.count((mother.id, first)) == 1 and rows.count((mother.id, second)) == 1
    assert (father.id, first) in rows and (unlinked.id, None) in rows
    assert {m.pupil_name for m in members if m.person_id == mother.id} == {"王小明", "王小红"}

    author = await add_person(app, "校长", "admin", None, 500)
    async with app.sessions.begin() as session:
        notice = await service.start_draft(session, app.school_id, author, "通知", app.now())
        notice.audience = Audience("school").to_json()
        notice.deadline_at = app.now() + dt.timedelta(days=2)
        notice_id = notice.id
        await store.add_recipients(session, notice.id, members)
        notice.status = store.SENT
    async with app.sessions.begin() as session:
        found = await session.get(Person, father.id)
        assert found is not None
        result = await service.record_read(
            session, app.school_id, notice_id, found, first, app.now()
        )
        assert result.outcome is service.Receipt.RECORDED and result.completed
    async with app.sessions() as session:
        statuses = await store.recipient_statuses(session, app.school_id, notice_id)
    for status in statuses:  # as if each had been delivered
        object.__setattr__(status, "delivery", "sent")
    asked = {(s.person_id, s.pupil_id) for s in still_to_ask(statuses)}
    # The mother is not asked again about 王小明 (the father answered), but about 王小红.
    assert asked == {(mother.id, second), (unlinked.id, None)}
    children = store.by_child(statuses)
    assert [c.state for c in children if c.name == "王小明"] == ["confirmed"]


async def test_a_signature_naming_another_child_is_refused_and_changes_nothing(
    app: App,
) -> None:
    unit = await _class(app, "3-1")
    mother = await add_person(app, "妈妈丙", "parent", unit, 601)
    pupil = await _guardian(app, mother, unit, "李四")
    author = await add_person(app, "校长", "admin", None, 600)
    async with app.sessions.begin() as session:
        notice = await service.start_draft(session, app.school_id, author, "签字", app.now())
        notice.audience = Audience("classes", unit_ids=(unit.id,)).to_json()
        notice.deadline_at = app.now() + dt.timedelta(days=2)
        notice.receipt = service.ReceiptSpec(signature=True).to_json()
        members = await store.audience_members(
            session, app.school_id, Audience("classes", unit_ids=(unit.id,))
        )
        await store.add_recipients(session, notice.id, members)
        notice.status = store.SENT
        notice_id = notice.id
    async with app.sessions.begin() as session:
        person = await session.get(Person, mother.id)
        assert person is not None
        wrong = await service.record_signature(
            session, app.school_id, notice_id, person, pupil, "张三 妈妈", app.now()
        )
        assert wrong.outcome is service.Receipt.WRONG_NAME
        right = await service.record_signature(
            session, app.school_id, notice_id, person, pupil, "李 四妈妈", app.now()
        )
        assert right.outcome is service.Receipt.RECORDED and right.completed
        again = await service.record_signature(
            session, app.school_id, notice_id, person, pupil, "李四 妈妈", app.now()
        )
        assert again.outcome is service.Receipt.ALREADY
        link = await pupils.guardian_link(session, mother.id, pupil)
        assert link is not None and link.relation == "妈妈"


async def test_a_class_list_is_imported_whole_or_not_at_all(app: App) -> None:
    unit = await _class(app, "3-1")
    teacher = await add_person(app, "班主任", "head_teacher", unit, 701)
    good = "班级,姓名\n3-1,王小明\n三(1)班,李四\n3-1,王小明\n".encode()
    bad = "班级,姓名\n3-1,赵六\n3-2,钱七\n九(9)班,孙八\n".encode()
    refused = await class_lists.import_class_list(
        app.sessions, app.school_id, teacher, duty_roster.read_table(bad, "list.csv"), app.now()
    )
    assert [p.key for p in refused.problems] == ["pupils.not_your_class", "pupils.unknown_class"]
    done = await class_lists.import_class_list(
        app.sessions, app.school_id, teacher, duty_roster.read_table(good, "list.csv"), app.now()
    )
    assert (done.added, done.known) == (2, 1)
    async with app.sessions() as session:
        names = [p.name for p in await pupils.class_pupils(session, unit.id)]
    assert names == sorted(["王小明", "李四"])


async def test_the_monthly_list_names_guardians_below_half_but_not_the_other_parent(
    app: App,
) -> None:
    unit = await _class(app, "3-1")
    mother = await add_person(app, "妈妈丁", "parent", unit, 801)
    father = await add_person(app, "爸爸丁", "parent", unit, 802)
    silent = await add_person(app, "家长戊", "parent", unit, 803)
    child = await _guardian(app, mother, unit, "周五")
    await _guardian(app, father, unit, "周五")
    await _guardian(app, silent, unit, "吴六")
    author = await add_person(app, "校长", "admin", None, 800)
    audience = Audience("classes", unit_ids=(unit.id,))
    for day in (3, 10, 17):
        async with app.sessions.begin() as session:
            notice = await service.start_draft(session, app.school_id, author, "通知", app.now())
            notice.audience = audience.to_json()
            notice.deadline_at = local(f"2026-11-{day:02d} 17:00")
            notice.status = store.CLOSED
            members = await store.audience_members(session, app.school_id, audience)
            await store.add_recipients(session, notice.id, members)
            await session.execute(
                update(NoticeRecipient)
                .where(
                    NoticeRecipient.notice_id == notice.id,
                    NoticeRecipient.person_id == mother.id,
                    NoticeRecipient.pupil_id == child,
                )
                .values(confirmed_at=notice.deadline_at - dt.timedelta(hours=1))
            )
    async with app.sessions() as session:
        low = await service.low_confirmers(
            session, app.school_id, local("2026-11-01 00:00"), local("2026-12-01 00:00")
        )
    assert [(r.name, r.confirmed, r.notices) for r in low[unit.id]] == [("家长戊", 0, 3)]
