"""The notices' buttons: typed callback data (packed by bot/core/callbacks.py) and the rows
built from it.

Four families, each with a readable prefix; the prefix a button carried before the codec is
kept in ``legacy`` (or read by a small ``unpack``), so a button already sent to a chat keeps
working, and every old layout is kept field for field:

- ``DraftPress`` — the author's draft steps: ``ndraft:<notice>:skip|send|cancel|rcpt`` and
  ``ndraft:<notice>:aud:school|staff`` / ``ndraft:<notice>:grp:1|0`` (before: ``nd:…``);
- ``ReadPress`` — 已阅知晓 on a notice sent to a parent no child is linked to (or before
  children were linked): ``nread:<notice>:ok`` (before: ``n:<notice>:ok``);
- ``ReceiptPress`` — a guardian's receipt for one child: ``nreceipt:<notice>:<pupil>:ok|o0…o4|sg|tx``
  (pupil 0: none; before: ``n:<notice>:<pupil>:…``);
- ``ChasePress`` — the head teacher's 🔔 for a class: ``nchase:<notice>:<unit>`` (before: ``nm:…``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Self

from bot.core.callbacks import CallbackData, text
from bot.core.i18n import t
from bot.core.messages import Button

Rows = tuple[tuple[Button, ...], ...]


# --- the author's draft ----------------------------------------------------------------------


class DraftAction(StrEnum):
    SKIP = "skip"  # no attachment
    AUDIENCE = "aud"  # arg: school | staff
    GROUPS = "grp"  # arg: 1 (post to the class groups too) | 0
    SEND = "send"
    CANCEL = "cancel"
    RECEIPT = "rcpt"  # choose what parents give back


@dataclass(frozen=True)
class DraftPress(CallbackData, prefix="ndraft", legacy=("nd",)):
    """A draft step's button. ``arg`` is empty for most actions, and then it is left out of
    the data, as the old ``nd:<id>:skip`` did: ``pack`` drops an empty last field and
    ``unpack`` reads one field short as an empty ``arg``."""

    notice_id: int
    action: DraftAction
    arg: str = field(default="", metadata=text(6))

    def pack(self) -> str:
        packed = super().pack()
        return packed[:-1] if not self.arg else packed

    @classmethod
    def unpack(cls, data: str | None) -> Self | None:
        if data is not None and data.count(":") == 2:
            data += ":"
        return super().unpack(data)


def _draft(label: str, notice_id: int, action: DraftAction, arg: str = "") -> Button:
    return Button(label, DraftPress(notice_id, action, arg).pack())


def skip_rows(notice_id: int, lang: str) -> Rows:
    return ((_draft(t(lang, "notice.button.skip"), notice_id, DraftAction.SKIP),),)


def audience_rows(notice_id: int, lang: str) -> Rows:
    return (
        (
            _draft(t(lang, "notice.button.school"), notice_id, DraftAction.AUDIENCE, "school"),
            _draft(t(lang, "notice.button.staff"), notice_id, DraftAction.AUDIENCE, "staff"),
        ),
    )


def groups_rows(notice_id: int, lang: str) -> Rows:
    return (
        (
            _draft(t(lang, "notice.button.groups_yes"), notice_id, DraftAction.GROUPS, "1"),
            _draft(t(lang, "notice.button.groups_no"), notice_id, DraftAction.GROUPS, "0"),
        ),
    )


def preview_rows(notice_id: int, lang: str, *, receipt: bool) -> Rows:
    """确认发送 and 取消; and 回执 (what parents give back) unless the notice is for staff."""
    rows: Rows = (
        (
            _draft(t(lang, "notice.button.send"), notice_id, DraftAction.SEND),
            _draft(t(lang, "notice.button.cancel"), notice_id, DraftAction.CANCEL),
        ),
    )
    if receipt:
        rows += ((_draft(t(lang, "notice.button.receipt"), notice_id, DraftAction.RECEIPT),),)
    return rows


# --- a parent's receipt ------------------------------------------------------------------------


class ReadAction(StrEnum):
    OK = "ok"


@dataclass(frozen=True)
class ReadPress(CallbackData, prefix="nread"):
    """已阅知晓 with no child named.

    Before the codec this was ``n:<notice>:ok``, and ``n:<notice>:<pupil>:<action>`` was the
    per-child receipt: one prefix, two layouts. A legacy prefix belongs to one family only, and
    the codec checks the number of fields, so ``n`` is ``ReceiptPress``'s legacy prefix (the
    layout sent to every linked child) and this family reads its one-field layout ``n:<id>:ok``
    itself, below: each button already sent unpacks to exactly one family."""

    notice_id: int
    action: ReadAction = ReadAction.OK

    @classmethod
    def unpack(cls, data: str | None) -> Self | None:
        if data is not None and data.startswith("n:") and data.count(":") == 2:
            data = cls.prefix + data[1:]
        return super().unpack(data)


class ReceiptAction(StrEnum):
    READ = "ok"
    OPTION_0 = "o0"
    OPTION_1 = "o1"
    OPTION_2 = "o2"
    OPTION_3 = "o3"
    OPTION_4 = "o4"
    SIGN = "sg"
    TEXT = "tx"

    @classmethod
    def option(cls, index: int) -> ReceiptAction:
        return cls(f"o{index}")

    @property
    def option_index(self) -> int | None:
        return int(self.value[1:]) if self.value.startswith("o") else None


@dataclass(frozen=True)
class ReceiptPress(CallbackData, prefix="nreceipt", legacy=("n",)):
    notice_id: int
    pupil: int  # 0: no child
    action: ReceiptAction

    @property
    def pupil_id(self) -> int | None:
        return self.pupil or None


def receipt_data(notice_id: int, pupil_id: int | None, action: ReceiptAction) -> str:
    if pupil_id is None and action is ReceiptAction.READ:
        return ReadPress(notice_id).pack()  # as before children were linked
    return ReceiptPress(notice_id, pupil_id or 0, action).pack()


def confirm_data(notice_id: int) -> str:
    """已阅知晓 on a notice with no child named."""
    return ReadPress(notice_id).pack()


# --- the head teacher's 🔔 -------------------------------------------------------------------


@dataclass(frozen=True)
class ChasePress(CallbackData, prefix="nchase", legacy=("nm",)):
    notice_id: int
    unit_id: int


def chase_data(notice_id: int, unit_id: int) -> str:
    return ChasePress(notice_id, unit_id).pack()
