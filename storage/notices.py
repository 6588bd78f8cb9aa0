"""Notices to parents (致家长的一封信) and who confirmed them: tables and queries.

A notice is written as a draft, then confirmed: at that moment its audience is frozen into one
``notice_recipient`` row per person (reachable or not), and one outbox row per reachable person
carries the message. The recipient row is the record of the 已阅知晓 press (who and when).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.text import clean_text
from storage.models import Base, Chat, Outbox, Person, Role, Unit
from storage.pupils import Guardian, Pupil

# draft → sending (outbox filled) → sent (outbox drained) → closed (deadline passed, reports out);
# a draft can be cancelled. Nothing reaches a parent before "sending".
DRAFT, SENDING, SENT, CLOSED, CANCELLED = "draft", "sending", "sent", "closed", "cancelled"
UNSENT = (DRAFT, CANCELLED)
LIVE = (SENDING, SENT)

AudienceKind = Literal["school", "grades", "classes", "staff"]
STAFF_ROLES = ("admin", "duty_leader", "teacher", "head_teacher", "guard", "staff")


class Notice(Base):
    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_school_status", "school_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    text: Mapped[str] = mapped_column(Text, default="")
    # "" | photo | document; the file is kept in the media store and re-sent by file_id.
    attachment_kind: Mapped[str] = mapped_column(String(16), default="")
    file_id: Mapped[str] = mapped_column(String(200), default="")
    media_path: Mapped[str] = mapped_column(String(300), default="")
    filename: Mapped[str] = mapped_column(String(200), default="")
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    post_to_groups: Mapped[bool] = mapped_column(Boolean, default=False)
    deadline_at: Mapped[dt.datetime | None]
    remind_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    confirmed_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    reminded_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    # The author's "sent / total" line, edited in place while the broadcast drains.
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_shown: Mapped[int] = mapped_column(Integer, default=-1)
    # What a guardian gives back besides 已阅知晓: {"options": ["同意", "不同意"] (≤ 5),
    # "signature": bool (the child's name and the relation typed), "text": bool (an optional
    # short text)}; {} is 已阅知晓 only.
    receipt: Mapped[dict[str, Any]] = mapped_column(default=dict)


class NoticeRecipient(Base):
    __tablename__ = "notice_recipient"
    __table_args__ = (
        # One row per guardian and child (pupil_id None: a parent with no child linked, or
        # staff); NULLs are distinct, so the insert itself keeps those once per person.
        UniqueConstraint("notice_id", "person_id", "pupil_id"),
        Index("ix_notice_recipient_unit", "notice_id", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    # None: the person never started the bot; no outbox row then.
    tg_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    outbox_key: Mapped[str | None] = mapped_column(String(160))
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    confirmed_at: Mapped[dt.datetime | None]
    confirm_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    confirm_message_id: Mapped[int | None] = mapped_column(BigInteger)
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("pupil.id", ondelete="SET NULL"))
    # The receipt's parts, each with its time; confirmed_at is set once all asked parts are in.
    choice: Mapped[int | None] = mapped_column(Integer)  # index into notice.receipt["options"]
    choice_at: Mapped[dt.datetime | None]
    reply_text: Mapped[str | None] = mapped_column(String(200))
    signed_name: Mapped[str | None] = mapped_column(String(40))
    signed_relation: Mapped[str | None] = mapped_column(String(16))
    signed_at: Mapped[dt.datetime | None]


# --- the audience ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    kind: AudienceKind
    grades: tuple[int, ...] = ()
    unit_ids: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "grades": list(self.grades), "unit_ids": list(self.unit_ids)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience | None:
        if not data.get("kind"):
            return None
        return cls(data["kind"], tuple(data.get("grades", ())), tuple(data.get("unit_ids", ())))


@dataclass(frozen=True)
class Member:
    """One message of an audience: a person, about one child of theirs (or about none: staff,
    a parent no child is linked to yet), with how to reach them privately (if at all)."""

    person_id: int
    name: str
    language: str | None
    unit_id: int | None
    tg_chat_id: int | None
    reachable: bool
    pupil_id: int | None = None
    pupil_name: str = ""
    unit_name: str = ""


async def audience_classes(session: AsyncSession, school_id: int, audience: Audience) -> list[Unit]:
    """The active classes an audience of parents covers (none for staff)."""
    if audience.kind == "staff":
        return []
    query = select(Unit).where(
        Unit.school_id == school_id, Unit.kind == "class", Unit.active.is_(True)
    )
    if audience.kind == "grades":
        query = query.where(Unit.grade.in_(audience.grades))
    elif audience.kind == "classes":
        query = query.where(Unit.id.in_(audience.unit_ids))
    return list((await session.scalars(query.order_by(Unit.grade, Unit.slug))).all())


async def audience_members(
    session: AsyncSession, school_id: int, audience: Audience
) -> list[Member]:
    """Everyone the audience reaches, ordered by class then by when they joined: a guardian
    once per child of theirs in the audience's classes (two children, two members), a parent
    no child is linked to once, under their first class.

    One message per child even when the notice is school-wide, rather than one naming both:
    each child's receipt is its own (a choice such as a holiday travel plan differs per child,
    the signature names one child, each class's rate counts its pupils and each head teacher
    chases their own class), and one message with one set of buttons could not carry two
    children's answers without asking which child each press was for.
    """
    base = (
        select(
            Person.id,
            Person.display_name,
            Person.language,
            Person.unreachable,
            Chat.tg_chat_id,
            Chat.unreachable,
        )
        .outerjoin(Chat, (Chat.person_id == Person.id) & (Chat.kind == "private"))
        .where(Person.school_id == school_id)
    )
    members: dict[tuple[int, int | None], Member] = {}
    if audience.kind == "staff":
        query = (
            base.add_columns(Role.unit_id)
            .join(Role, Role.person_id == Person.id)
            .outerjoin(Unit, Unit.id == Role.unit_id)
            .where(Role.role.in_(STAFF_ROLES))
            .order_by(Unit.grade.is_(None), Unit.grade, Unit.slug, Person.id)
        )
        for pid, name, language, p_unreach, chat_id, c_unreach, unit_id in (
            await session.execute(query)
        ).all():
            if (pid, None) not in members:
                reachable = chat_id is not None and not c_unreach and not p_unreach
                members[pid, None] = Member(pid, name, language, unit_id, chat_id, reachable)
        return list(members.values())
    classes = await audience_classes(session, school_id, audience)
    units = {u.id: u for u in classes}
    order = {u.id: n for n, u in enumerate(classes)}
    rows: list[tuple[int, int, Member]] = []
    children = (
        base.add_columns(Pupil.unit_id, Pupil.id, Pupil.name)
        .join(Guardian, Guardian.person_id == Person.id)
        .join(Pupil, Pupil.id == Guardian.pupil_id)
        .where(Pupil.unit_id.in_(list(units)), Pupil.active.is_(True))
        # A guardian who has not answered the consent text yet gets no notice (PIPL).
        .where(Person.consent_pending.is_not(True))
    )
    with_children: set[int] = set()
    for pid, name, language, p_unreach, chat_id, c_unreach, unit_id, pupil_id, pupil in (
        await session.execute(children)
    ).all():
        reachable = chat_id is not None and not c_unreach and not p_unreach
        with_children.add(pid)
        member = Member(
            pid,
            name,
            language,
            unit_id,
            chat_id,
            reachable,
            pupil_id,
            pupil,
            units[unit_id].name,
        )
        rows.append((order[unit_id], pid, member))
    parents = (
        base.add_columns(Role.unit_id)
        .join(Role, Role.person_id == Person.id)
        .where(Role.role == "parent", Role.unit_id.in_(list(units)))
        .where(Person.consent_pending.is_not(True))
    )
    seen: dict[int, tuple[int, int, Member]] = {}
    for pid, name, language, p_unreach, chat_id, c_unreach, unit_id in (
        await session.execute(parents)
    ).all():
        if pid in with_children:
            continue
        reachable = chat_id is not None and not c_unreach and not p_unreach
        row = (order[unit_id], pid, Member(pid, name, language, unit_id, chat_id, reachable))
        if pid not in seen or row[:2] < seen[pid][:2]:
            seen[pid] = row
    rows += seen.values()
    rows.sort(key=lambda r: (r[0], r[1], r[2].pupil_name))
    return [member for _, _, member in rows]


# --- notices ---------------------------------------------------------------------------------


async def create_draft(
    session: AsyncSession, school_id: int, author_id: int, text: str, now: dt.datetime
) -> Notice:
    notice = Notice(
        school_id=school_id,
        author_id=author_id,
        status=DRAFT,
        text=clean_text(text),
        attachment_kind="",
        file_id="",
        media_path="",
        filename="",
        audience={},
        receipt={},
        post_to_groups=False,
        created_at=now,
        progress_shown=-1,
    )
    session.add(notice)
    await session.flush()
    return notice


async def get(session: AsyncSession, school_id: int, notice_id: int) -> Notice | None:
    notice = await session.get(Notice, notice_id)
    return notice if notice is not None and notice.school_id == school_id else None


async def with_status(
    session: AsyncSession, school_id: int, statuses: Sequence[str]
) -> list[Notice]:
    rows = await session.scalars(
        select(Notice)
        .where(Notice.school_id == school_id, Notice.status.in_(statuses))
        .order_by(Notice.id)
    )
    return list(rows.all())


def delivery_key(notice_id: int, person_id: int, pupil_id: int | None = None) -> str:
    base = f"notice:{notice_id}:{person_id}"
    return f"{base}:p{pupil_id}" if pupil_id is not None else base


async def add_recipients(session: AsyncSession, notice_id: int, members: Iterable[Member]) -> int:
    rows = [
        {
            "notice_id": notice_id,
            "person_id": m.person_id,
            "unit_id": m.unit_id,
            "tg_chat_id": m.tg_chat_id,
            "outbox_key": (
                delivery_key(notice_id, m.person_id, m.pupil_id) if m.reachable else None
            ),
            "reachable": m.reachable,
            "pupil_id": m.pupil_id,
        }
        for m in members
    ]
    for start in range(0, len(rows), 500):
        await session.execute(insert(NoticeRecipient), rows[start : start + 500])
    return len(rows)


async def recipient(
    session: AsyncSession, notice_id: int, person_id: int, pupil_id: int | None = None
) -> NoticeRecipient | None:
    """The person's row of the notice about that child (None: the row about no child)."""
    return await session.scalar(
        select(NoticeRecipient).where(
            NoticeRecipient.notice_id == notice_id,
            NoticeRecipient.person_id == person_id,
            NoticeRecipient.pupil_id.is_(None)
            if pupil_id is None
            else NoticeRecipient.pupil_id == pupil_id,
        )
    )


async def record_confirmation(
    session: AsyncSession,
    notice_id: int,
    person_id: int,
    now: dt.datetime,
    chat_id: int | None,
    message_id: int | None,
    pupil_id: int | None = None,
) -> bool:
    """True if this press is the first; a second press (or a second process) changes nothing."""
    result = await session.execute(
        update(NoticeRecipient)
        .where(
            NoticeRecipient.notice_id == notice_id,
            NoticeRecipient.person_id == person_id,
            NoticeRecipient.pupil_id.is_(None)
            if pupil_id is None
            else NoticeRecipient.pupil_id == pupil_id,
            NoticeRecipient.confirmed_at.is_(None),
        )
        .values(confirmed_at=now, confirm_chat_id=chat_id, confirm_message_id=message_id)
    )
    return (result.rowcount or 0) > 0  # type: ignore[attr-defined]


# --- delivery and confirmation status --------------------------------------------------------


@dataclass(frozen=True)
class RecipientStatus:
    person_id: int
    name: str
    language: str | None
    unit_id: int | None
    tg_chat_id: int | None
    reachable: bool
    delivery: str  # outbox status; "" when there was no chat to send to
    confirmed_at: dt.datetime | None
    blocked_since: bool = False  # a later message found the person had blocked the bot
    pupil_id: int | None = None
    pupil_name: str = ""
    choice: int | None = None
    reply_text: str | None = None
    signed_name: str | None = None
    signed_relation: str | None = None
    signed_at: dt.datetime | None = None

    @property
    def unreachable(self) -> bool:
        return (
            not self.reachable
            or self.blocked_since
            or self.delivery in ("unreachable", "failed", "expired")
        )


async def recipient_statuses(
    session: AsyncSession, school_id: int, notice_id: int
) -> list[RecipientStatus]:
    query = (
        select(
            NoticeRecipient.person_id,
            Person.display_name,
            Person.language,
            NoticeRecipient.unit_id,
            NoticeRecipient.tg_chat_id,
            NoticeRecipient.reachable,
            Outbox.status,
            NoticeRecipient.confirmed_at,
            Person.unreachable,
            NoticeRecipient.pupil_id,
            Pupil.name,
            NoticeRecipient.choice,
            NoticeRecipient.reply_text,
            NoticeRecipient.signed_name,
            NoticeRecipient.signed_relation,
            NoticeRecipient.signed_at,
        )
        .join(Person, Person.id == NoticeRecipient.person_id)
        .outerjoin(Pupil, Pupil.id == NoticeRecipient.pupil_id)
        .outerjoin(
            Outbox, (Outbox.school_id == school_id) & (Outbox.key == NoticeRecipient.outbox_key)
        )
        .where(NoticeRecipient.notice_id == notice_id)
        .order_by(NoticeRecipient.id)
    )
    return [
        RecipientStatus(
            pid,
            name,
            lang,
            unit_id,
            chat_id,
            reachable,
            status or "",
            confirmed,
            bool(blocked),
            pupil_id,
            pupil or "",
            *receipt,
        )
        for (
            pid,
            name,
            lang,
            unit_id,
            chat_id,
            reachable,
            status,
            confirmed,
            blocked,
            pupil_id,
            pupil,
            *receipt,
        ) in (await session.execute(query)).all()
    ]


# --- receipts per child ----------------------------------------------------------------------


@dataclass
class ChildReceipt:
    """One child's receipt (or, for a parent no child is linked to, that parent's): confirmed
    once any guardian's receipt is complete; the first complete one is the child's answer."""

    unit_id: int | None
    name: str  # the pupil's name; the parent's when no child is linked
    guardians: list[str] = field(default_factory=list)
    confirmed: RecipientStatus | None = None
    rows: list[RecipientStatus] = field(default_factory=list)

    @property
    def state(self) -> str:
        """confirmed | unreachable (no guardian can be reached) | uncertain | missing"""
        if self.confirmed is not None:
            return "confirmed"
        if all(r.unreachable for r in self.rows):
            return "unreachable"
        if any(r.delivery == "uncertain" for r in self.rows):
            return "uncertain"
        return "missing"

    def label(self) -> str:
        """王小明（张三、李四）: the child and the guardians to ask; a parent's own name alone."""
        if not self.guardians or self.guardians == [self.name]:
            return self.name
        return f"{self.name}（{'、'.join(self.guardians)}）"


def by_child(statuses: Sequence[RecipientStatus]) -> list[ChildReceipt]:
    """The rows of a notice folded per child, in the rows' order (class, then join order)."""
    children: dict[tuple[str, int], ChildReceipt] = {}
    for status in statuses:
        key = ("p", status.pupil_id) if status.pupil_id is not None else ("g", status.person_id)
        child = children.get(key)
        if child is None:
            name = status.pupil_name if status.pupil_id is not None else status.name
            child = children[key] = ChildReceipt(status.unit_id, name)
        child.rows.append(status)
        if status.name not in child.guardians:
            child.guardians.append(status.name)
        if status.confirmed_at is not None and (
            child.confirmed is None or status.confirmed_at < child.confirmed.confirmed_at  # type: ignore[operator]
        ):
            child.confirmed = status
    return list(children.values())


@dataclass
class DeliveryCounts:
    """Outbox statuses of a notice's deliveries: sent, unreachable, pending … → count."""

    by_status: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def waiting(self) -> int:
        return self.by_status["pending"] + self.by_status["sending"]

    @property
    def done(self) -> int:
        return self.total - self.waiting

    @property
    def sent(self) -> int:
        return self.by_status["sent"]

    @property
    def failed(self) -> int:
        return self.done - self.sent


async def delivery_counts(session: AsyncSession, school_id: int, notice_id: int) -> DeliveryCounts:
    query = (
        select(Outbox.status, func.count())
        .join(
            NoticeRecipient,
            (Outbox.school_id == school_id) & (Outbox.key == NoticeRecipient.outbox_key),
        )
        .where(NoticeRecipient.notice_id == notice_id)
        .group_by(Outbox.status)
    )
    return DeliveryCounts(Counter({s: n for s, n in (await session.execute(query)).all()}))


@dataclass(frozen=True)
class ClassReceipts:
    """A class's receipts for one notice, per child, as the record book shows them."""

    unit_id: int | None
    pupils: int  # children (a parent no child is linked to counts as one)
    confirmed: int
    chose: tuple[int, ...]  # per option of notice.receipt["options"]
    signed: int

    @property
    def rate(self) -> float | None:
        return self.confirmed / self.pupils if self.pupils else None


async def class_receipts(
    session: AsyncSession, school_id: int, notice: Notice
) -> list[ClassReceipts]:
    """Each class's receipts for the notice, per child, in the order of the rows."""
    options = len((notice.receipt or {}).get("options", ()))
    found: dict[int | None, list[ChildReceipt]] = {}
    for child in by_child(await recipient_statuses(session, school_id, notice.id)):
        found.setdefault(child.unit_id, []).append(child)
    rows = []
    for unit_id, children in found.items():
        answers = [c.confirmed for c in children if c.confirmed is not None]
        rows.append(
            ClassReceipts(
                unit_id,
                len(children),
                len(answers),
                tuple(sum(1 for a in answers if a.choice == k) for k in range(options)),
                sum(1 for a in answers if a.signed_at is not None),
            )
        )
    return rows
