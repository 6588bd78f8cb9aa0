"""The school's settings (config.toml) and the secrets (environment or .env).

Secrets never live in config.toml: they are read from the environment only, kept as
``SecretStr`` so that a repr or a log line can never show them.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


class ConfigError(Exception):
    """A config.toml that the bot refuses to start with; the message names every bad key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise ValueError("expected a short ASCII id: lowercase letters, digits, '-' or '_'")
    return value


class SchoolSettings(_Strict):
    name: str = Field(min_length=1, max_length=100)
    slug: str = "demo"
    timezone: str = "Asia/Shanghai"
    language: Literal["zh", "en"] = "zh"

    _slug = field_validator("slug")(_check_slug)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("expected an IANA time zone such as 'Asia/Shanghai'") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class StorageSettings(_Strict):
    # Relative paths are resolved against the directory holding config.toml.
    database_url: str = "sqlite+aiosqlite:///var/safety-bot.db"
    media_dir: str = "var/media"
    export_dir: str = "var/exports"
    max_photo_mb: float = Field(default=20.0, gt=0, le=50)
    # SQLite on the loop's thread (storage/sqlite_driver.py, sqlite_session.py: 2/3 of the
    # CPU per update); false: stock aiosqlite and AsyncSession, should an upgrade break them.
    fast_sqlite: bool = True

    @field_validator("database_url")
    @classmethod
    def _supported_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "expected 'sqlite+aiosqlite:///path.db' or 'postgresql+asyncpg://user@host/db'"
            )
        return value


class TelegramSettings(_Strict):
    api_base: str = ""  # empty: api.telegram.org; else another Bot API server (the emulator)
    webhook_url: str = ""  # public https URL when running with --webhook
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    webhook_path: str = "/telegram/webhook"
    # Telegram's documented flood limits; the sender stays just under them.
    messages_per_second: float = Field(default=29.5, gt=0, le=30)
    per_chat_interval_s: float = Field(default=1.02, ge=1.0)
    group_messages_per_minute: int = Field(default=20, ge=1, le=20)


class RedisSettings(_Strict):
    # Empty: one process, everything in the database and in memory (a school's default).
    # Set (or REDIS_URL in the environment, which wins; FSM_REDIS_URL is read too) when
    # several processes serve one bot: conversations (aiogram's RedisStorage), one update of
    # a chat at a time across web workers (RedisEventIsolation), and Telegram's flood limits
    # per bot token (scheduler/flood.py) live there, shared.
    url: str = ""
    # Every key starts with it: several deployments (or tests) may share one Redis.
    prefix: str = Field(default="safety-bot", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")

    @field_validator("url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("expected 'redis://host:6379/0' (or rediss://, unix://), or ''")
        return value


class GradeSettings(_Strict):
    grade: int = Field(ge=1, le=6)
    dismissal: dt.time


class ClassSettings(_Strict):
    slug: str
    name: str = Field(min_length=1, max_length=40)
    grade: int = Field(ge=1, le=6)

    _slug = field_validator("slug")(_check_slug)


class DepartmentSettings(_Strict):
    slug: str
    name: str = Field(min_length=1, max_length=40)

    _slug = field_validator("slug")(_check_slug)


class ExamSpan(_Strict):
    start: dt.date
    end: dt.date


class TermSettings(_Strict):
    name: str
    start: dt.date
    end: dt.date
    # the exam periods, when the school names them: the date parser reads 期中 / 期末 from them
    midterm: ExamSpan | None = None
    final: ExamSpan | None = None

    @model_validator(mode="after")
    def _ordered(self) -> TermSettings:
        if self.end < self.start:
            raise ValueError(
                f"term '{self.name}' ends ({self.end}) before it starts ({self.start})"
            )
        for label, exam in (("midterm", self.midterm), ("final", self.final)):
            if exam is None:
                continue
            if exam.end < exam.start:
                raise ValueError(
                    f"term '{self.name}': its {label} ends ({exam.end}) before it starts"
                    f" ({exam.start})"
                )
            if not self.start <= exam.start <= exam.end <= self.end:
                raise ValueError(
                    f"term '{self.name}': its {label} ({exam.start} to {exam.end}) is not"
                    f" inside the term ({self.start} to {self.end})"
                )
        return self


class DatesSettings(_Strict):
    # The school's own time for a part of the day alone in a deadline (周三下午 → 17:00): offered
    # with the usual readings when a command asks which time was meant. None: not offered.
    morning: dt.time | None = None
    afternoon: dt.time | None = None
    evening: dt.time | None = None


class DayNote(_Strict):
    date: dt.date
    reason: str = ""


class CalendarSettings(_Strict):
    days_off: list[DayNote] = []  # school-specific days without classes (运动会, 校庆)
    extra_days: list[DayNote] = []  # school days the national calendar does not have


class ThemeSettings(_Strict):
    # A theme applies to a month (1-12) or to one ISO week of a year ("2026-W10").
    month: int | None = Field(default=None, ge=1, le=12)
    week: str | None = Field(default=None, pattern=r"^\d{4}-W\d{2}$")
    theme: str = Field(min_length=1, max_length=60)
    points: list[str] = []

    @model_validator(mode="after")
    def _month_or_week(self) -> ThemeSettings:
        if (self.month is None) == (self.week is None):
            raise ValueError("give exactly one of 'month' or 'week'")
        return self


class EducationSettings(_Strict):
    enabled: bool = True
    minutes_before_dismissal: int = Field(default=10, ge=0, le=240)
    deadline_minutes_after_dismissal: int = Field(default=30, ge=0, le=600)
    second_deadline_minutes_after_dismissal: int = Field(default=60, ge=0, le=720)
    weekly_meeting: bool = True
    themes: list[ThemeSettings] = []

    @model_validator(mode="after")
    def _deadlines_ordered(self) -> EducationSettings:
        if self.second_deadline_minutes_after_dismissal < self.deadline_minutes_after_dismissal:
            raise ValueError(
                "second_deadline_minutes_after_dismissal must not be before "
                "deadline_minutes_after_dismissal"
            )
        return self


class ZeroReportSettings(_Strict):
    enabled: bool = True
    prompt: dt.time = dt.time(14, 30)
    remind: dt.time = dt.time(15, 30)
    escalate: dt.time = dt.time(16, 30)
    rollup: dt.time = dt.time(17, 30)
    # Who is told what (roles: duty_leader, admin); the missing units go to the duty leaders.
    incident_to: list[Literal["duty_leader", "admin"]] = ["duty_leader"]
    urgent_to: list[Literal["duty_leader", "admin"]] = ["duty_leader", "admin"]
    rollup_to: list[Literal["duty_leader", "admin"]] = ["admin"]

    @model_validator(mode="after")
    def _ordered(self) -> ZeroReportSettings:
        if not self.prompt <= self.remind <= self.escalate <= self.rollup:
            raise ValueError("expected prompt <= remind <= escalate <= rollup")
        return self


class DutyShiftSettings(_Strict):
    slug: str
    name: str = Field(min_length=1, max_length=20)
    name_en: str = Field(default="", max_length=40)
    start: dt.time
    end: dt.time  # at or before ``start``: the shift ends the next day

    _slug = field_validator("slug")(_check_slug)


class DutyPostSettings(_Strict):
    slug: str
    name: str = Field(min_length=1, max_length=20)
    name_en: str = Field(default="", max_length=40)
    # Consecutive shifts of one duty day this post covers; empty for gate duty.
    shifts: list[str] = []
    gate: bool = False  # 护学岗: the arrival and dismissal windows of school days
    max_people: int = Field(default=1, ge=1, le=20)
    handover_to: str = ""  # the post taking over when this post's shifts end; "" for none
    # Parents may hold it too (家长志愿者, e.g. at the gate); otherwise staff only.
    volunteers: bool = False

    _slug = field_validator("slug")(_check_slug)


class ChecklistItemSettings(_Strict):
    id: str
    zh: str = Field(min_length=1, max_length=30)
    en: str = Field(min_length=1, max_length=60)

    _id = field_validator("id")(_check_slug)


def _default_shifts() -> list[DutyShiftSettings]:
    return [
        DutyShiftSettings(
            slug="day", name="白班", name_en="day shift", start=dt.time(7, 30), end=dt.time(17, 30)
        ),
        DutyShiftSettings(
            slug="night",
            name="夜班",
            name_en="night shift",
            start=dt.time(17, 30),
            end=dt.time(7, 30),
        ),
    ]


def _default_posts() -> list[DutyPostSettings]:
    day_night = ["day", "night"]
    rows = [  # slug, name, name_en, shifts, handover_to
        ("leader", "带班领导", "leader on duty", day_night, "leader"),
        ("teacher", "值班教师", "teacher on duty", ["day"], "night"),
        ("night", "夜间值班", "night duty", ["night"], "teacher"),
        ("guard", "值班保安", "guard on duty", day_night, "guard"),
    ]
    posts = [
        DutyPostSettings(slug=slug, name=zh, name_en=en, shifts=shifts, handover_to=to)
        for slug, zh, en, shifts, to in rows
    ]
    gate = DutyPostSettings(
        slug="gate", name="护学岗", name_en="gate duty", gate=True, max_people=8, volunteers=True
    )
    return [*posts, gate]


def _default_checklist() -> list[ChecklistItemSettings]:
    items = [
        ("gate", "校门及围墙", "Gate and fences"),
        ("fire", "消防设施", "Fire equipment"),
        ("utilities", "水电气", "Water, power and gas"),
        ("patrol", "巡查完成", "Patrol done"),
        ("visitors", "来访登记", "Visitors logged"),
        ("incidents", "突发情况", "Incidents"),
    ]
    return [ChecklistItemSettings(id=i, zh=zh, en=en) for i, zh, en in items]


class DutySettings(_Strict):
    enabled: bool = True
    shifts: list[DutyShiftSettings] = Field(default_factory=_default_shifts)
    posts: list[DutyPostSettings] = Field(default_factory=_default_posts)
    gate_morning_start: dt.time = dt.time(7, 20)
    gate_morning_end: dt.time = dt.time(8, 0)
    gate_minutes_before_dismissal: int = Field(default=10, ge=0, le=120)
    gate_minutes_after_dismissal: int = Field(default=20, ge=0, le=120)
    evening_reminder: dt.time = dt.time(20, 0)  # the day before a duty day
    remind_minutes_before: int = Field(default=30, ge=0, le=720)
    gate_remind_minutes_before: int = Field(default=10, ge=0, le=240)
    handover_grace_minutes: int = Field(default=15, ge=1, le=720)
    confirm_grace_minutes: int = Field(default=15, ge=1, le=720)
    checklist: list[ChecklistItemSettings] = Field(
        default_factory=_default_checklist, min_length=1, max_length=12
    )

    @model_validator(mode="after")
    def _consistent(self) -> DutySettings:
        _unique("duty.shifts", [s.slug for s in self.shifts])
        _unique("duty.posts", [p.slug for p in self.posts])
        _unique("duty.checklist", [c.id for c in self.checklist])
        shifts = {s.slug: s for s in self.shifts}
        posts = {p.slug: p for p in self.posts}
        if "leader" not in posts or posts["leader"].gate:
            raise ValueError("duty.posts needs a 'leader' post (the leader on duty gets alerts)")
        if posts["leader"].volunteers:
            raise ValueError("duty.posts 'leader': the leader on duty is staff (no volunteers)")
        for post in self.posts:
            _check_post(post, shifts, posts)
        if self.gate_morning_end <= self.gate_morning_start:
            raise ValueError("duty.gate_morning_end must be after gate_morning_start")
        return self


def _unique(where: str, slugs: list[str]) -> None:
    repeated = sorted({s for s in slugs if slugs.count(s) > 1})
    if repeated:
        raise ValueError(f"{where}: ids must be unique, repeated: {repeated}")


def _check_post(
    post: DutyPostSettings,
    shifts: dict[str, DutyShiftSettings],
    posts: dict[str, DutyPostSettings],
) -> None:
    where = f"duty.posts '{post.slug}'"
    if post.gate == bool(post.shifts):
        raise ValueError(f"{where}: give either shifts or gate = true")
    unknown = [s for s in post.shifts if s not in shifts]
    if unknown:
        raise ValueError(f"{where}: unknown shifts {unknown}; [[duty.shifts]] has {list(shifts)}")
    for first, second in zip(post.shifts, post.shifts[1:], strict=False):
        if shifts[first].end != shifts[second].start:
            raise ValueError(f"{where}: shift '{second}' does not start when '{first}' ends")
    if not post.handover_to:
        return
    successor = posts.get(post.handover_to)
    if successor is None or successor.gate:
        raise ValueError(f"{where}: handover_to '{post.handover_to}' is not a shift post")
    if post.max_people != 1 or successor.max_people != 1:
        raise ValueError(f"{where}: a handover needs one person on each side (max_people = 1)")
    if shifts[successor.shifts[0]].start != shifts[post.shifts[-1]].end:
        raise ValueError(
            f"{where}: '{post.handover_to}' must start when '{post.slug}' ends to take over"
        )


class InviteSettings(_Strict):
    ttl_hours: int = Field(default=72, ge=1, le=24 * 60)
    max_uses: int = Field(default=1, ge=1, le=2000)
    parent_max_uses: int = Field(default=80, ge=1, le=2000)


class PrivacySettings(_Strict):
    # Children's data (PIPL): a guardian who joins by a class link reads ``consent_text`` and
    # presses 同意 before anything else about them is kept or any notice reaches them ("" = no
    # consent asked). A new ``consent_version`` asks everyone again at their next message.
    # Photos and pupils' data older than ``retention_days`` are deleted daily (0 = kept).
    consent_text: str = Field(default="", max_length=2000)
    consent_version: str = Field(default="1", min_length=1, max_length=32)
    retention_days: int = Field(default=0, ge=0, le=36500)


class NoticeSettings(_Strict):
    # One reminder to parents who have not pressed 已阅知晓 this long before the deadline
    # (0: no reminder); a deadline typed as a day only ("周五") means this time of that day.
    reminder_hours_before_deadline: float = Field(default=24.0, ge=0, le=24 * 14)
    deadline_time_if_day_only: dt.time = dt.time(20, 0)
    max_deadline_days: int = Field(default=60, ge=1, le=366)
    progress_every_s: float = Field(default=2.0, gt=0, le=60)


class InspectionItemSettings(_Strict):
    zh: str = Field(min_length=1, max_length=40)
    en: str = Field(default="", max_length=80)


class InspectionAreaSettings(_Strict):
    """An area and its checklist (消防, 校舍, 食堂燃气 …); 有隐患 on an item raises a hazard of
    ``category`` at ``place`` ("" : the finder is asked where)."""

    id: str
    zh: str = Field(min_length=1, max_length=12)
    en: str = Field(default="", max_length=40)
    category: str = "other"
    place: str = Field(default="", max_length=100)
    items: list[InspectionItemSettings] = Field(min_length=1, max_length=12)

    _id = field_validator("id")(_check_slug)


InspectionRhythm = Literal["daily", "weekly", "monthly", "term_start", "before_holiday"]


class InspectionCheckSettings(_Strict):
    """Who checks which areas and when: 责任人每日查 (daily), 处室自己组织查 (weekly, monthly),
    学校领导小组集中查 (term_start, before_holiday). The owner is one of a role, a department
    (its staff) or a person named as on the roster."""

    id: str
    zh: str = Field(min_length=1, max_length=30)
    en: str = Field(default="", max_length=60)
    areas: list[str] = Field(min_length=1)
    rhythm: list[InspectionRhythm] = Field(min_length=1)
    role: Literal[
        "", "admin", "duty_leader", "safety_officer", "teacher", "head_teacher", "guard"
    ] = ""
    department: str = ""
    person: str = Field(default="", max_length=40)
    at: dt.time | None = None  # None: [inspections].at
    remind: dt.time | None = None
    escalate: dt.time | None = None

    _id = field_validator("id")(_check_slug)

    @model_validator(mode="after")
    def _one_owner(self) -> InspectionCheckSettings:
        if sum(bool(o) for o in (self.role, self.department, self.person)) != 1:
            raise ValueError(
                f"inspections.checks '{self.id}': give one of role, department, person"
            )
        return self


class InspectionSettings(_Strict):
    """Inspections (隐患排查): each due check is a task listing its areas' items; each item is
    answered 正常 or 有隐患 (which raises a hazard with the item filled in)."""

    enabled: bool = True
    at: dt.time = dt.time(8, 30)
    remind: dt.time = dt.time(11, 30)
    escalate: dt.time = dt.time(15, 0)
    areas: list[InspectionAreaSettings] = []
    checks: list[InspectionCheckSettings] = []

    @model_validator(mode="after")
    def _consistent(self) -> InspectionSettings:
        _unique("inspections.areas", [a.id for a in self.areas])
        _unique("inspections.checks", [c.id for c in self.checks])
        known = {a.id for a in self.areas}
        for check in self.checks:
            unknown = [a for a in check.areas if a not in known]
            if unknown:
                raise ValueError(f"inspections.checks '{check.id}': unknown areas {unknown}")
            if len(self.items_of(check)) > 24:
                raise ValueError(f"inspections.checks '{check.id}': at most 24 items in all")
            at = check.at or self.at
            if not at <= (check.remind or self.remind) <= (check.escalate or self.escalate):
                raise ValueError(
                    f"inspections.checks '{check.id}': expected at <= remind <= escalate"
                )
        return self

    def area(self, area_id: str) -> InspectionAreaSettings | None:
        return next((a for a in self.areas if a.id == area_id), None)

    def items_of(
        self, check: InspectionCheckSettings
    ) -> list[tuple[InspectionAreaSettings, InspectionItemSettings]]:
        return [(a, i) for a in self.areas if a.id in check.areas for i in a.items]


class HazardCategorySettings(_Strict):
    id: str
    zh: str = Field(min_length=1, max_length=20)
    en: str = Field(min_length=1, max_length=40)
    urgent: bool = False  # gas, electricity, structure: the duty leader and admins at once

    _id = field_validator("id")(_check_slug)


def _default_hazard_categories() -> list[HazardCategorySettings]:
    rows = [
        ("fire", "校园消防", "Fire safety", False),
        ("building", "校舍", "Buildings", False),
        ("equipment", "设施设备", "Facilities and equipment", False),
        ("security", "校园三防", "Security", False),
        ("gas", "燃气", "Gas", True),
        ("power", "用电", "Electricity", True),
        ("structure", "建筑结构", "Structure", True),
        ("exits", "疏散通道", "Evacuation routes", False),
        ("other", "其他", "Other", False),
    ]
    return [HazardCategorySettings(id=i, zh=zh, en=en, urgent=u) for i, zh, en, u in rows]


class HazardSettings(_Strict):
    """Hazards (隐患排查整改): raised, assigned with a deadline, fixed, verified, signed."""

    enabled: bool = True
    remind_days_before: int = Field(default=1, ge=0, le=30)  # the owner, before the deadline
    chase_at: dt.time = dt.time(8, 0)  # reminders and overdue escalations go out at this time
    max_deadline_days: int = Field(default=90, ge=1, le=366)
    fix_photo_required: bool = True  # 已整改 needs an "after" photo
    categories: list[HazardCategorySettings] = Field(default_factory=_default_hazard_categories)


class BusRiderSettings(_Strict):
    """A pupil who rides a bus: the minimum a school needs (class and name, no ID number)."""

    unit: str  # the class's slug
    name: str = Field(min_length=1, max_length=20)


class BusSettingsEntry(_Strict):
    """One school bus (校车) and its riders; times are the scheduled boarding (the last stop
    in the morning, the school gate in the afternoon) and arrival of each trip."""

    number: int = Field(ge=1, le=99)
    plate: str = Field(min_length=1, max_length=20)
    company: str = Field(default="", max_length=40)
    driver: str = Field(default="", max_length=20)
    escort: str = Field(min_length=1, max_length=40)  # 跟车老师: a staff member's name
    route: str = Field(default="", max_length=200)  # the stops, in order
    morning_board: dt.time = dt.time(7, 0)
    morning_arrive: dt.time = dt.time(7, 40)
    afternoon_board: dt.time = dt.time(16, 40)
    afternoon_arrive: dt.time = dt.time(17, 30)
    riders: list[BusRiderSettings] = Field(default=[], max_length=80)

    @model_validator(mode="after")
    def _ordered(self) -> BusSettingsEntry:
        if not self.morning_board < self.morning_arrive <= self.afternoon_board:
            raise ValueError(
                f"bus {self.number}: expected morning_board < morning_arrive <= afternoon_board"
            )
        if not self.afternoon_board < self.afternoon_arrive:
            raise ValueError(f"bus {self.number}: afternoon_arrive must be after afternoon_board")
        seen = [(r.unit, r.name) for r in self.riders]
        repeated = sorted({f"{u} {n}" for u, n in seen if seen.count((u, n)) > 1})
        if repeated:
            raise ValueError(f"bus {self.number}: riders listed twice: {repeated}")
        return self


class BusSettings(_Strict):
    """School buses (校车): the escort counts riders at boarding and arrival and checks the
    empty bus; a missing count or check this many minutes after arrival alerts at once."""

    enabled: bool = True
    check_minutes: int = Field(default=5, ge=1, le=60)
    buses: list[BusSettingsEntry] = []

    @model_validator(mode="after")
    def _unique(self) -> BusSettings:
        _unique("bus.buses", [str(b.number) for b in self.buses])
        return self

    def bus(self, number: int) -> BusSettingsEntry | None:
        return next((b for b in self.buses if b.number == number), None)


class DrillSettingsEntry(_Strict):
    """One emergency drill (应急疏散演练) and its plan (方案)."""

    date: dt.date
    time: dt.time = dt.time(10, 0)
    theme: str = Field(default="", max_length=60)  # "" : the month's 1530 theme
    signal: str = Field(default="", max_length=100)  # 演练信号, e.g. 连续三声长哨
    routes: list[str] = Field(default=[], max_length=40)  # per class or floor
    assembly: str = Field(default="", max_length=60)  # 集合地点
    commander: str = Field(min_length=1, max_length=40)  # 总指挥: a staff member's name
    marshals: list[str] = Field(default=[], max_length=20)  # 各楼层疏导, "一楼：王老师"
    counters: list[str] = Field(default=[], max_length=20)  # 清点人数


class DrillSettings(_Strict):
    """Monthly drills: the plan to staff the school day before at ``notice_at``, head
    teachers reminded at ``remind_at`` on the day, headcounts due ``report_minutes`` after
    the start."""

    enabled: bool = True
    notice_at: dt.time = dt.time(15, 0)
    remind_at: dt.time = dt.time(7, 50)
    report_minutes: int = Field(default=10, ge=1, le=120)
    plans: list[DrillSettingsEntry] = []

    @model_validator(mode="after")
    def _unique(self) -> DrillSettings:
        _unique("drills.plans", [d.date.isoformat() for d in self.plans])
        return self


class DemoSettings(_Strict):
    date: dt.date = dt.date(2026, 11, 25)
    parents_per_class: int = Field(default=3, ge=0, le=60)
    seconds_per_school_hour: float = Field(default=2.0, gt=0)


class Settings(_Strict):
    school: SchoolSettings
    storage: StorageSettings = StorageSettings()
    telegram: TelegramSettings = TelegramSettings()
    redis: RedisSettings = RedisSettings()
    grades: list[GradeSettings]
    classes: list[ClassSettings]
    departments: list[DepartmentSettings] = []
    terms: list[TermSettings]
    calendar: CalendarSettings = CalendarSettings()
    dates: DatesSettings = DatesSettings()
    education: EducationSettings = EducationSettings()
    zero_report: ZeroReportSettings = ZeroReportSettings()
    duty: DutySettings = DutySettings()
    invites: InviteSettings = InviteSettings()
    notices: NoticeSettings = NoticeSettings()
    privacy: PrivacySettings = PrivacySettings()
    hazards: HazardSettings = HazardSettings()
    inspections: InspectionSettings = InspectionSettings()
    bus: BusSettings = BusSettings()
    drills: DrillSettings = DrillSettings()
    demo: DemoSettings = DemoSettings()

    # Set by load_settings: where relative paths are resolved.
    base_dir: Path = Path(".")

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        grades = {g.grade for g in self.grades}
        for index, cls in enumerate(self.classes):
            if cls.grade not in grades:
                raise ValueError(
                    f"classes[{index}] ('{cls.name}') has grade {cls.grade}, "
                    f"but [[grades]] defines only {sorted(grades)}"
                )
        slugs = [c.slug for c in self.classes] + [d.slug for d in self.departments]
        duplicates = sorted({s for s in slugs if slugs.count(s) > 1})
        if duplicates:
            raise ValueError(f"class/department slugs must be unique, repeated: {duplicates}")
        self._inspections_consistent()
        classes = {c.slug for c in self.classes}
        for bus in self.bus.buses:
            unknown = sorted({r.unit for r in bus.riders} - classes)
            if unknown:
                raise ValueError(f"bus {bus.number}: riders of unknown classes {unknown}")
        return self

    def _inspections_consistent(self) -> None:
        departments = {d.slug for d in self.departments}
        categories = {c.id for c in self.hazards.categories}
        for area in self.inspections.areas:
            if area.category not in categories:
                raise ValueError(
                    f"inspections.areas '{area.id}': category '{area.category}' is not one of "
                    f"[hazards] categories {sorted(categories)}"
                )
        for check in self.inspections.checks:
            if check.department and check.department not in departments:
                raise ValueError(
                    f"inspections.checks '{check.id}': unknown department '{check.department}'"
                )

    def dismissal(self, grade: int) -> dt.time:
        for g in self.grades:
            if g.grade == grade:
                return g.dismissal
        raise KeyError(grade)

    def resolve(self, relative: str) -> Path:
        path = Path(relative)
        return path if path.is_absolute() else self.base_dir / path

    @property
    def database_url(self) -> str:
        url = self.storage.database_url
        prefix = "sqlite+aiosqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/"):
            path = url[len(prefix) :]
            if path and path != ":memory:":
                return prefix + str(self.resolve(path))
        return url


class Secrets(BaseSettings):
    """Read from the environment or .env; never from config.toml, never logged."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    bot_token: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    database_url: SecretStr | None = (
        None  # overrides [storage].database_url (it may hold a password)
    )
    # overrides [redis].url (it may hold a password); FSM_REDIS_URL, its older name, too
    redis_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("redis_url", "fsm_redis_url")
    )


def load_settings(path: Path | str) -> Settings:
    """Parse and validate config.toml, or raise ConfigError naming each bad key."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return settings_from_dict(raw, base_dir=path.resolve().parent, source=str(path))


def settings_from_dict(raw: dict[str, Any], *, base_dir: Path, source: str = "config") -> Settings:
    try:
        return Settings.model_validate({**raw, "base_dir": base_dir})
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source)) from None


def format_validation_error(exc: ValidationError, source: str) -> str:
    lines = [f"{source}: {exc.error_count()} problem(s):"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        value = error.get("input")
        shown = repr(value) if not isinstance(value, dict) else "{…}"
        if len(shown) > 80:
            shown = shown[:77] + "…"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            lines.append(f"  - {key}: missing; this key is required")
        elif error["type"] == "extra_forbidden":
            lines.append(f"  - {key}: unknown key (value {shown}); check the spelling")
        else:
            lines.append(f"  - {key}: bad value {shown}: {message}")
    return "\n".join(lines)
