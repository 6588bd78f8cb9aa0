"""What the hazard modules share: the routine's name, who may do what, the outcomes, the
labels, and the deadline typed as people type dates."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.core.dates import ParseFailure, SchoolDays, parse_day
from bot.core.i18n import t
from bot.core.settings import HazardSettings
from scheduler.zero_report.common import SEVERITY_LABELS
from storage.hazards import Hazard
from storage.models import Person
from storage.people import has_role

ROUTINE = "hazards"
STAFF = ("admin", "duty_leader", "safety_officer", "teacher", "head_teacher", "guard", "staff")
OFFICERS = ("admin", "safety_officer")  # assign and verify (复查验收)
SIGNERS = ("admin",)  # the principal: signs the list (责任清单) and the final sign-off (审核)
DEFAULT_POLICY = HazardSettings()


class Outcome(StrEnum):
    DONE = "done"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    STALE = "stale"  # a button or command of an earlier step: nothing changes
    PAST_DEADLINE = "past_deadline"
    FAR_DEADLINE = "far_deadline"
    NO_OWNER = "no_owner"  # the name matches nobody on staff (or several people)
    NEED_PHOTO = "need_photo"


@dataclass(frozen=True)
class Result:
    """What a step did, with what the handler's reply names."""

    outcome: Outcome
    hazard_id: int = 0
    status: str = ""  # the hazard's status now (for STALE: why nothing changed)
    name: str = ""  # the owner, or whoever did the step already
    deadline: dt.date | None = None
    urgent: bool = False


def is_urgent(hazard: Hazard, policy: HazardSettings) -> bool:
    category = next((c for c in policy.categories if c.id == hazard.category), None)
    return hazard.severity == "urgent" or bool(category and category.urgent)


def category_label(category_id: str, lang: str, policy: HazardSettings) -> str:
    for category in policy.categories:
        if category.id == category_id:
            return category.zh if lang == "zh" else category.en
    return category_id or "—"


def severity_label(severity: str, lang: str) -> str:
    return t(lang, SEVERITY_LABELS.get(severity, "zero.sev.general"))


def status_label(status: str, lang: str) -> str:
    return t(lang, f"hazard.status.{status}")


def may(person: Person | None, roles: tuple[str, ...]) -> bool:
    return has_role(person, *roles)


def may_list(person: Person | None) -> bool:
    """Anyone on staff reads the hazards (parents do not)."""
    return may(person, STAFF)


# "3天内" / "一周内" are how deadlines are said; the date parser knows "3天后".
_WITHIN = re.compile(r"^(.+?(?:天|日|周|星期|个月))(?:之内|以内|内)$")


def parse_deadline(
    text: str, now: dt.datetime, tz: ZoneInfo, calendar: SchoolDays | None = None
) -> dt.date | ParseFailure:
    """A deadline typed as people type dates: 下周五, 3天内, 12月5日, 2026-12-05, and with the
    school's calendar 下个上学日, 期末前, 寒假前最后一个上学日."""
    words = text.strip()
    within = _WITHIN.match(words)
    if within:
        words = within.group(1) + "后"
    day = parse_day(words, now, tz=tz, calendar=calendar)
    if isinstance(day, ParseFailure) and words != text.strip():
        return ParseFailure(day.reason, text.strip(), day.detail, day.candidates)
    return day


def deadline_problem(deadline: dt.date, today: dt.date, policy: HazardSettings) -> Outcome | None:
    if deadline < today:
        return Outcome.PAST_DEADLINE
    if deadline > today + dt.timedelta(days=policy.max_deadline_days):
        return Outcome.FAR_DEADLINE
    return None
