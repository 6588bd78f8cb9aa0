"""What parents see (the notice with its 已阅知晓 button, the button after a press), when the
reminder goes out, and the preview the author checks before sending."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from bot.core.i18n import t
from bot.core.messages import Button, OutMessage
from bot.core.settings import NoticeSettings
from scheduler.notices.audience import AudienceSummary, describe_audience
from scheduler.notices.buttons import confirm_data
from scheduler.notices.common import CAPTION_LIMIT, local_time
from scheduler.notices.receipts import ReceiptSpec, describe_receipt, receipt_buttons
from storage.notices import Audience, Notice

# --- what parents see ------------------------------------------------------------------------


# The reminder is dropped, not moved, when it would come less than this after the notice:
# parents would be asked to confirm what they got minutes ago, and moving it later (halfway
# to the deadline, say) would put it in the night as often as not, since the school's
# reminder time is a fixed distance before the deadline.
MIN_REMINDER_GAP = dt.timedelta(hours=2)
# The preview says by when to send once that moment is this close.
SEND_BY_WARNING = dt.timedelta(hours=1)


def planned_reminder(deadline: dt.datetime, settings: NoticeSettings) -> dt.datetime | None:
    """The school's reminder time for this deadline, however soon; None when it has none."""
    if not settings.reminder_hours_before_deadline:
        return None
    return deadline - dt.timedelta(hours=settings.reminder_hours_before_deadline)


def reminder_time(
    deadline: dt.datetime, settings: NoticeSettings, now: dt.datetime
) -> dt.datetime | None:
    """When the one reminder of a notice sent at ``now`` goes out; None when there is none
    or it would come too soon after the notice (MIN_REMINDER_GAP)."""
    at = planned_reminder(deadline, settings)
    return at if at is not None and at >= now + MIN_REMINDER_GAP else None


def _reminder_line(
    deadline: dt.datetime, settings: NoticeSettings, now: dt.datetime, lang: str, tz: dt.tzinfo
) -> str:
    planned = planned_reminder(deadline, settings)
    if planned is None:
        return t(lang, "notice.preview.reminder_off")
    if reminder_time(deadline, settings, now) is None:
        return t(
            lang,
            "notice.preview.reminder_too_soon",
            time=local_time(planned, tz),
            gap=int(MIN_REMINDER_GAP.total_seconds() // 3600),
        )
    line = t(lang, "notice.preview.reminder", time=local_time(planned, tz))
    send_by = planned - MIN_REMINDER_GAP
    if send_by - now < SEND_BY_WARNING:
        line += t(lang, "notice.preview.reminder_send_by", time=local_time(send_by, tz))
    return line


def notice_messages(
    notice: Notice,
    lang: str,
    tz: dt.tzinfo,
    *,
    button: bool = True,
    for_group: bool = False,
    pupil_id: int | None = None,
    child: str = "",
    class_name: str = "",
) -> list[OutMessage]:
    """The notice as one message; two when an attachment's caption would be too long.
    ``lang`` is the reader's: for a class group, the school's language. A guardian's copy
    names the child it is about (a parent of two gets one copy per child)."""
    assert notice.deadline_at is not None
    header = t(lang, "notice.header", id=notice.id)
    if child:
        header += "\n" + t(lang, "notice.about_child", child=child, unit=class_name)
    spec = ReceiptSpec.of(notice)
    asks = bool(spec.options or spec.signature)  # not only 已阅知晓
    footer = t(
        lang,
        "notice.footer.group"
        if for_group
        else ("notice.footer.receipt" if asks else "notice.footer"),
        deadline=local_time(notice.deadline_at, tz),
    )
    body = f"{header}\n\n{notice.text}\n\n{footer}"
    buttons = receipt_buttons(notice, pupil_id, lang, tz) if button else ()
    if button and not for_group:
        asked = describe_receipt(spec, lang) if notice.receipt else ""
        if asked:
            footer += "\n" + t(lang, "notice.receipt.asked", what=asked)
        body = f"{header}\n\n{notice.text}\n\n{footer}"
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
    return ((Button(text, confirm_data(notice_id)),),)


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
    reminder = _reminder_line(notice.deadline_at, settings, now, lang, tz)
    groups = "notice.preview.groups_yes" if notice.post_to_groups else "notice.preview.groups_no"
    receipt = t(lang, "notice.preview.receipt", what=describe_receipt(ReceiptSpec.of(notice), lang))
    return t(
        lang,
        "notice.preview",
        audience=describe_audience(audience, summary, lang),
        total=summary.total,
        reachable=summary.reachable,
        unreachable=summary.unreachable,
        deadline=local_time(notice.deadline_at, tz),
        reminder=f"{reminder}\n{receipt}",
        groups=t(lang, groups),
    )
