"""What parents see (the notice with its 已阅知晓 button, the button after a press), when the
reminder goes out, and the preview the author checks before sending."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from bot.i18n import t
from bot.settings import NoticeSettings
from scheduler.notices.audience import AudienceSummary, describe_audience
from scheduler.notices.common import CAPTION_LIMIT, confirm_callback, local_time
from storage.messages import Button, OutMessage
from storage.notices import Audience, Notice

# --- what parents see ------------------------------------------------------------------------


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
    """The notice as one message; two when an attachment's caption would be too long.
    ``lang`` is the reader's: for a class group, the school's language."""
    assert notice.deadline_at is not None
    header = t(lang, "notice.header", id=notice.id)
    footer = t(
        lang,
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
