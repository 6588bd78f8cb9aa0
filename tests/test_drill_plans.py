"""Which drill a day holds once drills were moved (scheduler/drills/plans.py): a drill moved
onto a day is that day's, whatever order the rows come in; a day its drill left has none."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.app import close_app, open_app
from bot.core.clock import FakeClock
from bot.core.settings import Settings
from scheduler.drills import plans
from storage.drills import Drill
from tests.conftest import DAILY_ROUTINES

NOV_26, DEC_2, DEC_9 = dt.date(2026, 11, 26), dt.date(2026, 12, 2), dt.date(2026, 12, 9)


def plan(day: dt.date, commander: str) -> dict[str, str]:
    return {"date": day.isoformat(), "time": "10:00:00", "commander": commander}


async def test_a_drill_moved_onto_the_day_another_drill_left_is_that_days_drill(
    routines_off: Callable[..., Settings], clock: FakeClock
) -> None:
    settings = routines_off(
        *DAILY_ROUTINES, drills__plans=[plan(NOV_26, "刘主任"), plan(DEC_2, "王主任")]
    )
    app = await open_app(settings, clock=clock)
    try:
        async with app.sessions.begin() as session:
            common = {"school_id": app.school_id, "theme": "消防", "status": "planned"}
            common |= {"problems": "", "measures": "", "moves": 1}
            # December's drill moved a week on first (the lower id), then November's onto 2 Dec.
            session.add(Drill(day=DEC_9, plan_day=DEC_2, at="09:00", **common))
            await session.flush()
            session.add(Drill(day=DEC_2, plan_day=NOV_26, at="10:30", **common))
        async with app.sessions() as session:
            on_dec_2 = await plans.plan_for(session, app.school_id, settings, DEC_2)
            on_dec_9 = await plans.plan_for(session, app.school_id, settings, DEC_9)
            on_nov_26 = await plans.plan_for(session, app.school_id, settings, NOV_26)
            coming = await plans.plans(session, app.school_id, settings)
    finally:
        await close_app(app)
    assert on_dec_2 is not None and on_dec_2.commander == "刘主任"
    assert on_dec_2.time == dt.time(10, 30)
    assert on_dec_9 is not None and on_dec_9.commander == "王主任"
    assert on_dec_9.time == dt.time(9, 0)
    assert on_nov_26 is None
    assert [(p.date, p.commander) for p in coming] == [(DEC_2, "刘主任"), (DEC_9, "王主任")]
