"""Children's data (个人信息保护法): what is kept about a guardian, deleting a guardian, and the
daily retention sweep's rows. The rules (who may, what a school sets) are in
scheduler/privacy.py; here only the reads and writes.

A guardian's children (storage/pupils.py) and the per-child receipts of notices are part of
what is kept about them, and of what is deleted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, UniqueConstraint, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage import pupils
from storage.bus import BusRider
from storage.models import (
    Attachment,
    AuditLog,
    Base,
    Chat,
    Inbound,
    Outbox,
    Person,
    Role,
    Submission,
    Unit,
)
from storage.notices import Notice, NoticeRecipient

DELETED_NAME = "已删除"


class RetentionRun(Base):
    """One row per school day the retention sweep ran, with what it deleted."""

    __tablename__ = "retention_run"
    __table_args__ = (UniqueConstraint("school_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    photos: Mapped[int] = mapped_column(Integer, default=0)
    pupils: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime]


# Parts of a notice's receipt a guardian typed (storage/notices.py), blanked on deletion.
_TYPED_RECEIPT = ("reply_text", "signed_name", "signed_relation")


# --- consent -----------------------------------------------------------------------------


def give_consent(person: Person, version: str, now: dt.datetime) -> None:
    person.consent_pending = None
    person.consent_version = version
    person.consented_at = now


# --- everything kept about a person (/mydata) ----------------------------------------------


async def kept_about(session: AsyncSession, school_id: int, person_id: int) -> dict[str, Any]:
    """Everything stored about the person, as plain values: who they are, their roles and
    classes, their children, their answers to notices, what they sent, what the log says
    they did."""
    person = await session.get(Person, person_id)
    assert person is not None and person.school_id == school_id
    units = {
        u.id: u.name
        for u in (await session.scalars(select(Unit).where(Unit.school_id == school_id))).all()
    }
    found: dict[str, Any] = {
        "person": {
            "id": person.id,
            "name": person.display_name,
            "telegram_user_id": person.tg_user_id,
            "telegram_username": person.tg_username or "",
            "language": person.language or "",
            "joined_at": person.created_at,
            "consent_version": person.consent_version or "",
            "consented_at": person.consented_at,
        },
        "roles": [
            {"role": r.role, "class": units.get(r.unit_id, "") if r.unit_id else ""}
            for r in person.roles
        ],
        "children": [],
    }
    rows = await session.execute(
        select(pupils.Pupil.name, pupils.Pupil.unit_id, pupils.Guardian.relation)
        .join(pupils.Guardian, pupils.Guardian.pupil_id == pupils.Pupil.id)
        .where(pupils.Guardian.person_id == person_id)
        .order_by(pupils.Pupil.id)
    )
    found["children"] = [
        {"name": name, "class": units.get(unit_id, ""), "relation": relation}
        for name, unit_id, relation in rows.all()
    ]
    typed = list(_TYPED_RECEIPT)
    receipts = await session.execute(
        select(NoticeRecipient, Notice.created_at, Notice.text)
        .join(Notice, Notice.id == NoticeRecipient.notice_id)
        .where(NoticeRecipient.person_id == person_id)
        .order_by(NoticeRecipient.id)
    )
    found["notices"] = [
        {
            "notice": row.notice_id,
            "sent_at": sent_at,
            "notice_text": text[:80],
            "confirmed_at": row.confirmed_at,
            **{name: getattr(row, name) or "" for name in typed},
        }
        for row, sent_at, text in receipts.all()
    ]
    submissions = await session.scalars(
        select(Submission).where(Submission.person_id == person_id).order_by(Submission.id)
    )
    found["messages"] = [
        {"at": s.created_at, "kind": s.kind, "text": s.text, "photos": len(s.attachments)}
        for s in submissions.all()
    ]
    audit = await session.execute(
        select(AuditLog.action, AuditLog.created_at)
        .where(AuditLog.school_id == school_id, AuditLog.person_id == person_id)
        .order_by(AuditLog.id)
    )
    found["log"] = [{"action": action, "at": at} for action, at in audit.all()]
    return found


# --- deleting a person (/forget) -----------------------------------------------------------


@dataclass
class Forgotten:
    messages: int = 0
    photos: int = 0
    receipts: int = 0
    children: int = 0
    files: list[Path] = field(default_factory=list)


async def forget(
    session: AsyncSession, school_id: int, person_id: int, now: dt.datetime
) -> Forgotten:
    """The person's content removed, their rows kept as counts under 已删除: what they sent
    (text, data, photos), what they typed on receipts, their children's links, their roles and
    chats, the updates kept of them, the outbox's texts to them. ``files`` are the photo files
    no other row uses any more, for the caller to delete once committed."""
    person = await session.get(Person, person_id)
    assert person is not None and person.school_id == school_id
    result = Forgotten()
    submission_ids = list(
        (
            await session.scalars(select(Submission.id).where(Submission.person_id == person_id))
        ).all()
    )
    result.messages = len(submission_ids)
    if submission_ids:
        result.photos, result.files = await _drop_attachments(
            session, Attachment.submission_id.in_(submission_ids)
        )
        await session.execute(
            update(Submission)
            .where(Submission.id.in_(submission_ids))
            .values(text="", data={}, tg_message_id=None)
        )
    typed = list(_TYPED_RECEIPT)
    receipts = await session.execute(
        update(NoticeRecipient)
        .where(NoticeRecipient.person_id == person_id)
        .values(confirm_chat_id=None, confirm_message_id=None, **dict.fromkeys(typed))
    )
    result.receipts = receipts.rowcount or 0  # type: ignore[attr-defined]
    links = await session.execute(
        delete(pupils.Guardian).where(pupils.Guardian.person_id == person_id)
    )
    result.children = links.rowcount or 0  # type: ignore[attr-defined]
    # The bus riders they marked absent as the guardian (storage.bus) are no longer theirs.
    await session.execute(
        update(BusRider).where(BusRider.guardian_id == person_id).values(guardian_id=None)
    )
    tg_user_id = person.tg_user_id
    chats = list(
        (await session.scalars(select(Chat.tg_chat_id).where(Chat.person_id == person_id))).all()
    )
    await session.execute(
        update(Outbox)
        .where(
            Outbox.school_id == school_id,
            Outbox.person_id == person_id,
            Outbox.status.in_(("pending", "uncertain")),
        )
        .values(status="cancelled", settled_at=now)
    )
    await session.execute(
        update(Outbox)
        .where(Outbox.school_id == school_id, Outbox.person_id == person_id)
        .values(payload={"kind": "text", "text": ""})
    )
    await session.execute(delete(Chat).where(Chat.person_id == person_id))
    if tg_user_id is not None:
        await session.execute(delete(Inbound).where(Inbound.tg_user_id == tg_user_id))
    if chats:
        await session.execute(delete(Inbound).where(Inbound.tg_chat_id.in_(chats)))
    await session.execute(delete(Role).where(Role.person_id == person_id))
    await session.execute(
        update(Person)
        .where(Person.id == person_id)
        .values(
            display_name=DELETED_NAME,
            tg_user_id=None,
            tg_username=None,
            language=None,
            unreachable=True,
            consent_pending=None,
            consent_version=None,
            consented_at=None,
            deleted_at=now,
        )
    )
    session.expire(person)
    return result


async def forget_pupil(
    session: AsyncSession, school_id: int, pupil_id: int, now: dt.datetime
) -> Forgotten | None:
    """A pupil removed from the bot: renamed 已删除 and inactive (their receipts stay counted
    under that name), what guardians typed on the receipts about them blanked (the child's
    name is the signature), their guardians' links deleted. None: no such pupil."""
    pupil = await session.get(pupils.Pupil, pupil_id)
    if pupil is None or pupil.school_id != school_id:
        return None
    if pupil.name == DELETED_NAME and not pupil.active:
        return None  # deleted already
    result = Forgotten()
    receipts = await session.execute(
        update(NoticeRecipient)
        .where(NoticeRecipient.__table__.c.pupil_id == pupil_id)
        .values(**dict.fromkeys(_TYPED_RECEIPT))
    )
    result.receipts = receipts.rowcount or 0  # type: ignore[attr-defined]
    links = await session.execute(
        delete(pupils.Guardian).where(pupils.Guardian.pupil_id == pupil_id)
    )
    result.children = links.rowcount or 0  # type: ignore[attr-defined]
    pupil.name, pupil.active = DELETED_NAME, False
    await session.flush()
    return result


async def _drop_attachments(session: AsyncSession, where: Any) -> tuple[int, list[Path]]:
    """Deletes the attachments ``where`` says; returns how many, and the files no attachment
    left uses (one file may be kept for several, by its sha256)."""
    rows = (await session.execute(select(Attachment.id, Attachment.path).where(where))).all()
    if not rows:
        return 0, []
    ids = [attachment_id for attachment_id, _ in rows]
    await session.execute(delete(Attachment).where(Attachment.id.in_(ids)))
    paths = sorted({path for _, path in rows})
    still = set(
        (await session.scalars(select(Attachment.path).where(Attachment.path.in_(paths)))).all()
    )
    return len(ids), [Path(path) for path in paths if path not in still]


# --- retention -----------------------------------------------------------------------------


@dataclass
class Swept:
    photos: int = 0
    pupils: int = 0
    receipts: int = 0
    files: list[Path] = field(default_factory=list)


async def sweep(session: AsyncSession, school_id: int, before: dt.datetime) -> Swept:
    """Photos received before ``before`` (their rows and files; the submissions stay, so the
    record book keeps its counts), pupils who left the school (inactive) and were added before
    it, and what guardians typed on notices' receipts sent before it."""
    result = Swept()
    submissions = select(Submission.id).where(Submission.school_id == school_id)
    result.photos, result.files = await _drop_attachments(
        session,
        Attachment.submission_id.in_(submissions) & (Attachment.created_at < before),
    )
    typed = list(_TYPED_RECEIPT)
    if typed:
        old = select(Notice.id).where(Notice.school_id == school_id, Notice.created_at < before)
        blank = await session.execute(
            update(NoticeRecipient)
            .where(
                NoticeRecipient.notice_id.in_(old),
                or_(*[NoticeRecipient.__table__.c[name].is_not(None) for name in typed]),
            )
            .values(**dict.fromkeys(typed))
        )
        result.receipts = blank.rowcount or 0  # type: ignore[attr-defined]
    gone = await session.execute(
        delete(pupils.Pupil).where(
            pupils.Pupil.school_id == school_id,
            pupils.Pupil.active.is_(False),
            pupils.Pupil.created_at < before,
        )
    )
    result.pupils = gone.rowcount or 0  # type: ignore[attr-defined]
    return result


def delete_files(paths: list[Path]) -> int:
    """Removes the files (after the rows are gone and committed); a missing one is fine."""
    removed = 0
    for path in paths:
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
    return removed
