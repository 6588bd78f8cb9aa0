"""The daily-report scene: at 14:30 every class and department is asked; almost all answer
零报告, one head teacher reports an incident with a photo (the duty leader is alerted and marks
it handled), one class never answers (→ a reminder, the duty leader's alert), and at 17:30 the
principal gets the roll-up."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.demo_scenes.photos import scene_photo
from scheduler import zero_report as zr
from scheduler.routine import Context

PHOTO = scene_photo("playground: scraped knee")
INCIDENT_CLASS, NEVER = "4-2", "6-3"
DEPARTMENT_PEOPLE = {"canteen": "食堂员工", "general": "总务员工", "guard": "门卫"}
SUBMITTED_RE = re.compile(r"#(\d+)")


async def scene(school: Any, log: Callable[[str], None]) -> list[str]:
    day = school.settings.demo.date.isoformat()
    responsible = _responsible(school)
    await school.at(f"{day} 14:30")
    await school.at(f"{day} 14:35")
    for slug, person in responsible.items():
        if slug not in (INCIDENT_CLASS, NEVER) and await _press(school, person, ":zero"):
            log(f"{person.name}: 零报告 ({slug})")
    await school.at(f"{day} 14:50")
    incident_id = await _report_incident(school, responsible[INCIDENT_CLASS], log)
    await school.at(f"{day} 15:05")
    leader = school.people["值班领导"]
    if incident_id is not None:
        await school.say(leader, f"/incident {incident_id} done 已送医务室处理，已通知家长")
        log(f"{leader.name}: /incident {incident_id} done")
    await school.at(f"{day} 15:30")  # the reminder to the one class still missing
    await school.at(f"{day} 16:30")  # the duty leader's alert
    await school.at(f"{day} 17:30")  # the roll-up
    await school.at(f"{day} 17:35")
    return await _summary(school, incident_id)


def _responsible(school: Any) -> dict[str, Any]:
    found = {c.slug: school.people[f"班主任{c.slug}"] for c in school.settings.classes}
    for slug, name in DEPARTMENT_PEOPLE.items():
        if name in school.people:
            found[slug] = school.people[name]
    return found


async def _prompt(school: Any, person: Any) -> dict[str, Any] | None:
    for message in reversed(await school.received(person.chat_id)):
        if "今日安全情况报告" in (message.get("text") or "") and message.get("reply_markup"):
            return dict(message)
    return None


async def _press(
    school: Any, person: Any, suffix: str, message: dict[str, Any] | None = None
) -> bool:
    message = message or await _prompt(school, person)
    if message is None:
        return False
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            if button.get("callback_data", "").endswith(suffix):
                await school.press(
                    person, person.chat_id, message["message_id"], button["callback_data"]
                )
                return True
    return False


async def _last(school: Any, person: Any) -> dict[str, Any]:
    return dict((await school.received(person.chat_id))[-1])


async def _report_incident(school: Any, teacher: Any, log: Callable[[str], None]) -> int | None:
    if not await _press(school, teacher, ":inc"):
        return None
    await school.say(teacher, "课间两名学生在操场追逐，一人摔倒擦伤膝盖")
    await school.say(teacher, "操场东侧跑道")
    await _press(school, teacher, ":serious", await _last(school, teacher))
    await school.photo(teacher, PHOTO)
    await _press(school, teacher, ":done", await _last(school, teacher))
    await _press(school, teacher, ":send", await _last(school, teacher))
    found = SUBMITTED_RE.search((await _last(school, teacher)).get("text") or "")
    log(f"{teacher.name}: 有情况 ({INCIDENT_CLASS}, 较重, 1 photo)")
    return int(found.group(1)) if found else None


async def _summary(school: Any, incident_id: int | None) -> list[str]:
    app = school.app
    ctx = Context(app.school_id, app.settings.school.language, app.tz)
    report = await zr.day_grid(app.sessions, ctx, app.today())
    admin = school.people["校长"]
    rollups = [
        m for m in await school.received(admin.chat_id) if "日报告汇总" in (m.get("text") or "")
    ]
    missing = ", ".join(row.unit_name for row in report.missing) or "none"
    return [
        f"zero report: {report.reported}/{report.expected} units reported ({report.zero} zero, "
        f"{len(report.incidents)} incident #{incident_id} with a photo → duty leader alerted, "
        f"marked handled); never answered: {missing} → one reminder, one duty-leader alert; "
        f"roll-up to the principal at 17:30: {'yes' if rollups else 'no'}",
    ]
