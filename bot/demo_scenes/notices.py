"""The notice scene: at 09:00 the principal writes a winter-safety letter to every parent
(/notice: text, whole school, deadline today 18:30, class groups too) and confirms the preview;
the broadcast goes out at Telegram's pace; parents press 已阅知晓 through the day while the
principal checks /notice N; at the deadline the principal and every head teacher get the
per-class rates and the names still missing."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from scheduler.notices.buttons import ReadPress

LETTER = (
    "致家长的一封信：冬季安全\n"
    "天气转冷，请家长提醒孩子：不在冰面上行走玩耍；取暖用电用气注意安全，防一氧化碳中毒；"
    "上下学乘车系好安全带，骑电动车戴头盔（一盔一带）。"
)
NOTICE_RE = re.compile(r"通知 #(\d+)")
# Who confirms when: the first parent of each class in the morning, the second by lunch;
# the third parents of the odd classes stay silent and end up on their head teacher's list.
WAVES = (("09:30", 1), ("12:10", 2), ("16:40", 3))


async def scene(school: Any, log: Callable[[str], None]) -> list[str]:
    day = school.settings.demo.date.isoformat()
    principal = school.people["校长"]
    await school.at(f"{day} 09:00")
    notice_id = await _write_notice(school, principal, log)
    if notice_id is None:
        return ["notices: the principal's notice was not sent (see the log above)"]
    parents = _parents(school)
    confirmed = 0
    for at, wave in WAVES:
        await school.at(f"{day} {at}")
        pressed = 0
        for slug, person in parents.get(wave, []):
            if wave == 3 and int(slug[-1]) % 2 == 1:
                continue
            pressed += await _press_read(school, person, notice_id)
        confirmed += pressed
        log(f"{pressed} parents pressed 已阅知晓 ({confirmed}/{_total(parents)} confirmed)")
        if wave == 2:
            await school.say(principal, f"/notice {notice_id}")
            log(f"{principal.name}: /notice {notice_id} — the per-class status so far")
    await school.at(f"{day} 18:30")  # the deadline: reports to the principal and head teachers
    await school.at(f"{day} 18:35")
    reports = 0
    for cls in school.settings.classes:
        teacher = school.people[f"班主任{cls.slug}"]
        reports += _has_report(await school.received(teacher.chat_id), notice_id)
    total = _total(parents)
    return [
        f"notices: #{notice_id} to {total} parents (and the class groups) at Telegram's pace; "
        f"{confirmed}/{total} pressed 已阅知晓; at 18:30 the principal and {reports} head "
        "teachers got the per-class rates and the names still missing"
    ]


async def _write_notice(school: Any, principal: Any, log: Callable[[str], None]) -> int | None:
    await school.say(principal, "/notice")
    await school.say(principal, LETTER)
    await school.say(principal, "跳过")
    await school.say(principal, "全校")
    await school.say(principal, "今天18:30")
    question = (await school.received(principal.chat_id))[-1]
    await school.press(
        principal, principal.chat_id, question["message_id"], _button(question, ":grp:1")
    )
    preview = (await school.received(principal.chat_id))[-1]
    data = _button(preview, ":send")
    if not data:
        log(f"{principal.name}: no preview to confirm")
        return None
    log(f"{principal.name}: /notice → 全校家长, deadline 18:30, class groups too → 确认发送")
    await school.press(principal, principal.chat_id, preview["message_id"], data)
    found = NOTICE_RE.search((await school.received(principal.chat_id))[-1].get("text") or "")
    return int(found.group(1)) if found else int(data.split(":")[1])


def _parents(school: Any) -> dict[int, list[tuple[str, Any]]]:
    """Wave (1, 2, 3 — the parent's number in the class) → [(class slug, parent)]."""
    waves: dict[int, list[tuple[str, Any]]] = {}
    for cls in school.settings.classes:
        for n in range(1, school.settings.demo.parents_per_class + 1):
            person = school.people.get(f"家长{cls.slug}-{n}")
            if person is not None:
                waves.setdefault(min(n, 3), []).append((cls.slug, person))
    return waves


def _total(parents: dict[int, list[tuple[str, Any]]]) -> int:
    return sum(len(v) for v in parents.values())


async def _press_read(school: Any, parent: Any, notice_id: int) -> int:
    wanted = ReadPress(notice_id).pack()
    for message in await school.received(parent.chat_id):
        if _button(message, wanted):
            await school.press(parent, parent.chat_id, message["message_id"], wanted)
            return 1
    return 0


def _has_report(messages: list[dict[str, Any]], notice_id: int) -> bool:
    return any(
        f"通知 #{notice_id}" in (m.get("text") or "") and "确认情况" in (m.get("text") or "")
        for m in messages
    )


def _button(message: dict[str, Any], suffix: str) -> str:
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            data = str(button.get("callback_data", ""))
            if data.endswith(suffix):
                return data
    return ""
