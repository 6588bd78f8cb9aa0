"""The database schema: one class per table. Every change here needs an Alembic migration.

Times are stored as naive UTC (SQLite has no time zones) and come back aware in UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes in, aware UTC datetimes out, naive UTC on disk."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware datetime (UTC)")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON}


class School(Base):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime]


class Unit(Base):
    """A class (班级) or a department (食堂, 总务处, 门卫室): something that reports."""

    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("school_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # class | department
    slug: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(40))
    grade: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Person(Base):
    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("school_id", "tg_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(100))
    tg_user_id: Mapped[int | None] = mapped_column(BigInteger)
    tg_username: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))  # None: the school's default
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime]
    # Children's data (storage/privacy.py): a guardian who joined by a class link while the
    # school asks consent is ``consent_pending`` (no notices, nothing kept) until they press
    # 同意; the version and time they consented; when an admin deleted them (/forget).
    # (NULL, not false, for everyone else: inserts written before this column stay valid.)
    consent_pending: Mapped[bool | None] = mapped_column(Boolean)
    consent_version: Mapped[str | None] = mapped_column(String(32))
    consented_at: Mapped[dt.datetime | None]
    deleted_at: Mapped[dt.datetime | None]

    roles: Mapped[list[Role]] = relationship(back_populates="person", lazy="selectin")


class Role(Base):
    """admin, duty_leader, teacher, head_teacher (of a class), guard, staff (of a department),
    parent (of a class)."""

    __tablename__ = "role"
    __table_args__ = (
        UniqueConstraint("person_id", "role", "unit_id"),
        # Recipients by role (the admins, the duty leaders) start here, not from every person.
        Index("ix_role_role_person", "role", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    created_at: Mapped[dt.datetime]

    person: Mapped[Person] = relationship(back_populates="roles")


class Chat(Base):
    """A Telegram chat the bot knows: private chats with people, class groups bound with /bind."""

    __tablename__ = "chat"
    # Per school: a parent with a child in two schools has one private chat with each
    # school's bot, and Telegram gives both the same id (the user's).
    __table_args__ = (UniqueConstraint("school_id", "tg_chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    tg_chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # private | group | supergroup
    title: Mapped[str] = mapped_column(String(128), default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    bound_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime]


class Invite(Base):
    """An invite deep link or the admin setup code. Only the token's sha256 is stored."""

    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Task(Base):
    """One expected response: a class's 1530 confirmation, a unit's zero report, a handover."""

    __tablename__ = "task"
    __table_args__ = (
        UniqueConstraint("school_id", "key"),
        Index("ix_task_school_day_routine", "school_id", "day", "routine"),
        Index("ix_task_status_deadline", "status", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    key: Mapped[str] = mapped_column(String(120))
    routine: Mapped[str] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(24))
    day: Mapped[dt.date] = mapped_column(Date)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    due_at: Mapped[dt.datetime]
    deadline_at: Mapped[dt.datetime]
    escalate_at: Mapped[dt.datetime]
    # planned → sent → done / late / missed / escalated / cancelled
    status: Mapped[str] = mapped_column(String(16), default="planned")
    theme: Mapped[str] = mapped_column(String(60), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    reminded_at: Mapped[dt.datetime | None]
    escalated_at: Mapped[dt.datetime | None]
    done_at: Mapped[dt.datetime | None]
    done_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class Outbox(Base):
    """A message to send, written in the same transaction as what caused it.

    ``payload`` is platform-neutral (see bot.core.messages); the Telegram sender renders it.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("school_id", "key"),
        # Each school's sender claims its own rows only (storage.outbox.claim).
        Index("ix_outbox_ready", "school_id", "status", "send_after"),
        Index("ix_outbox_settled", "status", "settled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    key: Mapped[str] = mapped_column(String(160))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    tg_chat_id: Mapped[int] = mapped_column(BigInteger)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    payload: Mapped[dict[str, Any]]
    # pending → sending → sent | uncertain | unreachable | failed | expired | cancelled
    # (uncertain: the request reached Telegram and no answer came back; it may have arrived)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    priority: Mapped[int] = mapped_column(Integer, default=5)  # lower first: alerts before bulk
    send_after: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A claim is a lease: the sender ``claimed_by`` holds it until claimed_at +
    # storage.outbox.LEASE, renewing it while the row waits or its request runs.
    claimed_at: Mapped[dt.datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    # When its latest request left for Telegram (cleared when it is queued again): a row found
    # 'sending' with one after its sender died may have arrived (storage.outbox.in_doubt).
    requested_at: Mapped[dt.datetime | None]
    last_error: Mapped[str] = mapped_column(String(300), default="")
    sent_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    settled_at: Mapped[dt.datetime | None]  # when it reached a final state


class Submission(Base):
    """Anything a person sent that the bot keeps: a button press, a text, a photo."""

    __tablename__ = "submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # button | text | photo | document
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tg_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    tg_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime]

    attachments: Mapped[list[Attachment]] = relationship(lazy="selectin")


class Attachment(Base):
    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    tg_file_id: Mapped[str] = mapped_column(String(200))
    tg_file_unique_id: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    mime: Mapped[str] = mapped_column(String(64), default="image/jpeg")
    path: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime]


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime]


class CalendarOverride(Base):
    """An admin's /calendar off|on: a day without classes, or an extra school day."""

    __tablename__ = "calendar_override"
    __table_args__ = (UniqueConstraint("school_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    is_school_day: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(100), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[dt.datetime]


class Inbound(Base):
    """Every update received, stored before it is handled (bot/updates_once.py): a second
    delivery of the same ``update_id`` changes nothing, and one that never finished (the
    process died) is handled at the next start. ``error`` says why a handled one failed."""

    __tablename__ = "inbound"
    __table_args__ = (UniqueConstraint("bot_id", "update_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bot_id: Mapped[int] = mapped_column(BigInteger)
    update_id: Mapped[int] = mapped_column(BigInteger)
    tg_user_id: Mapped[int | None] = mapped_column(BigInteger)
    tg_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[dt.datetime]
    handled: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(String(200))
