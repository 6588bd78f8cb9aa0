"""Notices to parents (致家长的一封信, 一盔一带, 防溺水 …) that parents confirm with 已阅知晓.

The life of a notice: a draft is written step by step (nothing leaves); on confirmation its
audience is frozen into recipient rows and one outbox row per reachable person, all in one
transaction, so a crash either sends nothing or everything eventually; the outbox sender drains
it at Telegram's pace while the author's "sent / total" line is edited in place; one reminder
goes to the unconfirmed before the deadline; at the deadline the author and each head teacher
get the per-class confirmation rates and the names still missing.

The services are what the handlers, the bench and the tests call, as ``service.<name>`` from
this package: who a notice is for and who may address it (``audience``), the deadline typed by
the author (``deadline``), the draft (``drafts``), what parents see and the author's preview
(``messages``), confirming and queueing a notice and the author's progress line
(``broadcast``), the presses on a sent notice — 已阅知晓, a child's receipt, the 🔔 — (``presses``), the
confirmation report (``report``) and as the asker sees it (``views``); the author's
conversation, one transaction per step (``steps``); the buttons' callback data
(``buttons``); the tick jobs and the /today section that scheduler.registry collects are in
``ticks``, the constants and ``local_time`` in ``common``. The tables and queries are in
storage/notices.py.
"""

from __future__ import annotations

from scheduler.notices.audience import (
    AudienceParse,
    AudienceSummary,
    describe_audience,
    may_address,
    parse_audience,
    summarize_audience,
)
from scheduler.notices.broadcast import (
    SendOutcome,
    SendResult,
    confirm_and_enqueue,
    follow_broadcast,
    progress_text,
    refresh_progress,
)
from scheduler.notices.chase import (
    Chase,
    ChaseResult,
    low_confirmers,
    remind_missing,
    send_monthly_low_rates,
)
from scheduler.notices.common import (
    CAPTION_LIMIT,
    DOCUMENT_TYPES,
    FOLLOW_IDLE_S,
    MAX_NOTICE_TEXT,
    REPORT_CHUNK,
    local_time,
)
from scheduler.notices.deadline import DeadlineProblem, deadline_from_text
from scheduler.notices.drafts import attach, cancel_draft, own_draft, set_receipt, start_draft
from scheduler.notices.messages import (
    confirmed_buttons,
    notice_messages,
    preview_summary,
    reminder_time,
)
from scheduler.notices.presses import (
    Guardian,
    Press,
    PressResult,
    ReceiptAnswer,
    answer_receipt,
    chase_class,
    confirm_read,
    record_press,
)
from scheduler.notices.receipts import (
    MAX_REPLY_TEXT,
    Receipt,
    ReceiptResult,
    ReceiptSpec,
    check_can_sign,
    describe_receipt,
    parse_receipt,
    receipt_buttons,
    record_read,
    record_reply_text,
    record_signature,
)
from scheduler.notices.report import (
    ClassStatus,
    NoticeReport,
    build_report,
    format_report,
    report_scope,
)
from scheduler.notices.steps import (
    Ask,
    AudienceChoice,
    AudienceQuestion,
    DeadlineSet,
    DraftSent,
    Preview,
    Step,
    attach_file,
    audience_question,
    cancel,
    choose_audience,
    new_draft,
    preview,
    read_audience,
    send_draft,
    set_deadline,
    set_groups,
    set_receipt_spec,
)
from scheduler.notices.ticks import (
    OVERVIEWS,
    TICK_JOBS,
    advance_broadcasts,
    close_at_deadline,
    notices_overview,
    send_reminders,
)
from scheduler.notices.views import ReportView, View, chase_rows, report_view
from storage.notices import Audience  # what the author's conversation passes to its steps

__all__ = [
    "Ask",
    "Audience",
    "AudienceChoice",
    "AudienceQuestion",
    "DeadlineSet",
    "DraftSent",
    "Preview",
    "Guardian",
    "ReceiptAnswer",
    "ReportView",
    "Step",
    "View",
    "answer_receipt",
    "attach_file",
    "audience_question",
    "cancel",
    "chase_class",
    "chase_rows",
    "choose_audience",
    "confirm_read",
    "new_draft",
    "preview",
    "read_audience",
    "report_view",
    "send_draft",
    "set_deadline",
    "set_groups",
    "set_receipt_spec",
    "MAX_REPLY_TEXT",
    "Chase",
    "ChaseResult",
    "Receipt",
    "ReceiptResult",
    "ReceiptSpec",
    "check_can_sign",
    "describe_receipt",
    "low_confirmers",
    "parse_receipt",
    "receipt_buttons",
    "record_read",
    "record_reply_text",
    "record_signature",
    "remind_missing",
    "send_monthly_low_rates",
    "set_receipt",
    "CAPTION_LIMIT",
    "DOCUMENT_TYPES",
    "FOLLOW_IDLE_S",
    "MAX_NOTICE_TEXT",
    "OVERVIEWS",
    "REPORT_CHUNK",
    "TICK_JOBS",
    "AudienceParse",
    "AudienceSummary",
    "ClassStatus",
    "DeadlineProblem",
    "NoticeReport",
    "Press",
    "PressResult",
    "SendOutcome",
    "SendResult",
    "advance_broadcasts",
    "attach",
    "build_report",
    "cancel_draft",
    "close_at_deadline",
    "confirm_and_enqueue",
    "confirmed_buttons",
    "deadline_from_text",
    "describe_audience",
    "follow_broadcast",
    "format_report",
    "local_time",
    "may_address",
    "notice_messages",
    "notices_overview",
    "own_draft",
    "parse_audience",
    "preview_summary",
    "progress_text",
    "record_press",
    "refresh_progress",
    "reminder_time",
    "report_scope",
    "send_reminders",
    "start_draft",
    "summarize_audience",
]
