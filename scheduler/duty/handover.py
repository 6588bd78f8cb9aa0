"""The handover (交接班): at the end of a post's shifts the outgoing person ticks a checklist in
one message, adds a note and photos and submits; the incoming person confirms (接班确认).

The messages are in scheduler/duty/handover_text.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.messages import OutMessage
from bot.core.settings import Settings
from bot.core.text import clean_text
from scheduler.duty import notify
from scheduler.duty.handover_text import (
    View,
    checklist_message,
    confirm_request_message,
    details,
    hhmm,
    title,
)
from scheduler.routine import Context
from scheduler.rules import duty as rules
from storage import duty as store
from storage import submissions
from storage.db import insert_rows_ignore
from storage.models import Outbox, Person, Submission, Task
from storage.submissions import ReceivedFile

MAX_NOTE = 2000
PROMPT_KEY = "duty:ho"


class Outcome(StrEnum):
    OK = "ok"
    NOT_FOUND = "not_found"
    NOT_YOURS = "not_yours"
    CLOSED = "closed"  # already submitted: the checklist cannot change
    NEED_NOTE = "need_note"  # an item is not ticked and nothing says why
    ALREADY = "already"


@dataclass(frozen=True)
class Step:
    outcome: Outcome
    view: View | None = None


# --- opening (from the tick job) ---------------------------------------------------------


async def open_handover(
    session: AsyncSession,
    ctx: Context,
    settings: Settings,
    slot: rules.HandoverSlot,
    now: dt.datetime,
) -> store.Handover | None:
    """Create the handover of ``slot`` and send the checklist to the outgoing person, once.
    None when it exists already, nobody holds the post, or the person takes over from
    themselves."""
    if await store.handover_by_key(session, ctx.school_id, slot.key) is not None:
        return None
    outgoing = await _holder(session, ctx, slot.outgoing)
    if outgoing is None:
        return None
    incoming = await _holder(session, ctx, slot.incoming)
    if incoming is not None and incoming.id == outgoing.id:
        return None
    task = await _task(session, ctx, settings, slot, outgoing, now)
    row = {
        "school_id": ctx.school_id,
        "key": slot.key,
        "task_id": task.id,
        "day": slot.outgoing.day,
        "post": slot.outgoing.post,
        "to_post": slot.incoming.post,
        "outgoing_id": outgoing.id,
        "incoming_id": incoming.id if incoming else None,
        "ends_at": slot.outgoing.end,
        "status": "pending",
        "checks": [],
        "note": "",
        "created_at": now,
    }
    if await insert_rows_ignore(session, store.Handover, [row]) < 1:
        return None  # another process opened it first
    handover = await store.handover_by_key(session, ctx.school_id, slot.key)
    assert handover is not None
    view = View(handover, outgoing, incoming, 0)
    await notify.tell(
        session,
        ctx,
        [outgoing],
        f"{PROMPT_KEY}:{handover.id}",
        lambda lang: checklist_message(view, settings, lang),
        now,
        task_id=task.id,
    )
    return handover


async def _holder(session: AsyncSession, ctx: Context, slot: rules.PostSlot) -> Person | None:
    found = await store.holders(session, ctx.school_id, slot.day, slot.post)
    return found[0] if found else None


async def _task(
    session: AsyncSession,
    ctx: Context,
    settings: Settings,
    slot: rules.HandoverSlot,
    outgoing: Person,
    now: dt.datetime,
) -> Task:
    """The handover as a task of the duty routine, so the record book and /today see it."""
    key = f"duty:handover:{slot.key}"
    ends = slot.outgoing.end
    deadline = ends + dt.timedelta(minutes=settings.duty.handover_grace_minutes)
    row = {
        "school_id": ctx.school_id,
        "key": key,
        "routine": "duty",
        "kind": "handover",
        "day": ends.astimezone(ctx.tz).date(),
        "person_id": outgoing.id,
        "due_at": ends,
        "deadline_at": deadline,
        "escalate_at": deadline,
        "status": "sent",
        "theme": "",
        "payload": {"post": slot.outgoing.post, "to_post": slot.incoming.post},
        "created_at": now,
        "sent_at": now,
    }
    await insert_rows_ignore(session, Task, [row])
    task = await session.scalar(
        select(Task).where(Task.school_id == ctx.school_id, Task.key == key)
    )
    assert task is not None
    return task


# --- the outgoing person -----------------------------------------------------------------


async def toggle(
    session: AsyncSession,
    ctx: Context,
    settings: Settings,
    handover_id: int,
    person: Person,
    item: int,
) -> Step:
    handover, problem = await _outgoing_may_edit(session, ctx, handover_id, person)
    if handover is None:
        return problem
    items = settings.duty.checklist
    if not 0 <= item < len(items):
        return Step(Outcome.NOT_FOUND)
    checks = list(handover.checks)
    wanted = items[item].id
    handover.checks = [c for c in checks if c != wanted] if wanted in checks else [*checks, wanted]
    return Step(Outcome.OK, await view_of(session, handover))


async def check_editable(
    session: AsyncSession, ctx: Context, handover_id: int, person: Person
) -> Step:
    """Whether this person may still change this handover (before opening the note)."""
    handover, problem = await _outgoing_may_edit(session, ctx, handover_id, person)
    if handover is None:
        return problem
    return Step(Outcome.OK, await view_of(session, handover))


async def add_note(
    session: AsyncSession,
    ctx: Context,
    handover_id: int,
    person: Person,
    text: str,
    now: dt.datetime,
    *,
    photo: ReceivedFile | None = None,
    tg_chat_id: int | None = None,
    tg_message_id: int | None = None,
) -> Step:
    """A note, or a photo with ``text`` its caption (an empty caption adds nothing to the
    note)."""
    handover, problem = await _outgoing_may_edit(session, ctx, handover_id, person)
    if handover is None:
        return problem
    if photo is None or text:
        handover.note = _appended(handover.note, text)
    await submissions.add(
        session,
        ctx.school_id,
        person.id,
        "text" if photo is None else "photo",
        now,
        task_id=handover.task_id,
        text=text,
        data={"handover": handover.id},
        tg_chat_id=tg_chat_id,
        tg_message_id=tg_message_id,
        files=() if photo is None else [photo],
    )
    return Step(Outcome.OK, await view_of(session, handover))


async def submit(
    session: AsyncSession,
    ctx: Context,
    settings: Settings,
    handover_id: int,
    person: Person,
    now: dt.datetime,
) -> Step:
    """Close the checklist and ask the incoming person to confirm. An unticked item needs a
    note saying why, so the log never holds a silent gap."""
    handover, problem = await _outgoing_may_edit(session, ctx, handover_id, person)
    if handover is None:
        return problem
    unticked = [i for i in settings.duty.checklist if i.id not in handover.checks]
    if unticked and not handover.note.strip():
        return Step(Outcome.NEED_NOTE, await view_of(session, handover))
    handover.incoming_id = await _current_incoming(session, ctx, settings, handover)
    handover.status = "submitted"
    handover.submitted_at = now
    await _close_task(session, handover, person, now)
    session.add(
        Submission(
            school_id=ctx.school_id,
            task_id=handover.task_id,
            person_id=person.id,
            kind="button",
            text="",
            data={"handover": handover.id, "action": "submit", "checks": list(handover.checks)},
            created_at=now,
        )
    )
    view = await view_of(session, handover)
    if view.incoming is not None:
        await notify.tell(
            session,
            ctx,
            [view.incoming],
            f"duty:hc:{handover.id}",
            lambda lang: confirm_request_message(view, settings, lang),
            now,
            task_id=handover.task_id,
        )
    return Step(Outcome.OK, view)


async def _current_incoming(
    session: AsyncSession, ctx: Context, settings: Settings, handover: store.Handover
) -> int | None:
    """Who takes over by the roster as it is now (a swap may have changed it)."""
    outgoing = rules.post_slot(settings, handover.post, handover.day)
    slot = rules.handover_slot(settings, outgoing) if outgoing is not None else None
    if slot is None:
        return handover.incoming_id
    holder = await _holder(session, ctx, slot.incoming)
    if holder is None or holder.id == handover.outgoing_id:
        return None
    return holder.id


async def _close_task(
    session: AsyncSession, handover: store.Handover, person: Person, now: dt.datetime
) -> None:
    task = await session.get(Task, handover.task_id) if handover.task_id else None
    if task is None:
        return
    task.status = "done" if now <= task.deadline_at else "late"
    task.done_at = now
    task.done_by = person.id


async def _outgoing_may_edit(
    session: AsyncSession, ctx: Context, handover_id: int, person: Person
) -> tuple[store.Handover | None, Step]:
    handover = await store.handover_for_update(session, ctx.school_id, handover_id)
    if handover is None:
        return None, Step(Outcome.NOT_FOUND)
    if handover.outgoing_id != person.id:
        return None, Step(Outcome.NOT_YOURS)
    if handover.status != "pending":
        return None, Step(Outcome.CLOSED, await view_of(session, handover))
    return handover, Step(Outcome.OK)


def _appended(note: str, text: str) -> str:
    more = clean_text(text).strip()
    return "\n".join(part for part in (note.strip(), more) if part)[:MAX_NOTE]


# --- the incoming person -----------------------------------------------------------------


async def confirm(
    session: AsyncSession,
    ctx: Context,
    settings: Settings,
    handover_id: int,
    person: Person,
    now: dt.datetime,
) -> Step:
    handover = await store.handover_for_update(session, ctx.school_id, handover_id)
    if handover is None or handover.status == "pending":
        return Step(Outcome.NOT_FOUND)
    if handover.incoming_id != person.id:
        return Step(Outcome.NOT_YOURS)
    if handover.status == "confirmed":
        return Step(Outcome.ALREADY, await view_of(session, handover))
    handover.status = "confirmed"
    handover.confirmed_at = now
    session.add(
        Submission(
            school_id=ctx.school_id,
            task_id=handover.task_id,
            person_id=person.id,
            kind="button",
            text="",
            data={"handover": handover.id, "action": "confirm"},
            created_at=now,
        )
    )
    view = await view_of(session, handover)
    await notify.tell(
        session,
        ctx,
        [view.outgoing],
        f"duty:hk:{handover.id}",
        lambda lang: OutMessage(
            t(
                lang,
                "duty.handover.confirmed_to_outgoing",
                name=person.display_name,
                time=hhmm(now, settings),
            )
        ),
        now,
    )
    return Step(Outcome.OK, view)


# --- reading -----------------------------------------------------------------------------


async def view_of(session: AsyncSession, handover: store.Handover) -> View:
    outgoing = await session.get(Person, handover.outgoing_id)
    assert outgoing is not None
    incoming = await session.get(Person, handover.incoming_id) if handover.incoming_id else None
    photos = len(await store.handover_photos(session, handover))
    return View(handover, outgoing, incoming, photos)


async def prompt_message_id(
    session: AsyncSession, handover: store.Handover
) -> tuple[int, int] | None:
    """(chat, message id) of the checklist the outgoing person got, once it was sent."""
    row = await session.scalar(
        select(Outbox)
        .where(
            Outbox.school_id == handover.school_id,
            Outbox.key.startswith(f"{PROMPT_KEY}:{handover.id}:"),
            Outbox.sent_message_id.is_not(None),
        )
        .limit(1)
    )
    return (row.tg_chat_id, row.sent_message_id) if row and row.sent_message_id else None


async def handover_of_prompt(
    session: AsyncSession, school_id: int, tg_chat_id: int, message_id: int
) -> store.Handover | None:
    """The handover whose checklist is this message (a photo replying to it belongs to it)."""
    row = await session.scalar(
        select(Outbox).where(
            Outbox.school_id == school_id,
            Outbox.tg_chat_id == tg_chat_id,
            Outbox.sent_message_id == message_id,
            Outbox.key.startswith(f"{PROMPT_KEY}:"),
        )
    )
    if row is None:
        return None
    handover_id = int(row.key.split(":")[2])
    return await session.get(store.Handover, handover_id)


async def recent_text(
    session: AsyncSession, ctx: Context, settings: Settings, lang: str, limit: int = 6
) -> str:
    """The last handovers, newest first: who to whom, when, the checklist and the note."""
    rows = await store.recent_handovers(session, ctx.school_id, limit)
    if not rows:
        return t(lang, "duty.handover.none")
    blocks = [t(lang, "duty.handover.recent_title")]
    for handover in rows:
        view = await view_of(session, handover)
        blocks.append("\n".join([title(view, settings, lang), *details(view, settings, lang)]))
    return "\n\n".join(blocks)
