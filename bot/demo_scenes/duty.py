"""The 24-hour duty scene: at 07:00 the principal sends today's roster as an .xlsx; people are
reminded before their shifts and gate duty; last night's duty teacher never hands over (→ one
alert to the leader on duty at 07:45); a guard records a patrol with a photo; at 17:30 the day
teacher hands over with a note and a photo and the night teacher confirms receipt."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from openpyxl import Workbook

from bot.demo_scenes.photos import scene_photo
from storage import duty as store

PHOTO_GATE = scene_photo("east gate locked at dusk")
PHOTO_PATROL = scene_photo("boiler room checked")
# post → who, on the demo day; last night's duty teacher is already on the roster.
TODAY = {
    "带班领导": "值班领导",
    "值班教师": "教师甲",
    "夜间值班": "教师乙",
    "值班保安": "保安甲",
    "护学岗": "保安乙、门卫",
}
LAST_NIGHT = "教师丙"


async def scene(school: Any, log: Callable[[str], None]) -> list[str]:
    day = school.settings.demo.date
    admin, leader = school.people["校长"], school.people["值班领导"]
    await _last_nights_roster(school, day - dt.timedelta(days=1))
    await school.send_document(admin, _roster_xlsx(day), "值班表.xlsx")
    log(f"{admin.name}: sent 值班表.xlsx → {_first_line(await _last(school, admin))}")

    await school.at(f"{day} 07:10")  # the gate-duty reminders for 07:20
    await school.at(f"{day} 07:30")  # last night's handover is asked for
    await school.at(f"{day} 07:45")  # … and not given: the leader on duty is alerted
    alerts = [m for m in await _texts(school, leader) if m.startswith("⚠️ 交接班未完成")]
    for alert in alerts:
        log(f"{leader.name} alerted: {alert[:60]}")

    await school.at(f"{day} 10:00")
    guard = school.people["保安甲"]
    await school.say(guard, "/patrol 锅炉房、配电室巡查，正常")
    await school.photo(guard, PHOTO_PATROL)
    await _press(school, guard, "巡查", "完成")
    log(f"{guard.name}: /patrol with a photo")

    await school.at(f"{day} 17:30")  # the day teacher's checklist
    await school.at(f"{day} 17:35")
    teacher, night = school.people["教师甲"], school.people["教师乙"]
    submitted = await _hand_over(school, teacher, "东门门锁已检查；下午有一位家长来访，已登记")
    log(f"{teacher.name}: handover submitted ({submitted})")
    await school.at(f"{day} 17:40")
    confirmed = await _press(school, night, "【接班确认】", "接班确认")
    log(f"{night.name}: 接班确认 ({confirmed})")
    await school.at(f"{day} 17:50")
    return [
        f"duty: roster imported from .xlsx ({len(TODAY)} posts); "
        f"{teacher.name} → {night.name} handover with a note and a photo, confirmed; "
        f"{LAST_NIGHT} missed the morning handover → {len(alerts)} alert to {leader.name}; "
        f"1 patrol by {guard.name}"
    ]


async def _last_nights_roster(school: Any, yesterday: dt.date) -> None:
    """The school ran yesterday too: its night duty teacher is on the roster already."""
    app = school.app
    person_id = school.people[LAST_NIGHT].person_id
    async with app.sessions.begin() as session:
        store.add_entries(
            session, app.school_id, [(yesterday, "night", person_id)], "import", None, app.now()
        )


def _roster_xlsx(day: dt.date) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["日期", "岗位", "姓名"])
    for post, names in TODAY.items():
        sheet.append([day, post, names])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def _hand_over(school: Any, person: Any, note: str) -> str:
    """Tick every item, add a note and a photo, submit; returns the pop-up answer."""
    checklist = await _with_buttons(school, person, "【交接班】")
    if checklist is None:
        return "no checklist"
    for _, data in _buttons(checklist):
        if data.split(":")[-1].startswith("c"):
            await school.press(person, person.chat_id, checklist["message_id"], data)
    await _press(school, person, "【交接班】", "备注")
    await school.say(person, note)
    await school.photo(person, PHOTO_GATE)
    return await _press(school, person, "【交接班】", "提交")


async def _press(school: Any, person: Any, needle: str, label: str) -> str:
    message = await _with_buttons(school, person, needle)
    if message is None:
        return "no message"
    data = next((d for text, d in _buttons(message) if label in text), None)
    if data is None:
        return "no button"
    query = school.world.press_button(person.user_id, person.chat_id, message["message_id"], data)
    await school.settle()
    return str((school.world.callbacks[query["id"]].answer or {}).get("text") or "ok")


async def _with_buttons(school: Any, person: Any, needle: str) -> dict[str, Any] | None:
    for message in reversed(await school.received(person.chat_id)):
        if needle in (message.get("text") or "") and message.get("reply_markup"):
            return dict(message)
    return None


def _buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


async def _texts(school: Any, person: Any) -> list[str]:
    return [m.get("text") or "" for m in await school.received(person.chat_id)]


async def _last(school: Any, person: Any) -> str:
    found = await _texts(school, person)
    return found[-1] if found else ""


def _first_line(text: str) -> str:
    return text.splitlines()[0][:60] if text else ""
