"""The inspection rules (隐患排查) on the shipped calendar: which checks fall on which day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.core.settings import ConfigError, Settings, settings_from_dict
from scheduler.calendar import SchoolCalendar
from scheduler.rules.inspections import plan_inspections


def due(settings: Settings, day: str) -> dict[str, str]:
    events = plan_inspections(settings, SchoolCalendar(settings), dt.date.fromisoformat(day))
    return {e.key.rsplit(":", 1)[1]: e.kind for e in events}


def test_the_canteen_checks_its_gas_every_school_day_and_never_on_a_weekend(
    shipped_settings: Settings,
) -> None:
    assert due(shipped_settings, "2026-11-25") == {"canteen-daily": "daily"}
    assert due(shipped_settings, "2026-11-28") == {}  # a Saturday


def test_departments_check_weekly_and_monthly_on_the_first_school_day_of_each(
    shipped_settings: Settings,
) -> None:
    assert due(shipped_settings, "2026-11-23")["general-weekly"] == "weekly"  # Monday
    assert "general-weekly" not in due(shipped_settings, "2026-11-24")
    assert due(shipped_settings, "2026-11-02")["safety-monthly"] == "monthly"
    # October starts with the National Day holiday: the month's first school day is the 8th.
    assert "safety-monthly" not in due(shipped_settings, "2026-10-01")
    assert due(shipped_settings, "2026-10-08")["safety-monthly"] == "monthly"


def test_the_leadership_group_checks_at_the_start_of_term_and_before_holidays(
    shipped_settings: Settings,
) -> None:
    assert due(shipped_settings, "2026-09-01")["leaders"] == "term_start"
    assert due(shipped_settings, "2026-09-30")["leaders"] == "before_holiday"  # 国庆
    assert due(shipped_settings, "2027-01-22")["leaders"] == "before_holiday"  # 寒假
    assert "leaders" not in due(shipped_settings, "2026-11-25")
    assert "leaders" not in due(shipped_settings, "2026-11-27")  # only a weekend follows


def test_a_check_names_its_items_with_their_area_and_its_owner(shipped_settings: Settings) -> None:
    calendar = SchoolCalendar(shipped_settings)
    (event,) = plan_inspections(shipped_settings, calendar, dt.date(2026, 11, 25))
    extra = dict(event.extra)
    assert extra["owner"] == "unit:canteen" and event.target == "canteen"
    assert extra["items"][1] == (
        "gas",
        "燃气泄漏报警器正常（每年检测）",
        "Gas leak alarm works (tested yearly)",
    )
    assert event.at.strftime("%H:%M") == "09:30"


@pytest.mark.parametrize(
    ("check", "message"),
    [
        ({"areas": ["nowhere"], "role": "admin"}, "unknown areas"),
        ({"areas": ["fire"]}, "give one of role, department, person"),
        ({"areas": ["fire"], "department": "library"}, "unknown department 'library'"),
    ],
)
def test_a_check_with_an_unknown_area_owner_or_department_is_refused_at_start(
    shipped_settings: Settings, check: dict[str, object], message: str
) -> None:
    raw = shipped_settings.model_dump(mode="json", exclude={"base_dir"})
    raw["inspections"]["checks"] = [{"id": "x", "zh": "检查", "rhythm": ["daily"], **check}]
    with pytest.raises(ConfigError, match=message):
        settings_from_dict(raw, base_dir=Path("."))


@pytest.mark.parametrize(
    "data",
    [
        "in:²:1:ok",
        "in:１２:1:ok",
        "in:1:1:zz",
        "in:1234567890:1:ok",
        "in:1:1",
        "insp:1:1:ok:x",
        "insp:1:-1:ok",
    ],
)
def test_a_forged_checklist_button_is_not_read_as_a_press(data: str) -> None:
    from scheduler.inspections import Choice, Press

    assert Press.unpack(data) is None
    assert Press(12, 3, Choice.HAZARD).pack() == "insp:12:3:hz"
    assert Press.unpack("insp:12:3:hz") == Press(12, 3, Choice.HAZARD)
    # A button sent before the codec (prefix "in", the same layout) still works.
    assert Press.unpack("in:12:3:hz") == Press(12, 3, Choice.HAZARD)
