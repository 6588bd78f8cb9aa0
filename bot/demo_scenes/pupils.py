"""The pupils scene: at 10:00 the first class's head teacher sends each of four children's
parents the child's own invite (one child has two parents); at 10:30 a spring-outing consent
to the class that asks 同意 / 不同意 and a signature; three children are answered (one by the
father of the child with two parents, so his mother is not chased); at 15:00 the head teacher
reads who is missing, privately, and presses 🔔 once: one reminder reaches just that child's
parent; the class group only ever sees the rate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CHILDREN = (("王小明", ("王妈妈",)), ("李小红", ("李妈妈", "李爸爸")), ("赵小刚", ("赵妈妈",)))
SILENT = ("孙小美", ("孙爸爸",))
OUTING = "春游告知书：下周三组织学生到植物园春游，请家长选择是否同意孩子参加，并签字确认。"


async def scene(school: Any, log: Callable[[str], None]) -> list[str]:
    day = school.settings.demo.date.isoformat()
    cls = school.settings.classes[0]
    teacher = school.people[f"班主任{cls.slug}"]
    await school.at(f"{day} 10:00")
    parents: dict[str, list[Any]] = {}
    for child, names in (*CHILDREN, SILENT):
        for name in names:
            token = await school.invite(teacher, "parent", f"{cls.slug} {child}")
            person = school.user(name)
            await school.say(person, f"/start {token}")
            parents.setdefault(child, []).append(person)
    log(f"{teacher.name}: a child's own invite for {len(parents)} children's parents")

    await school.at(f"{day} 10:30")
    notice_id = await _write(school, teacher)
    if notice_id is None:
        return ["pupils: the head teacher's consent notice was not sent"]
    log(f"{teacher.name}: /notice #{notice_id} 同意/不同意 + 签字 to {cls.name}")

    await school.at(f"{day} 12:00")
    answered = 0
    for (child, _), option in zip(CHILDREN, ("同意", "同意", "不同意"), strict=True):
        person = parents[child][-1]  # 李小红: her father answers
        relation = "爸爸" if "爸" in person.name else "妈妈"
        answered += await _answer(school, person, child, option, relation)
    log(f"{answered} children answered with a choice and a signature")

    await school.at(f"{day} 15:00")
    await school.say(teacher, f"/notice {notice_id}")
    report = (await school.received(teacher.chat_id))[-1]
    chase = _button(report, "🔔")
    reminded = 0
    if chase:
        await school.press(teacher, teacher.chat_id, report["message_id"], chase)
        for parent in parents[SILENT[0]]:
            received = await school.received(parent.chat_id)
            reminded += sum("⏰" in (m.get("text") or "") for m in received)
    log(f"{teacher.name}: /notice {notice_id} privately, 🔔 → {reminded} reminder(s)")
    return [
        f"pupils: {cls.name}'s consent #{notice_id} per child (同意/不同意 + 签字): "
        f"{answered}/4 children answered; the head teacher's private list named "
        f"{SILENT[0]} and 🔔 reminded just that child's parent ({reminded})"
    ]


async def _write(school: Any, teacher: Any) -> int | None:
    await school.say(teacher, "/notice")
    await school.say(teacher, OUTING)
    await school.say(teacher, "跳过")  # a head teacher of one class writes to it
    await school.say(teacher, "今天17:00")
    question = (await school.received(teacher.chat_id))[-1]
    no_groups = _data(question, ":grp:0")
    if not no_groups:
        return None
    await school.press(teacher, teacher.chat_id, question["message_id"], no_groups)
    preview = (await school.received(teacher.chat_id))[-1]
    receipt = _data(preview, ":rcpt")
    if not receipt:
        return None
    await school.press(teacher, teacher.chat_id, preview["message_id"], receipt)
    await school.say(teacher, "同意/不同意/签字")
    preview = (await school.received(teacher.chat_id))[-1]
    send = _data(preview, ":send")
    if not send:
        return None
    await school.press(teacher, teacher.chat_id, preview["message_id"], send)
    return int(send.split(":")[1])


async def _answer(school: Any, person: Any, child: str, option: str, relation: str) -> int:
    for message in await school.received(person.chat_id):
        text = message.get("text") or ""
        if "春游告知书" not in text or child not in text:
            continue
        data = _button(message, option)
        if not data:
            return 0
        await school.press(person, person.chat_id, message["message_id"], data)
        message = next(
            m
            for m in await school.received(person.chat_id)
            if m["message_id"] == message["message_id"]
        )
        sign = _button(message, "签字")
        if not sign:
            return 0
        await school.press(person, person.chat_id, message["message_id"], sign)
        await school.say(person, f"{child} {relation}")
        return 1
    return 0


def _button(message: dict[str, Any], label: str) -> str:
    """The callback data of the button whose text has ``label``."""
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            if label in str(button.get("text", "")):
                return str(button.get("callback_data", ""))
    return ""


def _data(message: dict[str, Any], suffix: str) -> str:
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            data = str(button.get("callback_data", ""))
            if data.endswith(suffix):
                return data
    return ""
