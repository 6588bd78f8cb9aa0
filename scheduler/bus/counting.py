"""The escort's counts (应到 / 实到) at boarding and at arrival, and the empty-bus check
(车厢检查).

Each step checks that the presser is the bus's escort and that the trip is at the stage the
button was made for; otherwise nothing changes and the outcome says why. A count records
who was missing: at boarding their head teachers learn it; at arrival a child who boarded
and did not arrive alerts the duty leader and the admins at once (urgent), and the head
teacher too. Each step writes an audit row and its outbox messages in the caller's
transaction; ``pressed`` is what handlers/bus.py calls: the press's step in a transaction of
its own, and the pressed message as it then reads.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.messages import OutMessage
from bot.core.settings import BusSettings, BusSettingsEntry
from scheduler import recipients
from scheduler.bus import buttons
from scheduler.bus.common import (
    Outcome,
    Result,
    Stage,
    bus_label,
    is_escort,
    leg_label,
    on_board,
    stage_of,
    trip_text,
)
from scheduler.hazards.notify import leaders_and_admins, tell
from scheduler.routine import Context
from storage import audit, people
from storage import bus as store
from storage.bus import BusTrip
from storage.db import SessionFactory
from storage.models import Person


@dataclass(frozen=True)
class Pressed:
    """An escort's press: what happened, and the pressed message as it now reads."""

    outcome: Outcome
    escort: str = "—"  # the bus's escort: NOT_ALLOWED names who counts
    message: OutMessage | None = None  # DONE: the tick list, or what was recorded


async def pressed(
    sessions: SessionFactory,
    ctx: Context,
    press: buttons.Press,
    person: Person,
    now: dt.datetime,
    policy: BusSettings,
    lang: str,
) -> Pressed:
    """The escort's button (实到, 有人未到, a tick, 确认, 车厢已检查), in a transaction of its own."""
    # 车厢检查's button is made for the check, whatever stage its data names
    stage = Stage.CHECK if press.action is buttons.Action.CHECK else press.stage
    async with sessions.begin() as session:
        loaded = await _load(session, ctx, press.trip_id, stage, person, policy)
        if isinstance(loaded, Result):
            result = loaded
        else:
            result = await _step(session, ctx, press, *loaded, stage, person, now)
    escort = result.bus.escort if result.bus else "—"
    if result.outcome is not Outcome.DONE:
        return Pressed(result.outcome, escort)
    return Pressed(result.outcome, escort, _after(press, result, lang, now, ctx.tz))


def _after(
    press: buttons.Press, result: Result, lang: str, now: dt.datetime, tz: dt.tzinfo
) -> OutMessage:
    """The pressed message once the press is done: the tick list, or what was recorded."""
    trip, bus = result.trip, result.bus
    assert trip is not None
    label, leg = bus_label(bus, trip.bus, lang), leg_label(trip.leg, lang)
    if press.action in (buttons.Action.MISSING, buttons.Action.TICK):
        text = t(lang, "bus.tick_title", bus=label, leg=leg)
        rows = buttons.tick_rows(trip, press.stage, candidates(trip, press.stage), lang)
        return OutMessage(text, buttons=rows)
    if press.action is buttons.Action.CHECK:
        time = now.astimezone(tz).strftime("%H:%M")
        who = bus.escort if bus else "—"
        return OutMessage(t(lang, "bus.checked", bus=label, leg=leg, who=who, time=time))
    boarding = press.stage is Stage.BOARD
    present = trip.boarded if boarding else trip.arrived
    expected = (present or 0) + len(result.missing)
    key = "bus.recorded_board" if boarding else "bus.recorded_arrive"
    lines = [t(lang, key, bus=label, leg=leg, expected=expected, present=present)]
    if result.missing:
        lines.append(t(lang, "bus.recorded_missing", names="、".join(result.missing)))
        if not boarding:
            lines.append(t(lang, "bus.recorded_alerted"))
    return OutMessage("\n".join(lines))


async def _load(
    session: AsyncSession,
    ctx: Context,
    trip_id: int,
    stage: Stage,
    person: Person,
    policy: BusSettings,
) -> tuple[BusTrip, BusSettingsEntry] | Result:
    trip = await store.trip_by_id(session, ctx.school_id, trip_id)
    bus = policy.bus(trip.bus) if trip else None
    if trip is None or bus is None:
        return Result(Outcome.NOT_FOUND)
    if not is_escort(person, bus):
        return Result(Outcome.NOT_ALLOWED, trip, bus)
    if stage_of(trip) is not stage:
        return Result(Outcome.STALE, trip, bus)
    return trip, bus


def candidates(trip: BusTrip, stage: Stage) -> list[str]:
    """The riders a count at ``stage`` expects, in the order its buttons list them."""
    return list(trip.riders) if stage is Stage.BOARD else on_board(trip)


async def _step(
    session: AsyncSession,
    ctx: Context,
    press: buttons.Press,
    trip: BusTrip,
    bus: BusSettingsEntry,
    stage: Stage,
    person: Person,
    now: dt.datetime,
) -> Result:
    """The press's step on its trip, once the presser is its escort and the stage is right."""
    match press.action:
        case buttons.Action.ALL:  # 实到 = 应到: one tap when everyone is there
            return await _record(session, ctx, trip, bus, stage, [], person, now)
        case buttons.Action.MISSING:
            # someone is missing: the riders to tick (what was ticked already stays ticked)
            return Result(Outcome.DONE, trip, bus)
        case buttons.Action.TICK:  # tick (or untick) one rider as missing
            if not 0 <= press.index < len(candidates(trip, stage)):
                return Result(Outcome.BAD_COUNT, trip, bus)
            ticked = set(trip.ticked)
            ticked.symmetric_difference_update({press.index})
            trip.ticked = sorted(ticked)  # a new list: the JSON column sees the change
            return Result(Outcome.DONE, trip, bus)
        case buttons.Action.CONFIRM:  # the ticked riders are missing: 实到 = 应到 − ticked
            expected = candidates(trip, stage)
            missing = [expected[i] for i in sorted(set(trip.ticked)) if 0 <= i < len(expected)]
            return await _record(session, ctx, trip, bus, stage, missing, person, now)
        case buttons.Action.CHECK:  # 车厢检查: the escort confirms nobody is left on board
            trip.checked_at, trip.checked_by = now, person.id
            audit.record(
                session, ctx.school_id, person.id, "bus.checked", now, trip_id=trip.id, bus=trip.bus
            )
            return Result(Outcome.DONE, trip, bus)


async def _record(
    session: AsyncSession,
    ctx: Context,
    trip: BusTrip,
    bus: BusSettingsEntry,
    stage: Stage,
    missing: list[str],
    person: Person,
    now: dt.datetime,
) -> Result:
    present = len(candidates(trip, stage)) - len(missing)
    if stage is Stage.BOARD:
        trip.boarded, trip.board_missing = present, missing
        trip.boarded_at, trip.boarded_by = now, person.id
    else:
        trip.arrived, trip.arrive_missing = present, missing
        trip.arrived_at, trip.arrived_by = now, person.id
    trip.ticked = []
    action = "bus.boarded" if stage is Stage.BOARD else "bus.arrived"
    audit.record(
        session,
        ctx.school_id,
        person.id,
        action,
        now,
        trip_id=trip.id,
        bus=trip.bus,
        leg=trip.leg,
        present=present,
        missing=missing,
    )
    await session.flush()
    if missing:
        await _tell_head_teachers(session, ctx, trip, bus, stage, missing, now)
    if stage is Stage.ARRIVE:
        if missing:
            await _alert_leaders(session, ctx, trip, bus, missing, person, now)
        await _ask_check(session, ctx, trip, bus, person, now)
    return Result(Outcome.DONE, trip, bus, tuple(missing))


async def _tell_head_teachers(
    session: AsyncSession,
    ctx: Context,
    trip: BusTrip,
    bus: BusSettingsEntry,
    stage: Stage,
    missing: list[str],
    now: dt.datetime,
) -> None:
    """Each class's head teacher learns which of their pupils were missing, at once."""
    units = {u.name: u for u in await people.units(session, ctx.school_id, "class")}
    by_class: dict[str, list[str]] = defaultdict(list)
    for label in missing:
        class_name, _, name = label.partition(" ")
        by_class[class_name].append(name)
    key = "bus.board_missing_told" if stage is Stage.BOARD else "bus.arrive_missing_told"
    for class_name, names in by_class.items():
        unit = units.get(class_name)
        if unit is None:
            continue
        found = await recipients.head_teachers(session, ctx, unit.id, trip.day)
        names_text = "、".join(names)
        text = trip_text(
            key, bus, trip.bus, trip.leg, unit=class_name, names=names_text, escort=bus.escort
        )
        to = await recipients.privately(session, ctx, found)
        await tell(
            session, ctx, f"bus:{trip.id}:{stage.value}:ht:{unit.id}", to, text, now, urgent=True
        )


async def _alert_leaders(
    session: AsyncSession,
    ctx: Context,
    trip: BusTrip,
    bus: BusSettingsEntry,
    missing: list[str],
    person: Person,
    now: dt.datetime,
) -> None:
    """A child who boarded and did not arrive: the duty leader and the admins at once."""

    text = trip_text(
        "bus.arrive_missing_alert",
        bus,
        trip.bus,
        trip.leg,
        boarded=len(on_board(trip)),
        arrived=trip.arrived,
        names="、".join(missing),
        escort=person.display_name,
    )
    to = await leaders_and_admins(session, ctx, now.astimezone(ctx.tz).date())
    await tell(session, ctx, f"bus:{trip.id}:a:alert", to, text, now, urgent=True)


async def _ask_check(
    session: AsyncSession,
    ctx: Context,
    trip: BusTrip,
    bus: BusSettingsEntry,
    person: Person,
    now: dt.datetime,
) -> None:
    await tell(
        session,
        ctx,
        f"bus:{trip.id}:c:ask",
        await recipients.privately(session, ctx, [person]),
        trip_text("bus.check_asked", bus, trip.bus, trip.leg),
        now,
        buttons=lambda lang: buttons.check_rows(trip.id, lang),
        urgent=True,
    )
