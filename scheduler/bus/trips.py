"""The tick's part: on each school day, each bus's trip is made at its boarding time and its
escort asked to count (上车清点), asked again at arrival (到达清点); and a trip whose arrival
count or empty-bus check (车厢检查) is still missing [bus].check_minutes after the scheduled
arrival alerts the duty leader and the admins at once: the one alert that never waits for
the escalation ladder. Every message is keyed by the trip, so ticks and restarts send each
once."""

from __future__ import annotations

import datetime as dt

from bot.core.i18n import t
from bot.core.settings import BusSettings, BusSettingsEntry
from scheduler import recipients
from scheduler.bus import buttons
from scheduler.bus.common import Stage, bus_label, leg_label, on_board, riders_of, stage_of, times
from scheduler.bus.riders import effective
from scheduler.hazards.notify import leaders_and_admins, tell
from scheduler.routine import TickContext
from storage import audit
from storage import bus as store
from storage.bus import LEGS, BusTrip
from storage.duty import staff_named
from storage.models import Person


async def run_buses(tick: TickContext) -> int:
    policy = tick.settings.bus
    if not policy.enabled or not policy.buses or not tick.calendar.is_school_day(tick.today):
        return 0
    local = tick.now.astimezone(tick.ctx.tz).replace(tzinfo=None)
    class_names = {c.slug: c.name for c in tick.settings.classes}
    absent: set[str] | None = None
    riding: BusSettings | None = None  # with the imported riders, read when a trip is made
    sent = 0
    for bus in policy.buses:
        for leg in LEGS:
            board_at, arrive_at = (dt.datetime.combine(tick.today, t_) for t_ in times(bus, leg))
            if local < board_at:
                continue
            school_id = tick.ctx.school_id
            trip = await store.trip(
                tick.session, school_id, tick.today, bus.number, leg, for_update=True
            )
            if trip is None:  # the trip's riders: /bus import's in place of config.toml's
                if absent is None or riding is None:
                    absent = await store.absent_on(tick.session, school_id, tick.today)
                    riding = await effective(tick.session, school_id, policy)
                expected, away = riders_of(riding.bus(bus.number) or bus, class_names, absent)
                trip = await store.ensure_trip(
                    tick.session, school_id, tick.today, bus.number, leg, expected, away
                )
            stage = stage_of(trip)
            if stage is Stage.BOARD:
                sent += await _ask_count(tick, trip, bus, Stage.BOARD)
            if local >= arrive_at and stage in (Stage.BOARD, Stage.ARRIVE):
                sent += await _ask_count(tick, trip, bus, Stage.ARRIVE)
            late = arrive_at + dt.timedelta(minutes=policy.check_minutes)
            if local >= late and stage is not Stage.DONE and trip.alerted_at is None:
                sent += await _alert(tick, trip, bus, arrive_at.time())
    return sent


async def _escort(tick: TickContext, bus: BusSettingsEntry) -> list[Person]:
    return await staff_named(tick.session, tick.ctx.school_id, bus.escort)


async def _ask_count(tick: TickContext, trip: BusTrip, bus: BusSettingsEntry, stage: Stage) -> int:
    """The escort's prompt: 应到 N, one tap when all are there, or tick who is missing. The
    arrival prompt expects who boarded (everyone, if boarding was not counted)."""
    expected = len(trip.riders) if stage is Stage.BOARD else len(on_board(trip))
    escorts = await recipients.privately(tick.session, tick.ctx, await _escort(tick, bus))

    def text(lang: str) -> str:
        lines = [
            t(
                lang,
                "bus.board_asked" if stage is Stage.BOARD else "bus.arrive_asked",
                bus=bus_label(bus, trip.bus, lang),
                leg=leg_label(trip.leg, lang),
                expected=expected,
            )
        ]
        if stage is Stage.BOARD and trip.absent:
            lines.append(t(lang, "bus.absent_line", names="、".join(trip.absent)))
        return "\n".join(lines)

    return await tell(
        tick.session,
        tick.ctx,
        f"bus:{trip.id}:{stage.value}:ask",
        escorts,
        text,
        tick.now,
        buttons=lambda lang: buttons.count_rows(trip.id, stage, expected, lang),
    )


async def _alert(tick: TickContext, trip: BusTrip, bus: BusSettingsEntry, due: dt.time) -> int:
    trip.alerted_at = tick.now
    audit.record(
        tick.session,
        tick.ctx.school_id,
        None,
        "bus.check_late",
        tick.now,
        trip_id=trip.id,
        bus=trip.bus,
        leg=trip.leg,
    )
    stage = stage_of(trip)
    escort_known = bool(await _escort(tick, bus))

    def text(lang: str) -> str:
        what = t(lang, "bus.late.count" if stage is not Stage.CHECK else "bus.late.check")
        line = t(
            lang,
            "bus.late_alert",
            bus=bus_label(bus, trip.bus, lang),
            leg=leg_label(trip.leg, lang),
            due=due.strftime("%H:%M"),
            what=what,
            escort=bus.escort,
            driver=bus.driver or "—",
            minutes=tick.settings.bus.check_minutes,
        )
        if not escort_known:
            line += "\n" + t(lang, "bus.escort_unknown", escort=bus.escort)
        return line

    found = await leaders_and_admins(tick.session, tick.ctx, tick.today)
    return await tell(
        tick.session, tick.ctx, f"bus:{trip.id}:late", found, text, tick.now, urgent=True
    )
