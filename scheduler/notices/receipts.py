"""What a notice asks guardians to give back, and recording it per child.

Besides 已阅知晓 a notice may ask for a choice (up to five options the sender types: 同意 /
不同意, 留本地 / 出市 / 出省), a signature (the guardian types the child's name and their
relation, 妈妈 / 爸爸 …, checked against the child and recorded with the time) and an optional
short text. A guardian's receipt for a child is complete (``confirmed_at``) once the choice and
the signature it asks for are in; the text never holds it back.

Buttons carry the notice, the child (0: none) and the action (scheduler/notices/buttons.py:
``ReceiptPress``; ``ReadPress`` for 已阅知晓 with no child, as before children were linked).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.messages import Button
from scheduler.notices.buttons import ReceiptAction, receipt_data
from scheduler.notices.common import local_time
from storage import notices as store
from storage import pupils
from storage.models import Person, Submission
from storage.notices import Notice, NoticeRecipient

MAX_OPTIONS = 5
MAX_OPTION = 12
MAX_REPLY_TEXT = 200
SIGNATURE_WORDS = {"签字", "签名", "签字确认", "signature", "sign"}
TEXT_WORDS = {"说明", "留言", "文字", "补充说明", "text", "comment"}
PLAIN_WORDS = {"已阅", "已阅知晓", "知晓", "read", "ok"}
RELATIONS = {
    "妈妈", "爸爸", "母亲", "父亲", "爷爷", "奶奶", "外公", "外婆", "姥姥", "姥爷",
    "哥哥", "姐姐", "叔叔", "阿姨", "舅舅", "姑姑", "监护人", "家长",
    "mother", "father", "mum", "mom", "dad", "grandmother", "grandfather", "grandma",
    "grandpa", "guardian", "parent", "aunt", "uncle", "brother", "sister",
}  # fmt: skip
_SPLIT = re.compile(r"\s*[/／|｜、,，;；]\s*|\s+")


# --- the receipt the sender asks for -----------------------------------------------------------


@dataclass(frozen=True)
class ReceiptSpec:
    options: tuple[str, ...] = ()
    signature: bool = False
    text: bool = False

    def to_json(self) -> dict[str, Any]:
        if not (self.options or self.signature or self.text):
            return {}
        return {"options": list(self.options), "signature": self.signature, "text": self.text}

    @classmethod
    def of(cls, notice: Notice) -> ReceiptSpec:
        data = notice.receipt or {}
        return cls(
            tuple(data.get("options", ())), bool(data.get("signature")), bool(data.get("text"))
        )


@dataclass(frozen=True)
class SpecParse:
    spec: ReceiptSpec | None
    problem: str = ""  # a locale key
    params: dict[str, Any] | None = None


def parse_receipt(text: str) -> SpecParse:
    """同意/不同意 签字 说明 — options (≤ 5, each ≤ 12 characters), 签字, 说明; 已阅 alone
    is 已阅知晓 only."""
    options: list[str] = []
    signature = with_text = False
    for word in filter(None, _SPLIT.split(text.strip())):
        low = word.lower()
        if low in SIGNATURE_WORDS:
            signature = True
        elif low in TEXT_WORDS:
            with_text = True
        elif low in PLAIN_WORDS:
            continue
        elif len(word) > MAX_OPTION:
            return SpecParse(None, "notice.receipt.option_too_long", {"limit": MAX_OPTION})
        elif word not in options:
            options.append(word)
    if len(options) == 1:
        return SpecParse(None, "notice.receipt.one_option")
    if len(options) > MAX_OPTIONS:
        return SpecParse(None, "notice.receipt.too_many", {"limit": MAX_OPTIONS})
    return SpecParse(ReceiptSpec(tuple(options), signature, with_text))


def describe_receipt(spec: ReceiptSpec, lang: str) -> str:
    parts = []
    if spec.options:
        parts.append(t(lang, "notice.receipt.choice", options=" / ".join(spec.options)))
    if spec.signature:
        parts.append(t(lang, "notice.receipt.signature"))
    if spec.text:
        parts.append(t(lang, "notice.receipt.text"))
    return "；".join(parts) if parts else t(lang, "notice.receipt.read_only")


# --- the buttons -------------------------------------------------------------------------------


def receipt_buttons(
    notice: Notice,
    pupil_id: int | None,
    lang: str,
    tz: dt.tzinfo,
    row: NoticeRecipient | store.RecipientStatus | None = None,
) -> tuple[tuple[Button, ...], ...]:
    """A guardian's buttons for one child, showing what is already recorded."""
    spec = ReceiptSpec.of(notice)
    nid = notice.id
    if not spec.options and not spec.signature:
        confirmed = row.confirmed_at if row is not None else None
        if confirmed is not None:
            label = t(lang, "notice.button.recorded", time=local_time(confirmed, tz))
        else:
            label = t(lang, "notice.button.read")
        rows: list[tuple[Button, ...]] = [
            (Button(label, receipt_data(nid, pupil_id, ReceiptAction.READ)),)
        ]
    else:
        rows = []
        chosen = row.choice if row is not None else None
        if spec.options and chosen is None:
            buttons = [
                Button(option, receipt_data(nid, pupil_id, ReceiptAction.option(k)))
                for k, option in enumerate(spec.options)
            ]
            rows += [tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3)]
        elif spec.options and chosen is not None:
            label = t(lang, "notice.button.chosen", option=spec.options[chosen])
            rows.append((Button(label, receipt_data(nid, pupil_id, ReceiptAction.option(chosen))),))
        if spec.signature:
            signed = row.signed_at if row is not None else None
            label = (
                t(lang, "notice.button.signed", name=row.signed_name, relation=row.signed_relation)
                if signed is not None and row is not None
                else t(lang, "notice.button.sign")
            )
            rows.append((Button(label, receipt_data(nid, pupil_id, ReceiptAction.SIGN)),))
    if spec.text:
        given = row.reply_text if row is not None else None
        label = t(lang, "notice.button.text_given" if given else "notice.button.text")
        rows.append((Button(label, receipt_data(nid, pupil_id, ReceiptAction.TEXT)),))
    return tuple(rows)


# --- recording ---------------------------------------------------------------------------------


class Receipt(StrEnum):
    RECORDED = "recorded"  # this part is in (the receipt may now be complete)
    ALREADY = "already"  # this part was in before: nothing changed
    NOT_ASKED = "not_asked"  # the notice does not ask for it
    WRONG_NAME = "wrong_name"  # the signature names another child
    BAD_SIGNATURE = "bad_signature"  # no relation, or not "name relation"
    TOO_LONG = "too_long"
    EMPTY = "empty"
    NOT_RECIPIENT = "not_recipient"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ReceiptResult:
    outcome: Receipt
    row: NoticeRecipient | None = None
    notice: Notice | None = None
    completed: bool = False  # this answer completed the receipt
    child: str = ""


async def _row(
    session: AsyncSession, school_id: int, notice_id: int, person: Person, pupil_id: int | None
) -> tuple[Receipt | None, Notice | None, NoticeRecipient | None]:
    notice = await store.get(session, school_id, notice_id)
    if notice is None or notice.status in store.UNSENT:
        return Receipt.UNKNOWN, None, None
    row = await store.recipient(session, notice_id, person.id, pupil_id)
    if row is None:
        return Receipt.NOT_RECIPIENT, notice, None
    return None, notice, row


def _complete(spec: ReceiptSpec, row: NoticeRecipient) -> bool:
    return (not spec.options or row.choice is not None) and (
        not spec.signature or row.signed_at is not None
    )


def _finish(
    session: AsyncSession,
    school_id: int,
    notice: Notice,
    row: NoticeRecipient,
    now: dt.datetime,
    chat_id: int | None,
    message_id: int | None,
) -> bool:
    """Marks the receipt confirmed once complete; True if it just became so."""
    if row.confirmed_at is not None or not _complete(ReceiptSpec.of(notice), row):
        return False
    row.confirmed_at = now
    row.confirm_chat_id, row.confirm_message_id = chat_id, message_id
    add_confirmation(
        session, school_id, notice, row.person_id, row.pupil_id, now, chat_id, message_id
    )
    return True


def add_confirmation(
    session: AsyncSession,
    school_id: int,
    notice: Notice,
    person_id: int,
    pupil_id: int | None,
    now: dt.datetime,
    chat_id: int | None,
    message_id: int | None,
) -> None:
    """The submission a confirmed receipt leaves (late once the deadline has passed)."""
    session.add(
        Submission(
            school_id=school_id,
            person_id=person_id,
            kind="button",
            text="",
            data={
                "notice_id": notice.id,
                "pupil_id": pupil_id,
                "late": now > (notice.deadline_at or now),
            },
            tg_chat_id=chat_id,
            tg_message_id=message_id,
            created_at=now,
        )
    )


async def record_read(
    session: AsyncSession,
    school_id: int,
    notice_id: int,
    person: Person,
    pupil_id: int | None,
    now: dt.datetime,
    *,
    index: int | None = None,
    tg_chat_id: int | None = None,
    tg_message_id: int | None = None,
) -> ReceiptResult:
    """已阅知晓 for one child, or (``index``) one of the notice's options: the first press
    counts, later ones (any option) change nothing."""
    problem, notice, row = await _row(session, school_id, notice_id, person, pupil_id)
    if problem is not None or notice is None or row is None:
        return ReceiptResult(problem or Receipt.UNKNOWN)
    spec = ReceiptSpec.of(notice)
    if index is None:
        if spec.options or spec.signature:
            return ReceiptResult(Receipt.NOT_ASKED, row, notice)
        if row.confirmed_at is not None:
            return ReceiptResult(Receipt.ALREADY, row, notice)
    else:
        if not 0 <= index < len(spec.options):
            return ReceiptResult(Receipt.NOT_ASKED, row, notice)
        if row.choice is not None:
            return ReceiptResult(Receipt.ALREADY, row, notice)
        row.choice, row.choice_at = index, now
    done = _finish(session, school_id, notice, row, now, tg_chat_id, tg_message_id)
    return ReceiptResult(Receipt.RECORDED, row, notice, done)


def parse_signature(text: str) -> tuple[str, str] | None:
    """'王小明 妈妈', '王小明妈妈', '王小明，妈妈' → (name, relation); None without a relation."""
    clean = re.sub(r"[\s,，、:：;；/]+", " ", text.strip()).strip()
    words = clean.split(" ")
    if len(words) >= 2 and words[-1].lower() in RELATIONS:
        return "".join(words[:-1]), words[-1]
    joined = "".join(words)
    for relation in sorted(RELATIONS, key=len, reverse=True):
        if joined.endswith(relation) and len(joined) > len(relation):
            return joined[: -len(relation)], relation
    return None


async def check_can_sign(
    session: AsyncSession,
    school_id: int,
    notice_id: int,
    person: Person,
    pupil_id: int | None,
    part: str = "signature",
) -> ReceiptResult:
    """Before asking the guardian to type (``part``: signature | text): is it asked for this
    child, and is a signature still to give? RECORDED means: go on and ask."""
    problem, notice, row = await _row(session, school_id, notice_id, person, pupil_id)
    if problem is not None or notice is None or row is None:
        return ReceiptResult(problem or Receipt.UNKNOWN)
    spec = ReceiptSpec.of(notice)
    if not (spec.signature if part == "signature" else spec.text):
        return ReceiptResult(Receipt.NOT_ASKED, row, notice)
    if part == "signature" and row.signed_at is not None:
        return ReceiptResult(Receipt.ALREADY, row, notice)
    child = await _child_name(session, row)
    return ReceiptResult(Receipt.RECORDED, row, notice, child=child)


async def _child_name(session: AsyncSession, row: NoticeRecipient) -> str:
    if row.pupil_id is None:
        return ""
    pupil = await session.get(pupils.Pupil, row.pupil_id)
    return pupil.name if pupil is not None else ""


async def record_signature(
    session: AsyncSession,
    school_id: int,
    notice_id: int,
    person: Person,
    pupil_id: int | None,
    typed: str,
    now: dt.datetime,
    *,
    tg_chat_id: int | None = None,
    tg_message_id: int | None = None,
) -> ReceiptResult:
    """The guardian's typed "child's name + relation": the name must be the child's (spaces
    ignored); the relation is kept on the signature and, once, on the guardian link."""
    problem, notice, row = await _row(session, school_id, notice_id, person, pupil_id)
    if problem is not None or notice is None or row is None:
        return ReceiptResult(problem or Receipt.UNKNOWN)
    if not ReceiptSpec.of(notice).signature:
        return ReceiptResult(Receipt.NOT_ASKED, row, notice)
    if row.signed_at is not None:
        return ReceiptResult(Receipt.ALREADY, row, notice)
    child = await _child_name(session, row)
    parsed = parse_signature(typed[:60])
    if parsed is None:
        return ReceiptResult(Receipt.BAD_SIGNATURE, row, notice, child=child)
    name, relation = parsed
    expected = child or person.display_name
    if pupils.clean_name(name) != pupils.clean_name(expected):
        return ReceiptResult(Receipt.WRONG_NAME, row, notice, child=child)
    row.signed_name, row.signed_relation, row.signed_at = pupils.clean_name(name), relation, now
    if row.pupil_id is not None:
        link = await pupils.guardian_link(session, person.id, row.pupil_id)
        if link is not None and not link.relation:
            link.relation = relation[:16]
    done = _finish(session, school_id, notice, row, now, tg_chat_id, tg_message_id)
    return ReceiptResult(Receipt.RECORDED, row, notice, done, child=child)


async def record_reply_text(
    session: AsyncSession,
    school_id: int,
    notice_id: int,
    person: Person,
    pupil_id: int | None,
    typed: str,
    now: dt.datetime,
) -> ReceiptResult:
    """The optional short text; a second one replaces the first (it is a note, not a vote)."""
    problem, notice, row = await _row(session, school_id, notice_id, person, pupil_id)
    if problem is not None or notice is None or row is None:
        return ReceiptResult(problem or Receipt.UNKNOWN)
    if not ReceiptSpec.of(notice).text:
        return ReceiptResult(Receipt.NOT_ASKED, row, notice)
    text = typed.strip()
    if not text:
        return ReceiptResult(Receipt.EMPTY, row, notice)
    if len(text) > MAX_REPLY_TEXT:
        return ReceiptResult(Receipt.TOO_LONG, row, notice)
    row.reply_text = text
    return ReceiptResult(Receipt.RECORDED, row, notice)
