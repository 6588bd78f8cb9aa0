"""The deadline typed by the author: parsed, in the future and not too far."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.core.dates import ParseFailure, SchoolDays, parse_moment
from bot.core.settings import NoticeSettings

# --- the deadline ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineProblem:
    key: str  # a text key: notice.deadline.past / notice.deadline.too_far / unparsed
    failure: ParseFailure | None = None


def deadline_from_text(
    text: str,
    now: dt.datetime,
    tz: ZoneInfo,
    settings: NoticeSettings,
    calendar: SchoolDays | None = None,
    part_times: Mapping[str, dt.time] | None = None,
) -> dt.datetime | DeadlineProblem:
    """A deadline typed by a person (明天下午5点, 周五, friday 6pm, 下个上学日), in the future and
    not too far. 周五下午 is asked back with the times it may mean, the school's own among them
    (`part_times`, from config [dates])."""
    moment = parse_moment(text, now, tz=tz, calendar=calendar, part_times=part_times)
    if isinstance(moment, ParseFailure):
        return DeadlineProblem("notice.deadline.unparsed", moment)
    at = moment.at
    if not moment.has_time:
        at = dt.datetime.combine(moment.day, settings.deadline_time_if_day_only, tzinfo=tz)
    if at <= now:
        return DeadlineProblem("notice.deadline.past")
    if at > now + dt.timedelta(days=settings.max_deadline_days):
        return DeadlineProblem("notice.deadline.too_far")
    return at.astimezone(dt.UTC)
