"""Notices to parents (致家长的一封信, 一盔一带, 防溺水 …) that parents confirm with 已阅知晓.

The life of a notice: a draft is written step by step (nothing leaves); on confirmation its
audience is frozen into recipient rows and one outbox row per reachable person, all in one
transaction, so a crash either sends nothing or everything eventually; the outbox sender drains
it at Telegram's pace while the author's "sent / total" line is edited in place; one reminder
goes to the unconfirmed before the deadline; at the deadline the author and each head teacher
get the per-class confirmation rates and the names still missing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dates import ParseFailure, parse_moment
from bot.i18n import both, t
from bot.settings import NoticeSettings
from scheduler.clock import Clock
from scheduler.recipients import privately
from scheduler.registry import TickContext
from scheduler.routine import Context
from storage import audit, outbox, people
from storage import notices as store
from storage.db import SessionFactory
from storage.messages import Button, OutMessage
from storage.models import Person, Submission, Unit
from storage.notices import Audience, Notice
from storage.outbox import PRIORITY_ALERT, PRIORITY_BULK, Envelope

log = logging.getLogger(__name__)

MAX_NOTICE_TEXT = 3500  # Telegram allows 4096; the header, deadline line and names need room
CAPTION_LIMIT = 1024
REPORT_CHUNK = 3800
FOLLOW_IDLE_S = 120  # a broadcast that has not moved for this long is left to the tick
DOCUMENT_TYPES = frozenset(
    {
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }
)


def confirm_callback(notice_id: int) -> str:
    return f"n:{notice_id}:ok"


# --- the audience ----------------------------------------------------------------------------

_ZH_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_SCHOOL_WORDS = {"全校", "全体", "全校家长", "全体家长", "所有家长", "all", "school", "everyone"}
_STAFF_WORDS = {"教职工", "全体教职工", "老师", "全体教师", "教师", "staff", "teachers"}
_GRADE_RE = re.compile(r"年级|grades?", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s,，、;；]+")


@dataclass(frozen=True)
class AudienceParse:
    audience: Audience | None
    unknown: str = ""  # the part of the input that named no grade or class


def parse_audience(text: str, classes: Sequence[Unit]) -> AudienceParse:
    """全校 / 教职工 / 3年级, 三、四年级, grades 3 4 / 3-2 4-1, 三(2)班 — or what was not understood."""
    clean = text.strip().lower()
    if clean in _SCHOOL_WORDS:
        return AudienceParse(Audience("school"))
    if clean in _STAFF_WORDS:
        return AudienceParse(Audience("staff"))
    if _GRADE_RE.search(clean):
        grades = sorted(
            {int(c) if c.isdigit() else _ZH_DIGITS[c] for c in clean if c in "123456一二三四五六"}
        )
        known = {u.grade for u in classes}
        if grades and set(grades) <= known:
            return AudienceParse(Audience("grades", grades=tuple(grades)))
        return AudienceParse(None, text.strip()[:40])
    by_name = {people.normalize_unit_name(u.name): u for u in classes}
    by_slug = {u.slug.lower(): u for u in classes}
    chosen: list[int] = []
    for token in filter(None, _SEPARATORS.split(clean)):
        unit = by_slug.get(token) or by_name.get(people.normalize_unit_name(token))
        if unit is None:
            return AudienceParse(None, token[:40])
        if unit.id not in chosen:
            chosen.append(unit.id)
    if not chosen:
        return AudienceParse(None, text.strip()[:40])
    return AudienceParse(Audience("classes", unit_ids=tuple(chosen)))


def may_address(person: Person, audience: Audience) -> bool:
    """Admins may write to anyone; a head teacher only to the parents of their own class."""
    if people.has_role(person, "admin"):
        return True
    own = people.unit_ids_with_role(person, "head_teacher")
    return audience.kind == "classes" and bool(audience.unit_ids) and set(audience.unit_ids) <= own


@dataclass(frozen=True)
class AudienceSummary:
    total: int
    reachable: int
    classes: tuple[str, ...]  # names of the classes covered (empty for staff)

    @property
    def unreachable(self) -> int:
        return self.total - self.reachable


async def summarize_audience(
    session: AsyncSession, school_id: int, audience: Audience
) -> AudienceSummary:
    members = await store.audience_members(session, school_id, audience)
    classes = await store.audience_classes(session, school_id, audience)
    return AudienceSummary(
        len(members), sum(m.reachable for m in members), tuple(u.name for u in classes)
    )


def describe_audience(audience: Audience, summary: AudienceSummary, lang: str) -> str:
    match audience.kind:
        case "school":
            return t(lang, "notice.audience.school")
        case "staff":
            return t(lang, "notice.audience.staff")
        case "grades":
            grades = "、".join(str(g) for g in audience.grades)
            return t(lang, "notice.audience.grades", grades=grades)
        case _:
            return t(lang, "notice.audience.classes", classes="、".join(summary.classes))


# --- the deadline ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineProblem:
    key: str  # a text key: notice.deadline.past / notice.deadline.too_far / unparsed
    failure: ParseFailure | None = None


def deadline_from_text(
    text: str, now: dt.datetime, tz: ZoneInfo, settings: NoticeSettings
) -> dt.datetime | DeadlineProblem:
    """A deadline typed by a person (明天下午5点, 周五, friday 6pm), in the future and not too far."""
    moment = parse_moment(text, now, tz=tz)
    if isinstance(moment, ParseFailure):
        return DeadlineProblem("notice.deadline.unparsed", moment)
    at = moment.at
    if not moment.has_time:
        at = dt.datetime.combine(moment.day, settings.deadline_time_if_day_only, tzinfo=tz)
    if at <= now:
        return DeadlineProblem("notice.deadline.past")
    if at > now + dt.timedelta(days=settings.max_deadline_days):
        return DeadlineProblem("notice.deadline.too_far")
    return at.astimezone(dt.UTC)


# --- drafts ----------------------------------------------------------------------------------


async def start_draft(
    session: AsyncSession, school_id: int, author: Person, text: str, now: dt.datetime
) -> Notice:
    """Keeps what the author typed at once, so nothing is lost; a draft never leaves."""
    notice = await store.create_draft(session, school_id, author.id, text[:MAX_NOTICE_TEXT], now)
    return notice


async def own_draft(
    session: AsyncSession, school_id: int, notice_id: int, author: Person
) -> Notice | None:
    notice = await store.get(session, school_id, notice_id)
    if notice is None or notice.author_id != author.id or notice.status != store.DRAFT:
        return None
    return notice


def attach(notice: Notice, kind: str, file_id: str, media_path: str, filename: str = "") -> None:
    notice.attachment_kind, notice.file_id = kind, file_id
    notice.media_path, notice.filename = media_path, filename[:200]


def cancel_draft(notice: Notice) -> None:
    if notice.status == store.DRAFT:
        notice.status = store.CANCELLED


# --- what parents see ------------------------------------------------------------------------


def local_time(moment: dt.datetime, tz: dt.tzinfo) -> str:
    return moment.astimezone(tz).strftime("%m-%d %H:%M")


def reminder_time(
    deadline: dt.datetime, settings: NoticeSettings, now: dt.datetime
) -> dt.datetime | None:
    """When the one reminder goes out; None when there is none or it would come too soon."""
    if not settings.reminder_hours_before_deadline:
        return None
    at = deadline - dt.timedelta(hours=settings.reminder_hours_before_deadline)
    return at if at > now else None


def notice_messages(
    notice: Notice, lang: str, tz: dt.tzinfo, *, button: bool = True, for_group: bool = False
) -> list[OutMessage]:
    """The notice as one message; two when an attachment's caption would be too long."""
    assert notice.deadline_at is not None

    def say(key: str, **params: object) -> str:
        # Groups hold parents reading either language.
        return both(key, **params) if for_group else t(lang, key, **params)

    header = say("notice.header", id=notice.id)
    footer = say(
        "notice.footer.group" if for_group else "notice.footer",
        deadline=local_time(notice.deadline_at, tz),
    )
    body = f"{header}\n\n{notice.text}\n\n{footer}"
    buttons = (
        ((Button(t(lang, "notice.button.read"), confirm_callback(notice.id)),),) if button else ()
    )
    if not notice.attachment_kind:
        return [OutMessage(body, buttons=buttons)]
    kind: Literal["photo", "document"] = (
        "photo" if notice.attachment_kind == "photo" else "document"
    )
    if len(body) <= CAPTION_LIMIT:
        return [
            OutMessage(
                body,
                kind=kind,
                file_id=notice.file_id,
                media_path=notice.media_path,
                filename=notice.filename,
                buttons=buttons,
            )
        ]
    attachment = OutMessage(
        header,
        kind=kind,
        file_id=notice.file_id,
        media_path=notice.media_path,
        filename=notice.filename,
    )
    return [attachment, OutMessage(body, buttons=buttons)]


def confirmed_buttons(
    notice_id: int, lang: str, confirmed_at: dt.datetime, tz: dt.tzinfo
) -> tuple[tuple[Button, ...], ...]:
    """The button after a press: it shows the press was recorded (pressing again is harmless)."""
    text = t(lang, "notice.button.recorded", time=local_time(confirmed_at, tz))
    return ((Button(text, confirm_callback(notice_id)),),)


def preview_summary(
    notice: Notice,
    audience: Audience,
    summary: AudienceSummary,
    lang: str,
    tz: dt.tzinfo,
    settings: NoticeSettings,
    now: dt.datetime,
) -> str:
    """What the author checks before sending: who, how many can be reached, when."""
    assert notice.deadline_at is not None
    remind_at = reminder_time(notice.deadline_at, settings, now)
    reminder = (
        t(lang, "notice.preview.reminder", time=local_time(remind_at, tz))
        if remind_at is not None
        else t(lang, "notice.preview.no_reminder")
    )
    groups = "notice.preview.groups_yes" if notice.post_to_groups else "notice.preview.groups_no"
    return t(
        lang,
        "notice.preview",
        audience=describe_audience(audience, summary, lang),
        total=summary.total,
        reachable=summary.reachable,
        unreachable=summary.unreachable,
        deadline=local_time(notice.deadline_at, tz),
        reminder=reminder,
        groups=t(lang, groups),
    )


# --- confirming and broadcasting -------------------------------------------------------------


class SendOutcome(StrEnum):
    QUEUED = "queued"
    ALREADY = "already"  # a second press of the confirm button: nothing new is queued
    INCOMPLETE = "incomplete"
    DEADLINE_PASSED = "deadline_passed"
    NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    total: int = 0
    reachable: int = 0
    groups: int = 0


async def confirm_and_enqueue(
    session: AsyncSession,
    ctx: Context,
    settings: NoticeSettings,
    notice: Notice,
    author: Person,
    now: dt.datetime,
    *,
    progress_chat_id: int | None = None,
    progress_message_id: int | None = None,
) -> SendResult:
    """Freeze the audience and queue one message per reachable person, in this transaction."""
    if notice.status != store.DRAFT:
        return SendResult(SendOutcome.ALREADY)
    audience = Audience.from_json(notice.audience)
    if audience is None or notice.deadline_at is None or not notice.text:
        return SendResult(SendOutcome.INCOMPLETE)
    if notice.deadline_at <= now:
        return SendResult(SendOutcome.DEADLINE_PASSED)
    if not may_address(author, audience):
        return SendResult(SendOutcome.NOT_ALLOWED)
    members = await store.audience_members(session, ctx.school_id, audience)
    await store.add_recipients(session, notice.id, members)
    envelopes = []
    for member in members:
        if not member.reachable:
            continue
        assert member.tg_chat_id is not None
        messages = notice_messages(notice, member.language or ctx.school_language, ctx.tz)
        key = store.delivery_key(notice.id, member.person_id)
        # The message with the button carries the recipient's key; a separate file goes first.
        keys = [f"{key}:file"] * (len(messages) - 1) + [key]
        envelopes += [
            Envelope(
                key,
                member.tg_chat_id,
                message,
                now,
                expires_at=notice.deadline_at,
                person_id=member.person_id,
                priority=PRIORITY_BULK,
            )
            for key, message in zip(keys, messages, strict=True)
        ]
    groups = await _group_envelopes(session, ctx, notice, audience, now)
    reachable = sum(m.reachable for m in members)
    notice.status = store.SENDING
    notice.confirmed_at = now
    notice.progress_chat_id, notice.progress_message_id = progress_chat_id, progress_message_id
    notice.progress_shown = -1
    notice.remind_at = reminder_time(notice.deadline_at, settings, now)
    await outbox.enqueue(session, ctx.school_id, envelopes + groups, now)
    audit.record(
        session,
        ctx.school_id,
        author.id,
        "notice.send",
        now,
        notice_id=notice.id,
        audience=audience.to_json(),
        recipients=len(members),
        reachable=reachable,
        groups=len(groups),
    )
    await refresh_progress(session, ctx, notice, now)
    return SendResult(SendOutcome.QUEUED, len(members), reachable, len(groups))


async def _group_envelopes(
    session: AsyncSession, ctx: Context, notice: Notice, audience: Audience, now: dt.datetime
) -> list[Envelope]:
    if not notice.post_to_groups:
        return []
    envelopes = []
    for unit in await store.audience_classes(session, ctx.school_id, audience):
        group = await people.group_of_unit(session, unit.id)
        if group is None or group.unreachable:
            continue
        for index, message in enumerate(
            notice_messages(notice, ctx.school_language, ctx.tz, button=False, for_group=True)
        ):
            envelopes.append(
                Envelope(
                    f"notice:{notice.id}:group:{unit.id}:{index}",
                    group.tg_chat_id,
                    message,
                    now,
                    expires_at=notice.deadline_at,
                    priority=PRIORITY_BULK,
                )
            )
    return envelopes


# --- the author's progress line --------------------------------------------------------------


async def _author_language(session: AsyncSession, ctx: Context, notice: Notice) -> str:
    author = await session.get(Person, notice.author_id)
    return (author.language if author else None) or ctx.school_language


def progress_text(notice: Notice, counts: store.DeliveryCounts, lang: str, tz: dt.tzinfo) -> str:
    if counts.waiting:
        return t(
            lang,
            "notice.progress",
            id=notice.id,
            done=counts.done,
            total=counts.total,
            failed=counts.failed,
        )
    assert notice.deadline_at is not None
    return t(
        lang,
        "notice.progress.done",
        id=notice.id,
        sent=counts.sent,
        total=counts.total,
        failed=counts.failed,
        deadline=local_time(notice.deadline_at, tz),
    )


async def refresh_progress(
    session: AsyncSession, ctx: Context, notice: Notice, now: dt.datetime
) -> bool:
    """Queue an edit of the author's progress line if the count moved; True if one was queued.

    Edits are keyed by the count shown, so running this twice (a tick and the follower
    loop, or two processes) queues each edit once. The last one marks the broadcast sent.
    """
    if notice.status != store.SENDING:
        return False
    counts = await store.delivery_counts(session, ctx.school_id, notice.id)
    queued = False
    if notice.progress_message_id is not None and counts.done != notice.progress_shown:
        assert notice.progress_chat_id is not None
        lang = await _author_language(session, ctx, notice)
        edit = OutMessage(
            progress_text(notice, counts, lang, ctx.tz),
            edit_message_id=notice.progress_message_id,
        )
        queued = bool(
            await outbox.enqueue(
                session,
                ctx.school_id,
                [
                    Envelope(
                        f"notice:{notice.id}:progress:{counts.done}",
                        notice.progress_chat_id,
                        edit,
                        now,
                        person_id=notice.author_id,
                        priority=PRIORITY_ALERT,
                    )
                ],
                now,
            )
        )
        notice.progress_shown = counts.done
    if not counts.waiting:
        notice.status = store.SENT
        notice.sent_at = now
    return queued


async def follow_broadcast(
    sessions: SessionFactory,
    clock: Clock,
    ctx: Context,
    notice_id: int,
    wake: Callable[[], None],
    every_s: float,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """While a broadcast drains, refresh the author's progress line every few seconds.

    A convenience only: the tick job does the same more slowly, so after a restart the
    line still reaches "done".
    """
    idle = 0
    while idle * every_s < FOLLOW_IDLE_S:
        try:
            async with sessions.begin() as session:
                notice = await store.get(session, ctx.school_id, notice_id)
                if notice is None or notice.status != store.SENDING:
                    return
                queued = await refresh_progress(session, ctx, notice, clock.now())
        except Exception:  # the bot is shutting down, or the database is away: the tick resumes
            log.warning("progress of notice %s: giving up to the tick", notice_id, exc_info=True)
            return
        idle = 0 if queued else idle + 1
        if queued:
            wake()
        await sleep(every_s)


# --- 已阅知晓 ----------------------------------------------------------------------------------


class Press(StrEnum):
    RECORDED = "recorded"
    ALREADY = "already"
    NOT_RECIPIENT = "not_recipient"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PressResult:
    outcome: Press
    confirmed_at: dt.datetime | None = None


async def record_press(
    session: AsyncSession,
    school_id: int,
    notice_id: int,
    person: Person,
    now: dt.datetime,
    *,
    tg_chat_id: int | None = None,
    tg_message_id: int | None = None,
) -> PressResult:
    """Who pressed 已阅知晓 and when; the first press counts, later ones change nothing."""
    notice = await store.get(session, school_id, notice_id)
    if notice is None or notice.status in (store.DRAFT, store.CANCELLED):
        return PressResult(Press.UNKNOWN)
    first = await store.record_confirmation(
        session, notice_id, person.id, now, tg_chat_id, tg_message_id
    )
    recipient = await store.recipient(session, notice_id, person.id)
    if recipient is None:
        return PressResult(Press.NOT_RECIPIENT)
    if not first:
        return PressResult(Press.ALREADY, recipient.confirmed_at)
    session.add(
        Submission(
            school_id=school_id,
            person_id=person.id,
            kind="button",
            text="",
            data={"notice_id": notice_id, "late": now > (notice.deadline_at or now)},
            tg_chat_id=tg_chat_id,
            tg_message_id=tg_message_id,
            created_at=now,
        )
    )
    return PressResult(Press.RECORDED, now)


# --- the confirmation report -----------------------------------------------------------------


@dataclass
class ClassStatus:
    unit_id: int | None
    name: str
    total: int = 0
    confirmed: int = 0
    missing: list[str] = field(default_factory=list)  # reached, not confirmed
    unreachable: list[str] = field(default_factory=list)  # never started the bot, or blocked it

    @property
    def rate(self) -> int:
        return round(100 * self.confirmed / self.total) if self.total else 0


@dataclass
class NoticeReport:
    notice: Notice
    classes: list[ClassStatus]

    def only(self, unit_ids: set[int] | None) -> NoticeReport:
        if unit_ids is None:
            return self
        return NoticeReport(self.notice, [c for c in self.classes if c.unit_id in unit_ids])

    @property
    def total(self) -> int:
        return sum(c.total for c in self.classes)

    @property
    def confirmed(self) -> int:
        return sum(c.confirmed for c in self.classes)


async def build_report(session: AsyncSession, ctx: Context, notice: Notice) -> NoticeReport:
    statuses = await store.recipient_statuses(session, ctx.school_id, notice.id)
    unit_ids = {s.unit_id for s in statuses if s.unit_id is not None}
    units = (
        {u.id: u for u in await session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))}
        if unit_ids
        else {}
    )
    by_unit: dict[int | None, ClassStatus] = {}
    ordered = sorted(
        statuses,
        key=lambda s: (
            s.unit_id is None,
            units[s.unit_id].grade or 0 if s.unit_id in units else 0,
            units[s.unit_id].slug if s.unit_id in units else "",
        ),
    )
    for status in ordered:
        row = by_unit.get(status.unit_id)
        if row is None:
            unit = units.get(status.unit_id) if status.unit_id is not None else None
            name = unit.name if unit else t(ctx.school_language, "notice.report.no_class")
            row = by_unit[status.unit_id] = ClassStatus(status.unit_id, name)
        row.total += 1
        if status.confirmed_at is not None:
            row.confirmed += 1
        elif status.unreachable:
            row.unreachable.append(status.name)
        else:
            row.missing.append(status.name)
    return NoticeReport(notice, list(by_unit.values()))


def format_report(report: NoticeReport, lang: str, tz: dt.tzinfo) -> list[str]:
    """The report as messages of at most REPORT_CHUNK characters (a class is never split
    unless it alone is longer)."""
    notice = report.notice
    assert notice.deadline_at is not None
    title = notice.text.strip().splitlines()[0][:30] if notice.text.strip() else ""
    head = t(
        lang,
        "notice.report.head",
        id=notice.id,
        title=title,
        deadline=local_time(notice.deadline_at, tz),
        confirmed=report.confirmed,
        total=report.total,
        rate=round(100 * report.confirmed / report.total) if report.total else 0,
    )
    blocks = [head]
    for row in report.classes:
        lines = [
            t(
                lang,
                "notice.report.class",
                name=row.name,
                confirmed=row.confirmed,
                total=row.total,
                rate=row.rate,
            )
        ]
        if row.missing:
            lines.append(t(lang, "notice.report.missing", names="、".join(row.missing)))
        if row.unreachable:
            lines.append(t(lang, "notice.report.unreachable", names="、".join(row.unreachable)))
        blocks.append("\n".join(lines))
    if len(blocks) == 1:
        blocks.append(t(lang, "notice.report.empty"))
    return _chunks(blocks, REPORT_CHUNK)


def _chunks(blocks: list[str], limit: int) -> list[str]:
    chunks: list[str] = []
    current = ""
    for block in blocks:
        while len(block) > limit:  # one enormous class: cut it, it is still readable
            if current:
                chunks.append(current)
                current = ""
            chunks.append(block[:limit])
            block = block[limit:]
        if current and len(current) + 2 + len(block) > limit:
            chunks.append(current)
            current = ""
        current = f"{current}\n\n{block}" if current else block
    if current:
        chunks.append(current)
    return chunks


def report_scope(person: Person, notice: Notice) -> set[int] | None | bool:
    """None: the whole report (admins, the author); a set: those classes (head teachers);
    False: not allowed."""
    if people.has_role(person, "admin") or notice.author_id == person.id:
        return None
    own = people.unit_ids_with_role(person, "head_teacher")
    return own if own else False


# --- tick jobs: progress, the reminder, the deadline -----------------------------------------


async def advance_broadcasts(tc: TickContext) -> int:
    """The slow path of the progress line (the follower loop is the fast one)."""
    queued = 0
    for notice in await store.with_status(tc.session, tc.ctx.school_id, (store.SENDING,)):
        queued += await refresh_progress(tc.session, tc.ctx, notice, tc.now)
    return queued


async def send_reminders(tc: TickContext) -> int:
    """One reminder per unconfirmed, reached person, once per notice, at remind_at."""
    ctx, now = tc.ctx, tc.now
    envelopes: list[Envelope] = []
    for notice in await store.with_status(tc.session, ctx.school_id, store.LIVE):
        if notice.reminded_at is not None or notice.remind_at is None:
            continue
        assert notice.deadline_at is not None
        if not notice.remind_at <= now < notice.deadline_at:
            continue
        if notice.status == store.SENDING:
            continue  # still draining: a reminder must not overtake the notice itself
        for status in await store.recipient_statuses(tc.session, ctx.school_id, notice.id):
            if status.confirmed_at is not None or status.delivery != "sent":
                continue
            if status.blocked_since:
                continue  # a 403 since: the reminder would only meet it again
            assert status.tg_chat_id is not None
            lang = status.language or ctx.school_language
            message = OutMessage(
                t(
                    lang,
                    "notice.reminder",
                    id=notice.id,
                    title=notice.text.strip().splitlines()[0][:40],
                    deadline=local_time(notice.deadline_at, ctx.tz),
                ),
                buttons=((Button(t(lang, "notice.button.read"), confirm_callback(notice.id)),),),
            )
            envelopes.append(
                Envelope(
                    f"notice:{notice.id}:remind:{status.person_id}",
                    status.tg_chat_id,
                    message,
                    now,
                    expires_at=notice.deadline_at,
                    person_id=status.person_id,
                    priority=PRIORITY_BULK,
                )
            )
        notice.reminded_at = now
    return await outbox.enqueue(tc.session, ctx.school_id, envelopes, now)


async def close_at_deadline(tc: TickContext) -> int:
    """At the deadline: the author gets the whole report, each head teacher their class's."""
    ctx, now = tc.ctx, tc.now
    envelopes: list[Envelope] = []
    for notice in await store.with_status(tc.session, ctx.school_id, store.LIVE):
        assert notice.deadline_at is not None
        if notice.deadline_at > now:
            continue
        await refresh_progress(tc.session, ctx, notice, now)
        report = await build_report(tc.session, ctx, notice)
        envelopes += await _report_envelopes(tc.session, ctx, notice, report, now)
        notice.status = store.CLOSED
        notice.closed_at = now
    return await outbox.enqueue(tc.session, ctx.school_id, envelopes, now)


async def _report_envelopes(
    session: AsyncSession, ctx: Context, notice: Notice, report: NoticeReport, now: dt.datetime
) -> list[Envelope]:
    wanted: dict[int, set[int] | None] = {notice.author_id: None}
    for row in report.classes:
        if row.unit_id is None:
            continue
        for teacher in await people.people_with_role(
            session, ctx.school_id, "head_teacher", row.unit_id
        ):
            scope = wanted.setdefault(teacher.id, set())
            if scope is not None:
                scope.add(row.unit_id)
    persons = [p for p in [await session.get(Person, pid) for pid in wanted] if p is not None]
    envelopes = []
    for recipient in await privately(session, ctx, persons):
        assert recipient.person_id is not None
        scope = wanted[recipient.person_id]
        for part, text in enumerate(format_report(report.only(scope), recipient.language, ctx.tz)):
            envelopes.append(
                Envelope(
                    f"notice:{notice.id}:report:{recipient.person_id}:{part}",
                    recipient.tg_chat_id,
                    OutMessage(text),
                    now,
                    person_id=recipient.person_id,
                    priority=PRIORITY_ALERT,
                )
            )
    return envelopes


async def notices_overview(
    session: AsyncSession, ctx: Context, day: dt.date, lang: str
) -> str | None:
    """/today's lines: each notice still collecting confirmations, with its rate."""
    notices = await store.with_status(session, ctx.school_id, (store.SENDING, store.SENT))
    if not notices:
        return t(lang, "today.notices.none")
    lines = [t(lang, "today.notices.head", count=len(notices))]
    for notice in notices:
        report = await build_report(session, ctx, notice)
        deadline = local_time(notice.deadline_at, ctx.tz) if notice.deadline_at else "—"
        lines.append(
            t(
                lang,
                "today.notices.line",
                id=notice.id,
                title=notice.text[:20],
                confirmed=report.confirmed,
                total=report.total,
                deadline=deadline,
            )
        )
    return "\n".join(lines)


TICK_JOBS = [advance_broadcasts, send_reminders, close_at_deadline]
OVERVIEWS = [notices_overview]
