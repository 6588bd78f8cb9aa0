"""The bus and drill scene: two school buses in the morning (bus 1 all there; on bus 2 a
child boarded and did not arrive: the head teacher, the duty leader and the principal are
alerted at once), then the month's drill at 10:00: the commander starts it, each class's
head teacher reports the headcount in the class group (one class short, with its reason:
the commander alerted), the commander ends it, and a floor marshal sends 问题 / 建议.

The buses and the drill are the demo's own (bot/demo.py adds them when config.toml has
none), so the shipped school is unchanged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from bot.core.settings import Settings, settings_from_dict
from bot.demo_scenes.duty import _press
from bot.demo_scenes.photos import scene_photo

ESCORTS = ("教师甲", "教师乙")
COMMANDER = "值班领导"
MARSHAL = "教师丙"
MISSING = "陈小东"  # boarded bus 2 and did not arrive
SHORT = "4-2"  # the class one pupil short at the assembly point


def with_buses_and_drill(settings: Settings) -> Settings:
    """The school with the demo's two buses and a drill on the demo day, when config.toml
    has none of its own."""
    raw = settings.model_dump(mode="json", exclude={"base_dir"})
    if not raw["bus"]["buses"]:
        raw["bus"] = {**raw["bus"], "buses": demo_buses()}
    if not raw["drills"]["plans"]:
        raw["drills"] = {**raw["drills"], "plans": [demo_drill(settings.demo.date)]}
    return settings_from_dict(raw, base_dir=settings.base_dir)


def demo_buses() -> list[dict[str, Any]]:
    riders_1 = [("3-1", "张小明"), ("3-1", "李小华"), ("3-2", "王小红"), ("5-1", "刘小刚")]
    riders_2 = [("3-2", MISSING), ("4-1", "赵小西"), ("6-3", "孙小北")]
    return [
        {
            "number": n,
            "plate": f"苏D·8800{n}",
            "company": "安达校车公司",
            "driver": f"司机{n}",
            "escort": ESCORTS[n - 1],
            "route": "吕墅村 → 薛家镇 → 学校",
            "morning_board": "07:00:00",
            "morning_arrive": "07:40:00",
            "riders": [{"unit": u, "name": name} for u, name in riders],
        }
        for n, riders in ((1, riders_1), (2, riders_2))
    ]


def demo_drill(day: dt.date) -> dict[str, Any]:
    return {
        "date": day.isoformat(),
        "time": "10:00:00",
        "theme": "消防安全",
        "signal": "连续三声长哨",
        "routes": ["一楼：东楼梯 → 操场", "二楼、三楼：西楼梯 → 操场"],
        "assembly": "操场主席台前",
        "commander": COMMANDER,
        "marshals": [f"一楼：{MARSHAL}"],
        "counters": ["各班班主任"],
    }


async def scene(school: Any, log: Callable[[str], None]) -> list[str]:
    day = school.settings.demo.date
    if not school.settings.bus.buses or not school.settings.drills.plans:
        return ["bus and drill: none configured (see with_buses_and_drill)"]
    one, two = (school.people[name] for name in ESCORTS)
    await school.at(f"{day} 07:10")
    await _press(school, one, "上车清点", "实到")
    await _press(school, two, "上车清点", "实到")
    log("bus 1 and bus 2: everyone boarded")
    await school.at(f"{day} 07:40")
    await _press(school, one, "到达清点", "实到")
    await _press(school, one, "请检查车厢", "车厢已检查")
    await _press(school, two, "到达清点", "有人未到")
    await _press(school, two, "勾选", MISSING)
    await _press(school, two, "勾选", "确认")
    await _press(school, two, "请检查车厢", "车厢已检查")
    log(f"bus 2: {MISSING} boarded and did not arrive → head teacher, duty leader alerted")

    await school.at(f"{day} 10:00")
    commander = school.people[COMMANDER]
    await _press(school, commander, "开始演练", "开始演练")
    await school.at(f"{day} 10:10")
    classes = school.settings.classes
    for cls in classes:
        teacher = school.people[f"班主任{cls.slug}"]
        report = "/drill 40 39 一人请假在家" if cls.slug == SHORT else "/drill 40 40"
        await school.say(teacher, report, chat=school.groups[cls.slug])
    await _press(school, commander, "演练已开始", "结束演练")
    marshal = school.people[MARSHAL]
    await school.photo(
        marshal, scene_photo("drill: classes lined up on the playground"), caption="/drill"
    )
    await school.say(marshal, "/drill 问题 一楼东楼梯口两个班同时下楼")
    await school.say(marshal, "/drill 建议 一年级先走")
    await school.say(commander, "/drill 问题 东楼梯拥挤")
    await school.say(commander, "/drill 措施 错峰下楼")
    log(f"drill: {len(classes)} classes counted, {SHORT} one short; feedback in, closed")

    await school.at(f"{day} 16:50")  # home: both buses complete and checked
    for escort in (one, two):
        await _press(school, escort, "上车清点", "实到")
    await school.at(f"{day} 17:30")
    for escort in (one, two):
        await _press(school, escort, "到达清点", "实到")
        await _press(school, escort, "请检查车厢", "车厢已检查")
    log("afternoon: both buses home, counted and checked")
    return [
        f"bus: 2 buses, 7 riders; {MISSING} missing at arrival → alerts; home run complete",
        f"drill 10:00: {len(classes)} headcounts ({SHORT} one short), marshal feedback, closed",
    ]
