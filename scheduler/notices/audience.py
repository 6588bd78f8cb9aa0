"""Who a notice is for: the audience typed by the author (全校, 三年级, 3-2 …), who may
address it, and how many of its members the bot can reach."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from storage import notices as store
from storage import people
from storage.models import Person, Unit
from storage.notices import Audience

# --- the audience ----------------------------------------------------------------------------

_ZH_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_SCHOOL_WORDS = {"全校", "全体", "全校家长", "全体家长", "所有家长", "all", "school", "everyone"}
_STAFF_WORDS = {"教职工", "全体教职工", "老师", "全体教师", "教师", "staff", "teachers"}
_GRADE_RE = re.compile(r"年级|grades?", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s,，、;；]+")


@dataclass(frozen=True)
class AudienceParse:
    audience: Audience | None
    unknown: str = ""  # the part of the input that named no grade or class


def parse_audience(text: str, classes: Sequence[Unit]) -> AudienceParse:
    """全校 / 教职工 / 3年级, 三、四年级, grades 3 4 / 3-2 4-1, 三(2)班 — or what was not understood."""
    clean = text.strip().lower()
    if clean in _SCHOOL_WORDS:
        return AudienceParse(Audience("school"))
    if clean in _STAFF_WORDS:
        return AudienceParse(Audience("staff"))
    if _GRADE_RE.search(clean):
        grades = sorted(
            {int(c) if c.isdigit() else _ZH_DIGITS[c] for c in clean if c in "123456一二三四五六"}
        )
        known = {u.grade for u in classes}
        if grades and set(grades) <= known:
            return AudienceParse(Audience("grades", grades=tuple(grades)))
        return AudienceParse(None, text.strip()[:40])
    by_name = {people.normalize_unit_name(u.name): u for u in classes}
    by_slug = {u.slug.lower(): u for u in classes}
    chosen: list[int] = []
    for token in filter(None, _SEPARATORS.split(clean)):
        unit = by_slug.get(token) or by_name.get(people.normalize_unit_name(token))
        if unit is None:
            return AudienceParse(None, token[:40])
        if unit.id not in chosen:
            chosen.append(unit.id)
    if not chosen:
        return AudienceParse(None, text.strip()[:40])
    return AudienceParse(Audience("classes", unit_ids=tuple(chosen)))


def may_address(person: Person, audience: Audience) -> bool:
    """Admins (and the district's, bot/district.py) may write to anyone; a head teacher only
    to the parents of their own class."""
    if people.has_role(person, "admin", "district_admin"):
        return True
    own = people.unit_ids_with_role(person, "head_teacher")
    return audience.kind == "classes" and bool(audience.unit_ids) and set(audience.unit_ids) <= own


@dataclass(frozen=True)
class AudienceSummary:
    total: int
    reachable: int
    classes: tuple[str, ...]  # names of the classes covered (empty for staff)

    @property
    def unreachable(self) -> int:
        return self.total - self.reachable


async def summarize_audience(
    session: AsyncSession, school_id: int, audience: Audience
) -> AudienceSummary:
    members = await store.audience_members(session, school_id, audience)
    classes = await store.audience_classes(session, school_id, audience)
    return AudienceSummary(
        len(members), sum(m.reachable for m in members), tuple(u.name for u in classes)
    )


def describe_audience(audience: Audience, summary: AudienceSummary, lang: str) -> str:
    match audience.kind:
        case "school":
            return t(lang, "notice.audience.school")
        case "staff":
            return t(lang, "notice.audience.staff")
        case "grades":
            grades = "、".join(str(g) for g in audience.grades)
            return t(lang, "notice.audience.grades", grades=grades)
        case _:
            return t(lang, "notice.audience.classes", classes="、".join(summary.classes))
