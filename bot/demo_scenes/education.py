"""The 1530 scene: prompts before each grade's dismissal; most classes confirm on time, some
with a photo, one late, one never (→ a reminder, then the duty leader's alert)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from bot.demo_scenes.photos import scene_photo

LATE, NEVER = "5-2", "6-4"


async def scene(school: Any, log: Callable[[str], None]) -> list[str]:
    day = school.settings.demo.date.isoformat()
    tz = school.settings.school.tz
    handled: set[str] = set()
    by_grade = sorted({c.grade for c in school.settings.classes})
    for grade in by_grade:
        dismissal = school.settings.dismissal(grade)
        prompt_at = dt.datetime.combine(dt.date.fromisoformat(day), dismissal, tz) - dt.timedelta(
            minutes=school.settings.education.minutes_before_dismissal
        )
        await school.at(f"{day} {prompt_at.strftime('%H:%M')}")
        await school.at(f"{day} {(prompt_at + dt.timedelta(minutes=5)).strftime('%H:%M')}")
        for cls in (c for c in school.settings.classes if c.grade == grade):
            if cls.slug in (LATE, NEVER):
                continue
            await _confirm(school, cls.slug, with_photo=cls.slug.endswith("-1"), log=log)
            handled.add(cls.slug)
    late_at = dt.datetime.combine(
        dt.date.fromisoformat(day), school.settings.dismissal(5), tz
    ) + dt.timedelta(minutes=school.settings.education.deadline_minutes_after_dismissal + 5)
    await school.at(f"{day} {late_at.strftime('%H:%M')}")
    await _confirm(school, LATE, with_photo=False, log=log)
    await school.at(f"{day} 17:45")
    return [
        f"1530: {len(handled)} classes confirmed on time ({len(by_grade)} grades with photos "
        f"from the -1 classes), {LATE} late, {NEVER} never → one reminder, one duty-leader alert"
    ]


async def _confirm(school: Any, slug: str, *, with_photo: bool, log: Callable[[str], None]) -> None:
    group = school.groups[slug]
    teacher = school.people[f"班主任{slug}"]
    prompts = [
        m
        for m in await school.received(group)
        if "1530" in (m.get("text") or "") and m.get("reply_markup")
    ]
    if not prompts:
        return
    for prompt in prompts:
        await school.press(teacher, group, prompt["message_id"], school.last_button(prompt, "edu:"))
    log(f"{teacher.name} confirmed 1530 in {slug}")
    if with_photo:
        await school.photo(teacher, scene_photo(f"1530 safety lesson, class {slug}"), chat=group)
        log(f"{teacher.name} sent a photo in {slug}")
