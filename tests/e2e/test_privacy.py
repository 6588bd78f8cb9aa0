"""Children's data (PIPL) through the emulator: a parent who opens the class link reads the
school's consent text and is kept out of notices, with nothing of theirs stored, until they
press 同意 (time and version recorded); /mydata sends them a file of everything kept about
them; an admin deletes a parent after a confirm button (content gone, counts kept under
已删除); the daily retention job deletes photos past the retention period, files included;
every export and deletion is in the audit log."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.clock import FakeClock
from bot.core.settings import Settings
from storage import notices as notice_store
from storage import submissions
from storage.models import Attachment, AuditLog, Chat, Inbound, Person, Role, Submission, Unit
from storage.notices import Audience, Notice, NoticeRecipient
from storage.privacy import RetentionRun
from storage.pupils import Guardian, Pupil
from tests.conftest import local, settings_for
from tests.e2e.harness import SimPerson, SimulatedSchool, running_school, texts

pytestmark = [pytest.mark.e2e]

CONSENT = "本校安全平台仅为家校安全通知使用您的称呼和对通知的确认。"
PHOTO = b"\xff\xd8\xff\xe0" + b"playground-patrol" * 200


@pytest.fixture
def private_school(shipped_settings: Settings, database_url: str, tmp_path: Path) -> Settings:
    classes = [{"slug": f"3-{n}", "name": f"三({n})班", "grade": 3} for n in range(1, 3)]
    off = {f"{name}__enabled": False for name in ("education", "zero_report", "duty")}
    return settings_for(
        shipped_settings,
        database_url,
        tmp_path,
        classes=classes,
        inspections__enabled=False,
        privacy__consent_text=CONSENT,
        privacy__consent_version="2026-1",
        privacy__retention_days=30,
        **off,
    )


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


async def press(school: SimulatedSchool, person: SimPerson, label: str) -> str:
    received = await school.received(person.chat_id)
    message = next(m for m in reversed(received) if any(label in t for t, _ in buttons(m)))
    data = next(d for t, d in buttons(message) if label in t)
    query = school.world.press_button(person.user_id, person.chat_id, message["message_id"], data)
    await school.settle()
    return str((school.world.callbacks[query["id"]].answer or {}).get("text") or "")


async def press_data(school: SimulatedSchool, person: SimPerson, data: str) -> str:
    """A press with ``data`` on the person's last message (a button sent before, or forged)."""
    message = (await school.received(person.chat_id))[-1]
    query = school.world.press_button(
        person.user_id, person.chat_id, message["message_id"], data, check_button=False
    )
    await school.settle()
    return str((school.world.callbacks[query["id"]].answer or {}).get("text") or "")


async def last_text(school: SimulatedSchool, person: SimPerson) -> str:
    return texts(await school.received(person.chat_id))[-1]


async def audience_of(school: SimulatedSchool, slug: str) -> set[int]:
    async with school.app.sessions() as session:
        unit = await session.scalar(select(Unit).where(Unit.slug == slug))
        assert unit is not None
        members = await notice_store.audience_members(
            session, school.app.school_id, Audience("classes", unit_ids=(unit.id,))
        )
    return {m.person_id for m in members}


async def person_of(school: SimulatedSchool, who: SimPerson) -> Person:
    async with school.app.sessions() as session:
        person = await session.scalar(select(Person).where(Person.tg_user_id == who.user_id))
        assert person is not None
        return person


async def actions(school: SimulatedSchool) -> list[str]:
    async with school.app.sessions() as session:
        return list((await session.scalars(select(AuditLog.action).order_by(AuditLog.id))).all())


async def test_a_parent_consents_at_start_before_anything_else_is_kept_or_sent(
    private_school: Settings, clock: FakeClock
) -> None:
    clock.set(local("2026-11-25 09:00"))
    async with running_school(private_school, clock) as school:
        await school.admin("校长")
        teacher = await school.join("teacher", "3-1", "班主任3-1")
        token = await school.invite(teacher, "parent", "3-1")
        parent = school.user("家长甲")
        await school.say(parent, f"/start {token}")
        asked = (await school.received(parent.chat_id))[-1]
        assert CONSENT in asked["text"] and "欢迎" not in asked["text"]
        assert [t for t, _ in buttons(asked)] == ["✅ 同意", "不同意"]
        joined = await person_of(school, parent)
        assert joined.consent_pending and joined.consented_at is None
        assert joined.id not in await audience_of(school, "3-1")  # no notices

        # Anything before consent gets the consent text again; nothing of it is stored.
        await school.say(parent, "/help")
        assert CONSENT in await last_text(school, parent)
        await school.photo(parent, PHOTO)
        assert CONSENT in await last_text(school, parent)
        await press(school, parent, "不同意")
        assert "不会保存您的信息" in await last_text(school, parent)
        async with school.app.sessions() as session:
            kept = await session.scalar(
                select(func.count(Submission.id)).where(Submission.person_id == joined.id)
            )
        assert kept == 0
        assert joined.id not in await audience_of(school, "3-1")

        # 同意: recorded with its time and version, and the notices reach them.
        clock.set(local("2026-11-25 09:30"))
        await press(school, parent, "同意")
        assert "已记录您的同意" in await last_text(school, parent)
        consented = await person_of(school, parent)
        assert not consented.consent_pending
        assert consented.consent_version == "2026-1"
        assert consented.consented_at == local("2026-11-25 09:30")
        assert consented.id in await audience_of(school, "3-1")
        assert (await actions(school))[-1] == "privacy.consent"
        await school.say(parent, "/help")
        assert "家长" in await last_text(school, parent) and CONSENT not in await last_text(
            school, parent
        )

        # A new text asks again at the next message; notices go on meanwhile.
        settings = school.app.settings
        newer = settings.privacy.model_copy(update={"consent_version": "2026-2"})
        school.app.settings = settings.model_copy(update={"privacy": newer})
        await school.say(parent, "/help")
        assert CONSENT in await last_text(school, parent)
        assert consented.id in await audience_of(school, "3-1")
        # A 同意 button sent before the buttons' prefix was ``privacy`` (``pv``) still works.
        assert [d for _, d in buttons((await school.received(parent.chat_id))[-1])] == [
            "privacy:yes:0",
            "privacy:no:0",
        ]
        await press_data(school, parent, "pv:yes:0")
        assert (await person_of(school, parent)).consent_version == "2026-2"


async def test_a_parent_gets_their_data_and_an_admin_deletes_them_keeping_the_counts(
    private_school: Settings, clock: FakeClock
) -> None:
    clock.set(local("2026-11-25 09:00"))
    async with running_school(private_school, clock) as school:
        admin = await school.admin("校长")
        teacher = await school.join("teacher", "3-1", "班主任3-1")
        token = await school.invite(teacher, "parent", "三(1)班 王小明")  # the child's link
        parent = school.user("家长乙")
        await school.say(parent, f"/start {token}")
        await press(school, parent, "同意")
        person = await person_of(school, parent)
        # What the parent left: a message with a photo, and a confirmed notice.
        stored = school.app.media.save(PHOTO)
        async with school.app.sessions.begin() as session:
            await submissions.add(
                session,
                school.app.school_id,
                person.id,
                "photo",
                school.app.now(),
                text="孩子今天发烧请假",
                files=[(stored, "file-1", "uniq-1", "image/jpeg")],
            )
            notice = await notice_store.create_draft(
                session, school.app.school_id, admin.person_id or 0, "冬季防溺水", school.app.now()
            )
            unit = await session.scalar(select(Unit).where(Unit.slug == "3-1"))
            assert unit is not None
            session.add(
                NoticeRecipient(
                    notice_id=notice.id,
                    person_id=person.id,
                    unit_id=unit.id,
                    tg_chat_id=parent.chat_id,
                    reachable=True,
                    confirmed_at=school.app.now(),
                    signed_name="王小明",
                    signed_relation="妈妈",
                )
            )

        # /mydata: a file with everything kept about them.
        await school.say(parent, "/mydata")
        sent = (await school.received(parent.chat_id))[-1]
        assert "document" in sent
        data = json.loads(school.world.files.get(sent["document"]["file_id"]).data)
        assert data["person"]["name"] == "家长乙"
        assert data["person"]["consent_version"] == "2026-1"
        assert data["roles"] == [{"role": "parent", "class": "三(1)班"}]
        assert [m["text"] for m in data["messages"]] == ["孩子今天发烧请假"]
        assert data["messages"][0]["photos"] == 1
        assert [n["notice_text"] for n in data["notices"]] == ["冬季防溺水"]
        assert data["notices"][0]["signed_name"] == "王小明"
        assert data["children"] == [{"name": "王小明", "class": "三(1)班", "relation": ""}]
        assert "privacy.export" in await actions(school)

        # /forget: bad input changes nothing; a confirm button; then the content is gone.
        await school.say(teacher, "/forget 家长乙")
        assert "家长乙" not in await last_text(school, teacher)
        await school.say(admin, "/forget 没有这个人")
        assert "找不到" in await last_text(school, admin)
        await school.say(admin, "/forget 家长乙")
        assert "确认删除家长「家长乙」" in await last_text(school, admin)
        assert (await person_of(school, parent)).display_name == "家长乙"  # not yet
        await press(school, admin, "确认删除")
        assert "已删除编号" in await last_text(school, admin)
        assert "已失效" in await press(school, admin, "确认删除")  # pressed twice
        async with school.app.sessions() as session:
            gone = await session.get(Person, person.id)
            assert gone is not None
            assert gone.display_name == "已删除" and gone.tg_user_id is None
            assert gone.deleted_at is not None
            texts_kept = (
                await session.scalars(
                    select(Submission.text).where(Submission.person_id == person.id)
                )
            ).all()
            assert texts_kept == [""]  # the row (a count) stays, its content does not
            assert await session.scalar(select(func.count(Attachment.id))) == 0
            assert (
                await session.scalar(select(func.count(Role.id)).where(Role.person_id == person.id))
                == 0
            )
            assert (
                await session.scalar(select(func.count(Chat.id)).where(Chat.person_id == person.id))
                == 0
            )
            assert (
                await session.scalar(
                    select(func.count(Inbound.id)).where(Inbound.tg_user_id == parent.user_id)
                )
                == 0
            )
            receipt = await session.scalar(
                select(NoticeRecipient).where(NoticeRecipient.person_id == person.id)
            )
            assert receipt is not None and receipt.confirmed_at is not None  # counted still
            assert receipt.signed_name is None and receipt.signed_relation is None
            assert await session.scalar(select(func.count(Guardian.id))) == 0
            assert await session.scalar(select(func.count(Pupil.id))) == 1  # the child stays
            forget = await session.scalar(
                select(AuditLog).where(AuditLog.action == "privacy.forget")
            )
            assert forget is not None and "家长乙" not in json.dumps(
                forget.detail, ensure_ascii=False
            )
        assert not stored.path.exists()
        # The bot no longer knows them.
        await school.say(parent, "/mydata")
        assert "document" not in (await school.received(parent.chat_id))[-1]
        _ = Notice  # the receipt's notice stays


async def test_the_daily_job_deletes_photos_past_the_retention_period_once(
    private_school: Settings, clock: FakeClock
) -> None:
    clock.set(local("2026-11-02 09:00"))
    async with running_school(private_school, clock) as school:
        await school.admin("校长")
        guard = await school.join("guard", None, "门卫王师傅")
        await school.photo(guard, PHOTO, caption="/patrol 操场巡查")
        async with school.app.sessions.begin() as session:
            unit = await session.scalar(select(Unit).where(Unit.slug == "3-1"))
            assert unit is not None
            for name, active in (("已转学", False), ("在校生", True)):
                session.add(
                    Pupil(
                        school_id=school.app.school_id,
                        unit_id=unit.id,
                        name=name,
                        active=active,
                        created_at=school.app.now(),
                    )
                )
        async with school.app.sessions() as session:
            path = Path(await session.scalar(select(Attachment.path)) or "")
        assert path.is_file()

        await school.at("2026-12-01 09:00")  # 29 days on: kept
        assert path.is_file()
        await school.at("2026-12-03 09:00")  # 31 days on: the photo is deleted, files too
        assert not path.exists()
        async with school.app.sessions() as session:
            assert await session.scalar(select(func.count(Attachment.id))) == 0
            assert await session.scalar(select(func.count(Submission.id))) == 1  # the count
            assert list(await session.scalars(select(Pupil.name))) == ["在校生"]
            runs = (await session.scalars(select(RetentionRun).order_by(RetentionRun.day))).all()
            assert [(r.day, r.photos, r.pupils) for r in runs if r.photos] == [
                (dt.date(2026, 12, 3), 1, 1)
            ]
            logged = (
                await session.scalars(
                    select(AuditLog.detail).where(AuditLog.action == "privacy.retention")
                )
            ).all()
        assert logged == [{"retention_days": 30, "photos": 1, "pupils": 1, "receipts": 0}]
        await school.at("2026-12-03 15:00")  # later ticks that day do nothing more
        async with school.app.sessions() as session:
            assert (
                await session.scalar(
                    select(func.count(AuditLog.id)).where(AuditLog.action == "privacy.retention")
                )
                == 1
            )


async def test_an_admin_removes_a_pupil_whose_receipts_stay_counted_under_deleted(
    private_school: Settings, clock: FakeClock
) -> None:
    clock.set(local("2026-11-25 09:00"))
    async with running_school(private_school, clock) as school:
        admin = await school.admin("校长")
        teacher = await school.join("teacher", "3-1", "班主任3-1")
        token = await school.invite(teacher, "parent", "三(1)班 李小红")
        parent = school.user("家长丙")
        await school.say(parent, f"/start {token}")
        await press(school, parent, "同意")
        person = await person_of(school, parent)
        async with school.app.sessions.begin() as session:
            pupil = await session.scalar(select(Pupil).where(Pupil.name == "李小红"))
            assert pupil is not None
            notice = await notice_store.create_draft(
                session, school.app.school_id, admin.person_id or 0, "寒假安全", school.app.now()
            )
            session.add(
                NoticeRecipient(
                    notice_id=notice.id,
                    person_id=person.id,
                    unit_id=pupil.unit_id,
                    pupil_id=pupil.id,
                    tg_chat_id=parent.chat_id,
                    reachable=True,
                    confirmed_at=school.app.now(),
                    signed_name="李小红",
                    signed_relation="爸爸",
                )
            )
            pupil_id = pupil.id

        await school.say(admin, "/forget 三(1)班 没这个人")
        assert "找不到" in await last_text(school, admin)
        await school.say(admin, "/forget 三(1)班 李小红")
        assert "确认删除学生「李小红」（三(1)班）" in await last_text(school, admin)
        await press(school, admin, "确认删除")
        assert "已删除学生" in await last_text(school, admin)
        assert "已失效" in await press(school, admin, "确认删除")  # pressed twice
        async with school.app.sessions() as session:
            gone = await session.get(Pupil, pupil_id)
            assert gone is not None and gone.name == "已删除" and not gone.active
            receipt = await session.scalar(
                select(NoticeRecipient).where(NoticeRecipient.pupil_id == pupil_id)
            )
            assert receipt is not None and receipt.confirmed_at is not None  # still counted
            assert receipt.signed_name is None and receipt.signed_relation is None
            assert await session.scalar(select(func.count(Guardian.id))) == 0
            kept = await session.get(Person, person.id)
            assert kept is not None and kept.display_name == "家长丙"  # the parent stays
        assert "privacy.forget_pupil" in await actions(school)
