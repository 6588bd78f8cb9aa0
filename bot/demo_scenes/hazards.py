"""The hazard scene (隐患排查整改): at 09:40 the canteen answers its daily gas check (正常);
during the 10:10 patrol a guard finds an extinguisher low on pressure and raises it with one
press (发现隐患) under the patrol; the principal assigns it to 总务员工 with 3天内 and signs
the list; the owner fixes it with a photo, the principal rejects the fix (the gauge is still
red) with a new deadline, it is fixed again, verified and signed off: closed the same day."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.demo_scenes.duty import _last, _press
from bot.demo_scenes.photos import scene_photo
from storage.hazards import Hazard

PHOTO_BEFORE = scene_photo("extinguisher pressure low")
PHOTO_AFTER_1 = scene_photo("extinguisher gauge still red")
PHOTO_AFTER_2 = scene_photo("new extinguisher installed")
OWNER = "总务员工"


async def scene(school: Any, log: Callable[[str], None]) -> list[str]:
    day = school.settings.demo.date
    principal, guard, owner = school.people["校长"], school.people["保安乙"], school.people[OWNER]
    cook = school.people["食堂员工"]

    await school.at(f"{day} 09:40")
    checked = await _press(school, cook, "【隐患排查】", "其余全部正常")
    log(f"{cook.name}: 食堂燃气每日检查 all 正常 ({checked})")

    await school.at(f"{day} 10:10")
    await school.say(guard, "/patrol 教学楼三楼东侧：灭火器压力不足")
    await school.photo(guard, PHOTO_BEFORE)
    await _press(school, guard, "巡查", "完成")
    await _press(school, guard, "巡查", "发现隐患")
    await school.say(guard, "教学楼三楼东侧")
    await _press(school, guard, "属于哪一类", "校园消防")
    await _press(school, guard, "程度", "较重")
    await _press(school, guard, "照片", "提交隐患")
    log(f"{guard.name}: 发现隐患 under the patrol → {_first_line(await _last(school, guard))}")

    await school.at(f"{day} 10:30")
    await school.say(principal, f"/hazard 1 指派 {OWNER} 3天内")
    log(f"{principal.name}: {_first_line(await _last(school, principal))}")
    await _press(school, principal, "责任清单", "确认责任清单")

    await school.at(f"{day} 11:30")
    await _fix(school, owner, PHOTO_AFTER_1, "已给灭火器充压")
    log(f"{owner.name}: 整改完成 with a photo")

    await school.at(f"{day} 13:00")
    await _press(school, principal, "已给灭火器充压", "驳回")
    await school.say(principal, "压力表指针仍在红区")
    await school.say(principal, "下周五")
    log(f"{principal.name}: {_first_line(await _last(school, principal))}")

    await school.at(f"{day} 15:00")
    await _fix(school, owner, PHOTO_AFTER_2, "已更换新灭火器")
    await school.at(f"{day} 15:30")
    await _press(school, principal, "已更换新灭火器", "验收通过")
    await _press(school, principal, "审核签字", "审核签字")
    log(f"{principal.name}: 复查验收通过, 审核签字")

    async with school.app.sessions() as session:
        hazard = await session.get(Hazard, 1)
    status = hazard.status if hazard else "missing"
    rejected = hazard.rejected if hazard else 0
    return [
        f"inspections: {cook.name} answered the canteen's gas check (3 items 正常)",
        f"hazards: #1 raised from {guard.name}'s 10:10 patrol with a photo, assigned to {OWNER} "
        f"(3天内), list signed by {principal.name}, fixed with a photo, rejected {rejected}×, "
        f"fixed again, verified and signed off → {status}",
    ]


async def _fix(school: Any, owner: Any, photo: bytes, note: str) -> None:
    await _press(school, owner, "隐患 #1", "整改完成")
    await school.photo(owner, photo)
    await _press(school, owner, "整改照片", "照片已发完")
    await school.say(owner, note)


def _first_line(text: str) -> str:
    return text.splitlines()[0][:70] if text else ""
