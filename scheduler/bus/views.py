"""What people read: /bus (the day's trips), and the bus section of /today."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import t
from bot.core.settings import BusSettings, BusSettingsEntry
from scheduler.bus.common import Stage, bus_label, leg_label, stage_of
from scheduler.bus.riders import effective
from scheduler.routine import Context
from storage import bus as store
from storage.bus import BusTrip
from storage.db import SessionFactory


def trip_line(trip: BusTrip, policy: BusSettings, lang: str, tz: dt.tzinfo) -> str:
    """One trip: 应到, 实到 at boarding and arrival, who was missing, the empty-bus check."""

    def hhmm(moment: dt.datetime | None) -> str:
        return moment.astimezone(tz).strftime("%H:%M") if moment else "—"

    def count(value: int | None) -> str:
        return "—" if value is None else str(value)

    line = t(
        lang,
        "bus.trip_line",
        bus=bus_label(policy.bus(trip.bus), trip.bus, lang),
        leg=leg_label(trip.leg, lang),
        expected=len(trip.riders),
        boarded=count(trip.boarded),
        arrived=count(trip.arrived),
        checked=hhmm(trip.checked_at),
    )
    missing = list(trip.board_missing) + [m for m in trip.arrive_missing]
    if missing:
        line += "\n    " + t(lang, "bus.trip_missing", names="、".join(missing))
    if trip.alerted_at is not None:
        line += "\n    " + t(lang, "bus.trip_alerted", time=hhmm(trip.alerted_at))
    return line


async def listing(
    sessions: SessionFactory, ctx: Context, day: dt.date, lang: str, settings: BusSettings
) -> str:
    """/bus: the day's trips, with the imported riders counted."""
    async with sessions() as session:
        policy = await effective(session, ctx.school_id, settings)
        return await day_listing(session, ctx, day, lang, policy)


async def bus_of(
    sessions: SessionFactory, school_id: int, settings: BusSettings, number: int
) -> BusSettingsEntry | None:
    """/bus 2: the bus, with the imported riders in place of config.toml's."""
    async with sessions() as session:
        policy = await effective(session, school_id, settings)
    return policy.bus(number)


async def day_listing(
    session: AsyncSession, ctx: Context, day: dt.date, lang: str, policy: BusSettings
) -> str:
    trips = await store.trips_between(session, ctx.school_id, day, day)
    if not policy.buses:
        return t(lang, "bus.none_configured")
    lines = [t(lang, "bus.listing_title", day=day.isoformat(), buses=len(policy.buses))]
    riders = sum(len(b.riders) for b in policy.buses)
    lines.append(t(lang, "bus.listing_riders", riders=riders))
    lines += [trip_line(trip, policy, lang, ctx.tz) for trip in trips]
    if not trips:
        lines.append(t(lang, "bus.no_trips_yet"))
    return "\n".join(lines)


async def bus_overview(session: AsyncSession, ctx: Context, day: dt.date, lang: str) -> str | None:
    """/today: the day's trips counted and checked, and the open ones named."""
    trips = await store.trips_between(session, ctx.school_id, day, day)
    if not trips:
        return None
    done = [trip for trip in trips if stage_of(trip) is Stage.DONE]
    missing = sum(len(trip.arrive_missing) for trip in trips)
    lines = [t(lang, "bus.today", trips=len(trips), done=len(done), missing=missing)]
    for trip in trips:
        if stage_of(trip) is not Stage.DONE or trip.arrive_missing or trip.alerted_at:
            open_stage = t(lang, f"bus.stage.{stage_of(trip).value}")
            lines.append(
                "  "
                + t(
                    lang,
                    "bus.today_open",
                    bus=trip.bus,
                    leg=leg_label(trip.leg, lang),
                    stage=open_stage,
                )
            )
    return "\n".join(lines)
