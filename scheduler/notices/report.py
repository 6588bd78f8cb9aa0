"""The confirmation report: per class, how many confirmed and who is still missing, as
messages, and which part of it a person may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from scheduler.notices.common import REPORT_CHUNK, local_time
from scheduler.routine import Context
from storage import notices as store
from storage import people
from storage.models import Person, Unit
from storage.notices import Notice

# --- the confirmation report -----------------------------------------------------------------


@dataclass
class ClassStatus:
    """A class's receipts, counted per child: a class is 100% when every pupil has at least
    one guardian's complete receipt (a parent no child is linked to counts as one)."""

    unit_id: int | None
    name: str
    total: int = 0
    confirmed: int = 0
    missing: list[str] = field(default_factory=list)  # reached, not confirmed
    unreachable: list[str] = field(default_factory=list)  # never started the bot, or blocked it
    # sent, no answer from Telegram: it may or may not have arrived (held, never resent blindly)
    uncertain: list[str] = field(default_factory=list)
    chose: dict[int, list[str]] = field(default_factory=dict)  # option → children
    signed: int = 0
    texts: list[str] = field(default_factory=list)  # 王小明：…

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

    @property
    def uncertain(self) -> int:
        return sum(len(c.uncertain) for c in self.classes)


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
        store.by_child(statuses),
        key=lambda c: (
            c.unit_id is None,
            units[c.unit_id].grade or 0 if c.unit_id in units else 0,
            units[c.unit_id].slug if c.unit_id in units else "",
        ),
    )
    for child in ordered:
        row = by_unit.get(child.unit_id)
        if row is None:
            unit = units.get(child.unit_id) if child.unit_id is not None else None
            name = unit.name if unit else t(ctx.school_language, "notice.report.no_class")
            row = by_unit[child.unit_id] = ClassStatus(child.unit_id, name)
        row.total += 1
        match child.state:
            case "confirmed":
                row.confirmed += 1
                answer = child.confirmed
                assert answer is not None
                if answer.choice is not None:
                    row.chose.setdefault(answer.choice, []).append(child.name)
                if answer.signed_at is not None:
                    row.signed += 1
            case "unreachable":
                row.unreachable.append(child.label())
            case "uncertain":
                row.uncertain.append(child.label())
            case _:
                row.missing.append(child.label())
        for status in child.rows:
            if status.reply_text:
                row.texts.append(f"{child.name}：{status.reply_text}")
    return NoticeReport(notice, list(by_unit.values()))


def format_report(
    report: NoticeReport, lang: str, tz: dt.tzinfo, *, names: bool = True
) -> list[str]:
    """The report as messages of at most REPORT_CHUNK characters (a class is never split
    unless it alone is longer). ``names=False``: each class's rate and counts only, for a
    class group (names stay private to the head teacher and the sender)."""
    notice = report.notice
    assert notice.deadline_at is not None
    options = tuple((notice.receipt or {}).get("options", ()))
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
    if report.uncertain and names:
        head += "\n" + t(lang, "notice.report.uncertain_count", count=report.uncertain)
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
        if options:
            counts = " / ".join(
                f"{option} {len(row.chose.get(k, []))}" for k, option in enumerate(options)
            )
            lines.append(t(lang, "notice.report.options", counts=counts))
        if (notice.receipt or {}).get("signature"):
            lines.append(t(lang, "notice.report.signed", count=row.signed))
        if names:
            for k, option in enumerate(options):
                if row.chose.get(k):
                    lines.append(f"  {option}：" + "、".join(row.chose[k]))
            if row.missing:
                lines.append(t(lang, "notice.report.missing", names="、".join(row.missing)))
            if row.unreachable:
                lines.append(t(lang, "notice.report.unreachable", names="、".join(row.unreachable)))
            if row.uncertain:
                lines.append(t(lang, "notice.report.uncertain", names="、".join(row.uncertain)))
            if row.texts:
                lines.append(t(lang, "notice.report.texts", texts="；".join(row.texts)))
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
