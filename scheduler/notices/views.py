"""/notice <id>: the confirmation report as the asker may see it — the whole report (admins,
the author) or their own classes' (head teachers) — with a 🔔 per class still to ask and an
admin's 重发未确认的 N 条, read in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.core.i18n import t
from bot.core.messages import Button
from scheduler.delivery import ResendScope, resend_offer
from scheduler.notices.buttons import Rows, chase_data
from scheduler.notices.report import NoticeReport, build_report, format_report, report_scope
from scheduler.routine import Context
from storage import notices as store
from storage import people
from storage.db import SessionFactory
from storage.models import Person

MAX_CHASE_ROWS = 20


class View(StrEnum):
    SHOWN = "shown"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"  # neither an admin, the author nor a head teacher of a class in it
    NOT_SENT = "not_sent"  # still a draft (or cancelled)


@dataclass(frozen=True)
class ReportView:
    outcome: View
    chunks: tuple[str, ...] = ()  # the report's messages, each ≤ REPORT_CHUNK characters
    buttons: Rows = ()  # under the last one


def chase_rows(report: NoticeReport, lang: str) -> Rows:
    """🔔 per class with guardians still to ask, while the notice collects receipts."""
    if report.notice.status not in store.LIVE:
        return ()
    rows = [
        (
            Button(
                t(lang, "notice.button.chase", unit=row.name),
                chase_data(report.notice.id, row.unit_id),
            ),
        )
        for row in report.classes
        if row.unit_id is not None and row.missing
    ]
    return tuple(rows[:MAX_CHASE_ROWS])


async def report_view(
    sessions: SessionFactory,
    ctx: Context,
    notice_id: int,
    person: Person,
    lang: str,
    *,
    private: bool,
) -> ReportView:
    """Names stay private (Chengdu 2023: no lists of parents in parent groups): in a group
    (``private=False``) each class's rate and counts only, and no buttons."""
    resend: Button | None = None
    async with sessions() as session:
        notice = await store.get(session, ctx.school_id, notice_id)
        if notice is None:
            return ReportView(View.NOT_FOUND)
        scope = report_scope(person, notice)
        if scope is False:
            return ReportView(View.NOT_ALLOWED)
        if notice.status in store.UNSENT:
            return ReportView(View.NOT_SENT)
        only = scope if isinstance(scope, set) else None
        report = (await build_report(session, ctx, notice)).only(only)
        if people.has_role(person, "admin") and private:
            resend = await resend_offer(session, ctx, ResendScope.notice(notice_id), lang)
    if only is not None and not report.classes:
        return ReportView(View.NOT_ALLOWED)
    chunks = tuple(format_report(report, lang, ctx.tz, names=private))
    rows = chase_rows(report, lang) if private else ()
    if resend is not None:
        rows += ((resend,),)
    return ReportView(View.SHOWN, chunks, rows)
