"""A rider marked absent for a day (/absent 张小明 明天): that day's counts expect one fewer.
Only the head teacher of the rider's class (or an admin) marks it; a trip of that day not
yet counted at boarding drops the rider at once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from scheduler.bus.common import Outcome, Result, Stage, rider_label, stage_of
from scheduler.routine import Context
from storage import audit, people
from storage import bus as store
from storage.models import Person
from storage.people import has_role


async def mark_absent(
    session: AsyncSession,
    ctx: Context,
    person: Person,
    name: str,
    class_text: str,
    day: dt.date,
    now: dt.datetime,
    settings: Settings,
) -> Result:
    today = now.astimezone(ctx.tz).date()
    if day < today:
        return Result(Outcome.PAST_DAY)
    unit = await people.find_unit(session, ctx.school_id, class_text) if class_text else None
    if class_text and unit is None:
        return Result(Outcome.NO_RIDER)
    found = [
        (bus, rider)
        for bus in settings.bus.buses
        for rider in bus.riders
        if rider.name == name.strip() and (unit is None or rider.unit == unit.slug)
    ]
    if not found:
        return Result(Outcome.NO_RIDER)
    if len({rider.unit for _, rider in found}) > 1:
        return Result(Outcome.AMBIGUOUS)
    bus, rider = found[0]
    units = {u.slug: u for u in await people.units(session, ctx.school_id, "class")}
    rider_unit = units.get(rider.unit)
    heads = {r.unit_id for r in person.roles if r.role == "head_teacher"}
    if not has_role(person, "admin") and (rider_unit is None or rider_unit.id not in heads):
        return Result(Outcome.NOT_ALLOWED, bus=bus)
    await store.mark_absent(session, ctx.school_id, day, rider.unit, rider.name, person.id, now)
    label = rider_label(rider_unit.name if rider_unit else rider.unit, rider.name)
    for leg in store.LEGS:
        trip = await store.trip(session, ctx.school_id, day, bus.number, leg, for_update=True)
        if trip is not None and stage_of(trip) is Stage.BOARD and label in trip.riders:
            trip.riders = [r for r in trip.riders if r != label]
            trip.absent = [*trip.absent, label]
            trip.ticked = []  # the indexes moved
    audit.record(
        session,
        ctx.school_id,
        person.id,
        "bus.absent",
        now,
        bus=bus.number,
        rider=label,
        day=day.isoformat(),
    )
    return Result(Outcome.DONE, bus=bus, missing=(label,))
