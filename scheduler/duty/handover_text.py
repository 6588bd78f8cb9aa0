"""What the handover's messages say: the outgoing person's checklist, the incoming person's
request to confirm, and the log lines of /handover.

Its buttons carry a ``HandoverPress`` (scheduler/duty/buttons.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.core.i18n import t
from bot.core.messages import Button, OutMessage
from bot.core.settings import ChecklistItemSettings, Settings
from scheduler.duty.buttons import HandoverPress, HandoverStep
from scheduler.duty.roster import post_label
from scheduler.rules import duty as rules
from storage import duty as store
from storage.models import Person


@dataclass(frozen=True)
class View:
    """A handover with the names and counts its messages show."""

    handover: store.Handover
    outgoing: Person
    incoming: Person | None
    photos: int


def checklist_message(view: View, settings: Settings, lang: str) -> OutMessage:
    """While pending: the checklist with a button per item; afterwards: what was handed over."""
    h = view.handover
    head = title(view, settings, lang)
    if h.status != "pending":
        return OutMessage("\n".join([head, *details(view, settings, lang)]))
    items = settings.duty.checklist
    ticks = [
        Button(
            f"{'☑' if item.id in h.checks else '☐'} {_item_label(item, lang)}",
            HandoverPress.tick(h.id, n).pack(),
        )
        for n, item in enumerate(items)
    ]
    rows = [tuple(ticks[i : i + 2]) for i in range(0, len(ticks), 2)]
    note = HandoverPress.of(h.id, HandoverStep.NOTE).pack()
    submit = HandoverPress.of(h.id, HandoverStep.SUBMIT).pack()
    rows.append(
        (Button(t(lang, "duty.button.note"), note), Button(t(lang, "duty.button.submit"), submit))
    )
    body = t(
        lang,
        "duty.handover.prompt",
        grace=settings.duty.handover_grace_minutes,
        note=h.note or "—",
        photos=view.photos,
    )
    return OutMessage(f"{head}\n{body}", buttons=tuple(rows))


def confirm_request_message(view: View, settings: Settings, lang: str) -> OutMessage:
    text = "\n".join(
        [
            t(lang, "duty.handover.confirm_title"),
            title(view, settings, lang),
            *details(view, settings, lang),
            t(lang, "duty.handover.confirm_ask", grace=settings.duty.confirm_grace_minutes),
        ]
    )
    confirm = HandoverPress.of(view.handover.id, HandoverStep.CONFIRM).pack()
    button = Button(t(lang, "duty.button.confirm"), confirm)
    return OutMessage(text, buttons=((button,),))


def confirmed_message(view: View, settings: Settings, lang: str) -> OutMessage:
    """The incoming person's request, once confirmed: what was received, without buttons."""
    lines = [t(lang, "duty.handover.confirm_title"), title(view, settings, lang)]
    return OutMessage("\n".join([*lines, *details(view, settings, lang)]))


def title(view: View, settings: Settings, lang: str) -> str:
    h = view.handover
    return t(
        lang,
        "duty.handover.title",
        post=_post_name(settings, h.post, lang),
        to_post=_post_name(settings, h.to_post, lang),
        time=h.ends_at.astimezone(settings.school.tz).strftime("%m-%d %H:%M"),
        outgoing=view.outgoing.display_name,
        incoming=view.incoming.display_name if view.incoming else t(lang, "duty.nobody"),
    )


def details(view: View, settings: Settings, lang: str) -> list[str]:
    h = view.handover
    lines = [
        " ".join(
            f"{'☑' if item.id in h.checks else '☐'}{_item_label(item, lang)}"
            for item in settings.duty.checklist
        ),
        t(lang, "duty.handover.note_line", note=h.note or "—", photos=view.photos),
    ]
    if h.submitted_at is not None:
        lines.append(t(lang, "duty.handover.submitted_at", time=hhmm(h.submitted_at, settings)))
    else:
        lines.append(t(lang, "duty.handover.not_submitted"))
    if h.confirmed_at is not None:
        lines.append(t(lang, "duty.handover.confirmed_at", time=hhmm(h.confirmed_at, settings)))
    elif h.submitted_at is not None and view.incoming is not None:
        lines.append(t(lang, "duty.handover.not_confirmed"))
    return lines


def _post_name(settings: Settings, slug: str, lang: str) -> str:
    post = rules.post_settings(settings.duty, slug)
    return post_label(post, lang) if post is not None else slug


def _item_label(item: ChecklistItemSettings, lang: str) -> str:
    return item.en if lang == "en" else item.zh


def hhmm(moment: dt.datetime, settings: Settings) -> str:
    return moment.astimezone(settings.school.tz).strftime("%H:%M")
