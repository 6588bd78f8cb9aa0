"""A rider marked absent for a day (/absent 张小明 明天, or a parent's /absent 明天 and the
「明天不坐校车」 button): that day's counts expect one fewer.

The head teacher of the rider's class, an admin, or a parent of that class marks it; a
parent who names an imported rider becomes that rider's guardian, and from then on only
they (of the parents) mark the child, with a date alone or a button. A trip of that day not
yet counted at boarding drops the rider at once and its escort is told (the list they
count from changed); the head teacher is told when someone else marked it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.settings import BusRiderSettings, BusSettings, BusSettingsEntry, Settings
from scheduler import recipients
from scheduler.bus.common import (
    Outcome,
    Result,
    Stage,
    bus_label,
    leg_label,
    rider_label,
    stage_of,
    times,
    trip_text,
)
from scheduler.bus.riders import effective
from scheduler.hazards.notify import tell
from scheduler.routine import Context
from storage import audit, people, pupils
from storage import bus as store
from storage.bus import BusRider
from storage.db import SessionFactory
from storage.duty import staff_named
from storage.models import Person, Unit
from storage.people import has_role

MAX_DELAY_MINUTES = 30


async def mark_absent(
    sessions: SessionFactory,
    ctx: Context,
    person: Person,
    name: str,
    class_text: str,
    day: dt.date,
    now: dt.datetime,
    settings: Settings,
    *,
    school_day: bool = True,
) -> Result:
    """/absent: ``name`` empty, the parent's own child (the one rider they are the guardian
    of); in a transaction of its own."""
    async with sessions.begin() as session:
        today = now.astimezone(ctx.tz).date()
        if day < today:
            return Result(Outcome.PAST_DAY)
        if not school_day:
            return Result(Outcome.NO_BUS_DAY)
        policy = await effective(session, ctx.school_id, settings.bus)
        if not name.strip():
            own = await _own_children(session, ctx, person, policy)
            if not own:
                return Result(Outcome.NO_CHILD)
            if len(own) > 1:
                return Result(Outcome.AMBIGUOUS, missing=tuple(name for _, name in own))
            class_text, name = own[0]
        unit = await people.find_unit(session, ctx.school_id, class_text) if class_text else None
        if class_text and unit is None:
            return Result(Outcome.NO_RIDER)
        found = [
            (bus, rider)
            for bus in policy.buses
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
        row = await _imported(session, ctx, rider)
        guardians = await _pupil_guardians(session, rider_unit, rider.name)
        if not _may_mark(person, rider_unit, row, guardians):
            return Result(Outcome.NOT_ALLOWED, bus=bus)
        if (
            row is not None
            and row.guardian_id is None
            and not guardians
            and _is_parent_of(person, rider_unit)
        ):
            row.guardian_id = person.id  # the parent who names the child is its guardian
        return await _mark(session, ctx, person, bus, rider, rider_unit, day, now)


async def mark_own_child(
    sessions: SessionFactory,
    ctx: Context,
    person: Person,
    rider_id: int,
    day: dt.date,
    now: dt.datetime,
    settings: Settings,
    *,
    school_day: bool = True,
) -> Result:
    """The parent's 「明天不坐校车」 button: only the rider's guardian presses it; in a
    transaction of its own."""
    async with sessions.begin() as session:
        row = await store.rider_by_id(session, ctx.school_id, rider_id)
        if row is None or row.id not in {r.id for r in await own_riders(session, ctx, person)}:
            return Result(Outcome.NOT_ALLOWED)
        if day < now.astimezone(ctx.tz).date():
            return Result(Outcome.PAST_DAY)
        if not school_day:
            return Result(Outcome.NO_BUS_DAY)
        policy = await effective(session, ctx.school_id, settings.bus)
        bus = policy.bus(row.bus)
        if bus is None:
            return Result(Outcome.NO_RIDER)
        rider_unit = await people.find_unit(session, ctx.school_id, row.unit)
        rider = BusRiderSettings(unit=row.unit, name=row.name)
        return await _mark(session, ctx, person, bus, rider, rider_unit, day, now)


async def own_riders(session: AsyncSession, ctx: Context, person: Person) -> list[BusRider]:
    """The imported riders whose guardian ``person`` is: linked here (they named the child
    once), or by the child's invite (storage.pupils: a pupil of that class and name)."""
    linked = await store.riders_of_guardian(session, ctx.school_id, person.id)
    children = await _children(session, ctx, person)
    if children:
        seen = {r.id for r in linked}
        linked += [
            r
            for r in await store.riders(session, ctx.school_id)
            if (r.unit, r.name) in children and r.id not in seen
        ]
    return linked


@dataclass(frozen=True)
class OwnRider:
    """A parent's child who rides a bus, for their /bus."""

    rider_id: int
    name: str
    bus_number: int
    stop: str
    bus: BusSettingsEntry | None  # None: a bus no longer in config.toml


async def own_buses(
    sessions: SessionFactory, ctx: Context, person: Person, settings: BusSettings
) -> tuple[OwnRider, ...]:
    """A parent's /bus: the riders they are the guardian of, each with its bus."""
    async with sessions() as session:
        mine = await own_riders(session, ctx, person)
        policy = await effective(session, ctx.school_id, settings)
    return tuple(OwnRider(r.id, r.name, r.bus, r.stop, policy.bus(r.bus)) for r in mine)


async def _children(session: AsyncSession, ctx: Context, person: Person) -> set[tuple[str, str]]:
    """(class slug, name) of the children ``person`` is a guardian of (storage.pupils)."""
    found = await pupils.children_of(session, person.id)
    if not found:
        return set()
    slugs = {u.id: u.slug for u in await people.units(session, ctx.school_id, "class")}
    return {(slugs[c.unit_id], c.name) for c in found if c.unit_id in slugs}


async def _own_children(
    session: AsyncSession, ctx: Context, person: Person, policy: BusSettings
) -> list[tuple[str, str]]:
    """(class slug, name) of the riders who are ``person``'s children, config.toml's riders
    included, each once."""
    own = [(r.unit, r.name) for r in await own_riders(session, ctx, person)]
    children = await _children(session, ctx, person)
    for bus in policy.buses:
        own += [(r.unit, r.name) for r in bus.riders if (r.unit, r.name) in children]
    return list(dict.fromkeys(own))


async def _pupil_guardians(session: AsyncSession, unit: Unit | None, name: str) -> set[int]:
    """The people linked to the pupil of that class and name by the child's invite."""
    if unit is None:
        return set()
    rows = await session.scalars(
        select(pupils.Guardian.person_id)
        .join(pupils.Pupil, pupils.Pupil.id == pupils.Guardian.pupil_id)
        .where(
            pupils.Pupil.unit_id == unit.id,
            pupils.Pupil.name == name,
            pupils.Pupil.active.is_(True),
        )
    )
    return set(rows.all())


async def _imported(
    session: AsyncSession, ctx: Context, rider: BusRiderSettings
) -> BusRider | None:
    for row in await store.riders(session, ctx.school_id):
        if row.unit == rider.unit and row.name == rider.name:
            return row
    return None


def _is_parent_of(person: Person, unit: Unit | None) -> bool:
    return unit is not None and any(
        r.role == "parent" and r.unit_id == unit.id for r in person.roles
    )


def _may_mark(person: Person, unit: Unit | None, row: BusRider | None, guardians: set[int]) -> bool:
    if has_role(person, "admin"):
        return True
    if unit is not None and any(
        r.role == "head_teacher" and r.unit_id == unit.id for r in person.roles
    ):
        return True
    # A parent of the class, unless another parent is already the child's guardian.
    if guardians:  # the child's guardians by its invite, and only they
        return person.id in guardians
    return _is_parent_of(person, unit) and (row is None or row.guardian_id in (None, person.id))


async def _mark(
    session: AsyncSession,
    ctx: Context,
    person: Person,
    bus: BusSettingsEntry,
    rider: BusRiderSettings,
    rider_unit: Unit | None,
    day: dt.date,
    now: dt.datetime,
) -> Result:
    new = await store.mark_absent(
        session, ctx.school_id, day, rider.unit, rider.name, person.id, now
    )
    label = rider_label(rider_unit.name if rider_unit else rider.unit, rider.name)
    if not new:
        return Result(Outcome.DONE, bus=bus, missing=(label,))
    changed = []
    for leg in store.LEGS:
        trip = await store.trip(session, ctx.school_id, day, bus.number, leg, for_update=True)
        if trip is not None and stage_of(trip) is Stage.BOARD and label in trip.riders:
            trip.riders = [r for r in trip.riders if r != label]
            trip.absent = [*trip.absent, label]
            trip.ticked = []  # the indexes moved
            changed.append(trip)
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
    who = person.display_name
    by_parent = has_role(person, "parent") and not has_role(person, "admin", "head_teacher")
    for trip in changed:  # the escort counts from a list that just changed: say so
        await _tell_escort(session, ctx, bus, trip, label, who, now)
    if rider_unit is not None and not _heads(person, rider_unit):
        await _tell_head_teacher(session, ctx, bus, rider_unit, label, day, who, by_parent, now)
    return Result(Outcome.DONE, bus=bus, missing=(label,))


def _heads(person: Person, unit: Unit) -> bool:
    return any(r.role == "head_teacher" and r.unit_id == unit.id for r in person.roles)


async def _tell_escort(
    session: AsyncSession,
    ctx: Context,
    bus: BusSettingsEntry,
    trip: store.BusTrip,
    label: str,
    who: str,
    now: dt.datetime,
) -> None:
    escorts = await recipients.privately(
        session, ctx, await staff_named(session, ctx.school_id, bus.escort)
    )

    text = trip_text(
        "bus.absent_escort",
        bus,
        trip.bus,
        trip.leg,
        rider=label,
        who=who,
        expected=len(trip.riders),
    )
    await tell(session, ctx, f"bus:{trip.id}:abs:{label}", escorts, text, now, urgent=True)


async def _tell_head_teacher(
    session: AsyncSession,
    ctx: Context,
    bus: BusSettingsEntry,
    unit: Unit,
    label: str,
    day: dt.date,
    who: str,
    by_parent: bool,
    now: dt.datetime,
) -> None:
    found = await recipients.head_teachers(session, ctx, unit.id, day)

    def text(lang: str) -> str:
        key = "bus.absent_head_teacher_parent" if by_parent else "bus.absent_head_teacher"
        return t(
            lang,
            key,
            rider=label,
            day=day.isoformat(),
            bus=bus_label(bus, bus.number, lang),
            who=who,
        )

    key = f"bus:abs:{day.isoformat()}:{unit.slug}:{label}:ht"
    await tell(session, ctx, key, await recipients.privately(session, ctx, found), text, now)


async def report_delay(
    sessions: SessionFactory,
    ctx: Context,
    person: Person,
    minutes: int,
    name: str,
    now: dt.datetime,
    settings: Settings,
    *,
    school_day: bool = True,
) -> Result:
    """A parent: the child will be at the stop ``minutes`` late for the next run today (晚到):
    the escort of that bus and the head teacher are told; nothing is counted differently. In
    a transaction of its own."""
    async with sessions.begin() as session:
        if not 1 <= minutes <= MAX_DELAY_MINUTES:
            return Result(Outcome.BAD_COUNT)
        if not school_day:
            return Result(Outcome.NO_BUS_DAY)
        mine = await own_riders(session, ctx, person)
        if name.strip():
            mine = [r for r in mine if r.name == name.strip()]
        if not mine:
            return Result(Outcome.NO_CHILD)
        if len(mine) > 1:
            return Result(Outcome.AMBIGUOUS, missing=tuple(r.name for r in mine))
        row = mine[0]
        policy = await effective(session, ctx.school_id, settings.bus)
        bus = policy.bus(row.bus)
        if bus is None:
            return Result(Outcome.NO_RIDER)
        local = now.astimezone(ctx.tz)
        leg = next(
            (leg for leg in store.LEGS if local.time() < times(bus, leg)[0]),
            None,
        )
        if leg is None:
            return Result(Outcome.PAST_DAY)
        rider_unit = await people.find_unit(session, ctx.school_id, row.unit)
        label = rider_label(rider_unit.name if rider_unit else row.unit, row.name)
        day = local.date()
        audit.record(
            session,
            ctx.school_id,
            person.id,
            "bus.delay",
            now,
            bus=bus.number,
            leg=leg,
            rider=label,
            minutes=minutes,
        )
        board = times(bus, leg)[0].strftime("%H:%M")

        text = trip_text(
            "bus.delay_told",
            bus,
            bus.number,
            leg,
            rider=label,
            stop=row.stop or "—",
            minutes=minutes,
            board=board,
            who=person.display_name,
        )

        escorts = await recipients.privately(
            session, ctx, await staff_named(session, ctx.school_id, bus.escort)
        )
        heads = (  # a substitute in place of a head teacher on leave that day
            await recipients.head_teachers(session, ctx, rider_unit.id, day)
            if rider_unit is not None
            else []
        )
        found = escorts + await recipients.privately(session, ctx, heads)
        key = f"bus:delay:{day.isoformat()}:{leg}:{row.id}:{minutes}"
        await tell(session, ctx, key, found, text, now, urgent=True)
        return Result(Outcome.DONE, bus=bus, missing=(label, leg_label(leg, "zh"), board))
