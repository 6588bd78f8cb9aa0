"""A class of 40 pupils and 45 guardians through the emulator: per-child notices with a choice
and a signature, counts per option per class, the head teacher's private list and one-button
reminder, the group that never sees a name, and the monthly list of guardians who confirm
less than half.

三(1)班: 40 pupils (童童01…童童40); pupils 36–40 have two guardians (a mother 龚某NN and a
father 龚爸NN), the others one: 45 guardians. 三(2)班: 乐乐01…乐乐03; the guardians of
童童01 and 童童02 are also 乐乐01's and 乐乐02's: two children in two classes, one message
per child.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.core.clock import FakeClock
from bot.core.settings import Settings
from tests.e2e.harness import SimPerson, SimulatedSchool, running_school, texts

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NOTICE = "寒假出行安全告知书\n请家长填写寒假出行计划，并签字确认已告知孩子出行安全。"
OPTIONS = ("留本地", "出市", "出省")
PUPILS = [f"童童{n:02d}" for n in range(1, 41)]
OTHERS = [f"乐乐{n:02d}" for n in range(1, 4)]
# Whose receipt is complete by the time the head teacher looks: 童童01–28 (the mother) and
# 童童36–37 (the father); still missing: 童童29–35 and 童童38–40.
ANSWERED = [*range(1, 29), 36, 37]
MISSING = [n for n in range(1, 41) if n not in ANSWERED]


@pytest.fixture
def two_classes(routines_off: Callable[..., Settings]) -> Settings:
    classes = [{"slug": f"3-{n}", "name": f"三({n})班", "grade": 3} for n in (1, 2)]
    return routines_off("education", "zero_report", "duty", "hazards", classes=classes)


def notices_in(messages: list[dict], child: str) -> list[dict]:  # type: ignore[type-arg]
    return [m for m in messages if "寒假出行安全" in (m.get("text") or "") and child in m["text"]]


def buttons(message: dict) -> dict[str, str]:  # type: ignore[type-arg]
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row}


def documents(school: SimulatedSchool, messages: list[dict[str, Any]]) -> dict[str, bytes]:
    found = {}
    for message in messages:
        if "document" in message:
            stored = school.world.files.get(message["document"]["file_id"])
            assert stored is not None
            found[message["document"]["file_name"]] = stored.data
    return found


def last_answer(school: SimulatedSchool) -> str:
    answer = list(school.world.callbacks.values())[-1].answer or {}
    return str(answer.get("text") or "")


async def guardian_joins(
    school: SimulatedSchool, teacher: SimPerson, unit: str, child: str, name: str
) -> SimPerson:
    token = await school.invite(teacher, "parent", f"{unit} {child}")
    person = school.user(name)
    await school.say(person, f"/start {token}")
    return person


async def the_notice(school: SimulatedSchool, person: SimPerson, child: str) -> dict:  # type: ignore[type-arg]
    found = notices_in(await school.received(person.chat_id), child)
    assert len(found) == 1, (person.name, child, len(found))
    return found[-1]


async def answer(school: SimulatedSchool, person: SimPerson, child: str, option: int) -> None:
    """Choose an option, then sign with the child's name and 妈妈/爸爸."""
    message = await the_notice(school, person, child)
    await school.press(
        person, person.chat_id, message["message_id"], buttons(message)[OPTIONS[option]]
    )
    message = await the_notice(school, person, child)
    assert f"已选：{OPTIONS[option]}" in " ".join(buttons(message))
    await school.press(
        person, person.chat_id, message["message_id"], buttons(message)["✍️ 签字确认"]
    )
    relation = "爸爸" if "爸" in person.name else "妈妈"
    await school.say(person, f"{child} {relation}")


async def test_a_class_of_40_pupils_and_45_guardians_answers_a_travel_plan_with_a_signature(
    two_classes: Settings, clock: FakeClock
) -> None:
    async with running_school(two_classes, clock) as school:
        admin = await school.admin()
        teacher = await school.join("teacher", "3-1", "班主任甲")
        other_teacher = await school.join("teacher", "3-2", "班主任乙")
        group = await school.class_group("3-1", teacher)
        other_group = await school.class_group("3-2", other_teacher)

        mothers: dict[int, SimPerson] = {}
        fathers: dict[int, SimPerson] = {}
        for n, child in enumerate(PUPILS, start=1):
            mothers[n] = await guardian_joins(school, teacher, "3-1", child, f"龚某{n:02d}")
            if n >= 36:
                fathers[n] = await guardian_joins(school, teacher, "3-1", child, f"龚爸{n:02d}")
        guardians = [*mothers.values(), *fathers.values()]
        assert len(guardians) == 45 and len(PUPILS) == 40
        welcome = texts(await school.received(mothers[1].chat_id))[-1]
        assert "已关联孩子：童童01（三(1)班）" in welcome
        # Two of them have a second child in 三(2)班: the child's own invite links it.
        for n, person in ((1, mothers[1]), (2, mothers[2])):
            token = await school.invite(other_teacher, "parent", f"3-2 {OTHERS[n - 1]}")
            await school.say(person, f"/start {token}")
            assert (
                f"已关联孩子：{OTHERS[n - 1]}（三(2)班）"
                in texts(await school.received(person.chat_id))[-1]
            )
        third = await guardian_joins(school, other_teacher, "3-2", OTHERS[2], "龚某乐03")

        # The admin writes a school-wide notice asking for a choice and a signature.
        await school.say(admin, "/notice")
        await school.say(admin, NOTICE)
        await school.say(admin, "跳过")
        await school.say(admin, "全校")
        assert "48" in texts(await school.received(admin.chat_id))[-1]  # one per child
        await school.say(admin, "周五下午5点")
        question = (await school.received(admin.chat_id))[-1]
        await school.press(
            admin, admin.chat_id, question["message_id"], buttons(question)["发到班级群"]
        )
        preview = (await school.received(admin.chat_id))[-1]
        assert "回执：已阅知晓" in preview["text"]
        await school.press(
            admin, admin.chat_id, preview["message_id"], buttons(preview)["📝 设置回执"]
        )
        await school.say(admin, "留本地/出市/出省/出国/火星/月球")  # six: too many
        assert "最多 5 个选项" in texts(await school.received(admin.chat_id))[-1]
        await school.say(admin, "留本地/出市/出省/签字")
        preview = (await school.received(admin.chat_id))[-1]
        assert "留本地 / 出市 / 出省" in preview["text"] and "签字确认" in preview["text"]
        await school.press(
            admin, admin.chat_id, preview["message_id"], buttons(preview)["✅ 确认发送"]
        )
        await school.settle(timeout_s=60)

        # One message per child, each naming the child; two children, two messages.
        for n, person in mothers.items():
            message = await the_notice(school, person, PUPILS[n - 1])
            assert "关于孩子：" + PUPILS[n - 1] in message["text"]
            assert set(buttons(message)) == {*OPTIONS, "✍️ 签字确认"}
        for n, person in fathers.items():
            await the_notice(school, person, PUPILS[n - 1])
        for n in (1, 2):
            await the_notice(school, mothers[n], OTHERS[n - 1])
            assert len(notices_in(await school.received(mothers[n].chat_id), "")) == 2
        await the_notice(school, third, OTHERS[2])

        # A signature must name the child: another child's name is refused, nothing recorded.
        message = await the_notice(school, mothers[29], PUPILS[28])
        await school.press(
            mothers[29], mothers[29].chat_id, message["message_id"], buttons(message)["出市"]
        )
        message = await the_notice(school, mothers[29], PUPILS[28])
        await school.press(
            mothers[29], mothers[29].chat_id, message["message_id"], buttons(message)["✍️ 签字确认"]
        )
        await school.say(mothers[29], "童童01 妈妈")
        assert "孩子姓名不一致" in texts(await school.received(mothers[29].chat_id))[-1]
        await school.say(mothers[29], "童童29")
        assert "孩子姓名 关系" in texts(await school.received(mothers[29].chat_id))[-1]
        await school.say(mothers[29], "/cancel")

        for n in ANSWERED:
            person = fathers[n] if n in fathers else mothers[n]
            await answer(school, person, PUPILS[n - 1], n % 3)
        last = texts(await school.received(fathers[37].chat_id))[-1]
        assert "已签字：童童37 爸爸" in last and "回执已完成" in last
        # The second child's receipt is its own.
        await answer(school, mothers[1], OTHERS[0], 2)
        # Pressing the choice again (or an old keyboard's other option) changes nothing.
        message = await the_notice(school, mothers[1], PUPILS[0])
        chosen = buttons(message)["☑️ 已选：出市"]
        await school.press(mothers[1], mothers[1].chat_id, message["message_id"], chosen)
        assert "你已选择「出市」" in last_answer(school)

        # The sender (the admin): counts per option per class.
        await school.say(admin, "/notice 1")
        report = "\n".join(texts(await school.received(admin.chat_id))[-2:])
        chose = {k: sum(1 for n in ANSWERED if n % 3 == k) for k in range(3)}
        assert "【三(1)班】30 / 40（75%）" in report
        assert f"留本地 {chose[0]} / 出市 {chose[1]} / 出省 {chose[2]}" in report
        assert "【三(2)班】1 / 3（33%）" in report and "留本地 0 / 出市 0 / 出省 1" in report
        assert "已签字：30" in report

        # The head teacher's private list: the missing children with their guardians.
        await school.say(teacher, "/notice 1")
        private = (await school.received(teacher.chat_id))[-1]
        missing_line = next(line for line in private["text"].splitlines() if "未确认" in line)
        for n in MISSING:
            assert PUPILS[n - 1] in missing_line
        assert "童童38（龚某38、龚爸38）" in missing_line
        for n in ANSWERED:
            assert (
                f"{PUPILS[n - 1]}（" not in missing_line
                and f"{PUPILS[n - 1]}、" not in missing_line
            )
        assert "三(2)班" not in private["text"]

        # One button: one reminder to just those guardians (童童36's mother is not asked: the
        # father answered), privately; a second press sends nothing more.
        chase = buttons(private)["🔔 提醒三(1)班未确认的家长"]
        await school.press(teacher, teacher.chat_id, private["message_id"], chase)
        assert "已私下提醒 三(1)班 13 位家长" in last_answer(school)
        await school.settle()
        reminded = {
            p.name
            for p in guardians
            if any("⏰" in t for t in texts(await school.received(p.chat_id)))
        }
        expected = {mothers[n].name for n in MISSING} | {fathers[n].name for n in (38, 39, 40)}
        assert reminded == expected
        reminder = next(
            m for m in await school.received(mothers[38].chat_id) if "⏰" in (m.get("text") or "")
        )
        assert "童童38" in reminder["text"] and set(buttons(reminder)) == {*OPTIONS, "✍️ 签字确认"}
        await school.press(teacher, teacher.chat_id, private["message_id"], chase)
        assert "已提醒过一次" in last_answer(school)
        await school.settle()
        again = 0
        for person in guardians:
            again += sum("⏰" in t for t in texts(await school.received(person.chat_id)))
        assert again == 13

        # Asked in the class group, the report shows the rate only.
        await school.say(teacher, "/notice 1", chat=group)

        # The deadline: the head teacher gets the names privately, each group its rate.
        await school.at("2026-11-27 17:00")
        final = "\n".join(
            t for t in texts(await school.received(teacher.chat_id)) if "确认情况" in t
        )
        assert "童童40" in final
        group_texts = texts(await school.received(group)) + texts(
            await school.received(other_group)
        )
        assert any("30 / 40" in t for t in group_texts)
        for text in group_texts:
            assert "童童" not in text and "乐乐" not in text and "龚" not in text, text

        # The record book shows each class's receipts, per pupil.
        before = len(await school.received(admin.chat_id))
        await school.say(admin, "/export 本月")
        files = documents(school, (await school.received(admin.chat_id))[before:])
        book = load_workbook(io.BytesIO(next(d for n, d in files.items() if n.endswith(".xlsx"))))
        rows = [tuple(row) for row in book["各班回执"].iter_rows(min_row=2, values_only=True)]
        assert rows[0][1:4] == ("三(1)班", 40, 30) and rows[0][6] == 30
        assert rows[0][5] == f"留本地 {chose[0]} / 出市 {chose[1]} / 出省 {chose[2]}"
        assert rows[1][1:4] == ("三(2)班", 3, 1)

        # The first school day of December: the head teacher's private list of guardians who
        # confirmed less than half (here: none of one notice).
        await school.at("2026-12-01 08:30")
        monthly = [t for t in texts(await school.received(teacher.chat_id)) if "不足一半" in t]
        assert len(monthly) == 1
        for n in MISSING:
            assert mothers[n].name in monthly[0]
        assert "龚某36" not in monthly[0] and "龚某01" not in monthly[0]
        assert all("不足一半" not in t for t in group_texts + texts(await school.received(group)))
        await school.at("2026-12-01 09:30")
        assert (
            len([t for t in texts(await school.received(teacher.chat_id)) if "不足一半" in t]) == 1
        )


async def test_a_head_teacher_imports_the_class_list_and_sees_who_has_a_guardian_linked(
    two_classes: Settings, clock: FakeClock
) -> None:
    async with running_school(two_classes, clock) as school:
        await school.admin()
        teacher = await school.join("teacher", "3-1", "班主任甲")
        parent = await school.join("parent", "3-1", "家长甲")

        def last() -> str:
            return school.sent_texts(teacher.chat_id)[-1]

        # Another class's pupils are refused, and nothing of the file is kept.
        wrong = "班级,姓名\n3-1,王小明\n3-2,李四\n".encode()
        await school.send_document(teacher, wrong, "名单.csv", caption="/pupils")
        assert "3-2" not in last() and "三(2)班 不是你的班级" in last()
        await school.say(teacher, "/pupils 3-1")
        assert "还没有学生名单" in last()

        good = "班级,姓名\n3-1,王小明\n三(1)班,李 四\n3-1,赵六\n".encode()
        await school.send_document(teacher, good, "名单.csv", caption="/pupils")
        assert "新增 3 名学生" in last()
        await school.send_document(teacher, good, "名单.csv", caption="/pupils")
        assert "新增 0 名学生，3 名已在名单中" in last()

        # The child's invite links the parent to the listed pupil (not a new one).
        token = await school.invite(teacher, "parent", "3-1 王小明")
        await school.say(parent, f"/start {token}")
        assert "已关联孩子：王小明（三(1)班）" in school.sent_texts(parent.chat_id)[-1]
        await school.say(teacher, "/pupils 3-1")
        assert "学生 3 人，已关联家长的 1 人" in last() and "王小明✓" in last()
        # Names are shown privately only; parents may not list a class.
        await school.say(parent, "/pupils 3-1")
        assert "王小明" not in school.sent_texts(parent.chat_id)[-1]


async def test_the_demo_day_shows_a_consent_per_child_and_the_head_teachers_private_reminder(
    two_classes: Settings, clock: FakeClock
) -> None:
    from bot.demo_scenes import SCENES
    from bot.demo_scenes.pupils import scene

    assert "pupils" in dict(SCENES)
    async with running_school(two_classes, clock) as school:
        school.people["校长"] = await school.admin("校长")
        teacher = await school.join("teacher", "3-1", "班主任3-1")
        school.people["班主任3-1"] = teacher
        group = await school.class_group("3-1", teacher)
        logged: list[str] = []
        lines = await scene(school, logged.append)
        assert lines == [
            "pupils: 三(1)班's consent #1 per child (同意/不同意 + 签字): 3/4 children "
            "answered; the head teacher's private list named 孙小美 and 🔔 reminded just that "
            "child's parent (1)"
        ]
        assert not any("孙" in t for t in school.sent_texts(group))
