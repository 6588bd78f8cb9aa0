"""The command line: config errors, missing and wrong tokens, the plan listing, the export's
database."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import shlex
import sqlite3
from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from bot.app import close_app, open_app
from bot.cli import app
from bot.core.clock import FakeClock
from bot.core.settings import Secrets, Settings
from bot.serve import run_bot
from emulator.server import EmulatorServer
from storage import duty
from tests import conftest
from tests.conftest import ROOT, SPEC_PATH, local, settings_for
from tests.test_exports import add_person, confirm, plan

runner = CliRunner()


def test_a_wrong_config_names_the_key_the_value_and_what_is_expected(tmp_path: Path) -> None:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    bad = tmp_path / "config.toml"
    bad.write_text(
        text.replace('timezone = "Asia/Shanghai"', 'timezone = "Mars/Olympus"').replace(
            "minutes_before_dismissal = 10", "minutes_before_dismissal = -5"
        ),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["plan", "--config", str(bad)])
    assert result.exit_code == 2
    assert "school.timezone: bad value 'Mars/Olympus'" in result.output
    assert "IANA time zone" in result.output
    assert "education.minutes_before_dismissal: bad value -5" in result.output


def test_run_without_a_token_says_what_to_do(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, ["run", "--config", str(ROOT / "config.toml")])
    assert result.exit_code == 2 and "BOT_TOKEN is not set" in result.output


async def test_run_with_a_wrong_token_stops_with_a_clear_message(
    settings: Settings, capsys
) -> None:  # type: ignore[no-untyped-def]
    async with EmulatorServer(spec_path=SPEC_PATH) as emu:
        code = await run_bot(
            settings, Secrets(), "999999:WRONG-token-not-known-to-the-server", emu.url, False, 30.0
        )
    assert code == 2
    assert "refused the token" in capsys.readouterr().out


def test_plan_json_lists_the_days_events() -> None:
    result = runner.invoke(
        app,
        [
            "plan",
            "--config",
            str(ROOT / "config.toml"),
            "--from",
            "2026-11-27",
            "--to",
            "2026-11-29",
            "--json",
        ],
    )
    assert result.exit_code == 0
    events = json.loads(result.output)
    education = [e for e in events if e["routine"] == "education"]
    assert {e["date"] for e in education} == {"2026-11-27"}  # Friday; the weekend has none
    assert {e["kind"] for e in education} == {"weekend"}
    assert {"date", "time", "routine", "kind", "theme", "target"} <= set(education[0])
    assert education[0]["time"] == "15:20" and education[0]["target"] == "一(1)班"


def test_export_without_the_database_refuses_names_the_path_and_creates_none(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here either
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    missing = tmp_path / "var" / "safety-bot.db"  # config.toml's database, beside it
    result = runner.invoke(
        app, ["export", "--config", str(config), "--from", "2026-11-25", "--to", "2026-11-25"]
    )
    assert result.exit_code == 2
    assert f"No database at {missing}" in result.output
    assert "--config" in result.output and "DATABASE_URL=" in result.output
    assert not missing.exists() and not (tmp_path / "exports").exists()


def test_export_says_which_database_it_read_without_its_password(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://school:s3cret@127.0.0.1:1/safety")
    result = runner.invoke(
        app,
        [
            "export",
            "--config",
            str(ROOT / "config.toml"),
            "--from",
            "2026-11-25",
            "--to",
            "2026-11-25",
        ],
    )
    assert "database: postgresql+asyncpg://school@127.0.0.1:1/safety" in result.output
    assert "s3cret" not in result.output
    assert result.exit_code == 2 and "Cannot open the database" in result.output


def test_the_readme_command_exports_the_demos_records(
    shipped_settings: Settings, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    command = next(
        line.strip()
        for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("DATABASE_URL=") and "safety-bot export" in line
    )
    words = shlex.split(command)
    program = next(i for i, word in enumerate(words) if word.endswith("safety-bot"))
    env = dict(word.split("=", 1) for word in words[:program])
    args = words[program + 1 :]
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # the README's paths are relative to the project's folder
    (tmp_path / "config.toml").write_text(
        (ROOT / "config.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    demo_db = tmp_path / "demo-out" / "demo.db"
    demo_db.parent.mkdir()
    asyncio.run(_a_demo_day(shipped_settings, f"sqlite+aiosqlite:///{demo_db}", tmp_path))

    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert "database: sqlite+aiosqlite:///demo-out/demo.db" in result.output
    workbook = next(Path(line) for line in result.output.splitlines() if line.endswith(".xlsx"))
    sheet = load_workbook(workbook)["1530安全教育"]
    assert any(cell.value == "按时完成" for row in sheet.iter_rows() for cell in row)
    with contextlib.closing(sqlite3.connect(demo_db)) as db:  # every export is audited
        logged = db.execute("SELECT detail FROM audit_log WHERE action = 'export'").fetchall()
    assert [json.loads(d)["via"] for (d,) in logged] == ["safety-bot export"]


async def _a_demo_day(shipped: Settings, database_url: str, tmp_path: Path) -> None:
    """A database as the demo leaves it: a class confirmed its 1530 lesson on the demo's day."""
    settings = settings_for(shipped, database_url, tmp_path)
    day = settings.demo.date
    application = await open_app(settings, clock=FakeClock(local(f"{day} 15:00")))
    try:
        teacher = await add_person(application, "王老师", "head_teacher", "3-2", 1001)
        await plan(application, day)
        application.clock.set(local(f"{day} 15:25"))  # type: ignore[attr-defined]
        await confirm(application, teacher, day, "3-2", [])
    finally:
        await close_app(application)


def test_export_names_the_posts_as_its_config_does(
    shipped_settings: Settings, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "config.toml"
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    config.write_text(text.replace('name = "带班领导"', 'name = "行政值班"'), encoding="utf-8")
    database = f"sqlite+aiosqlite:///{tmp_path / 'school.db'}"
    asyncio.run(_a_rostered_leader(shipped_settings, database, tmp_path))

    result = runner.invoke(
        app,
        ["export", "--config", str(config), "--from", "2026-11-25", "--to", "2026-11-25"],
        env={"DATABASE_URL": database},
    )
    assert result.exit_code == 0, result.output
    workbook = next(Path(line) for line in result.output.splitlines() if line.endswith(".xlsx"))
    roster = load_workbook(workbook)["值班安排"]
    assert [row[1:] for row in roster.iter_rows(min_row=2, values_only=True)] == [
        ("行政值班", "白班、夜班", "赵主任")
    ]


async def _a_rostered_leader(shipped: Settings, database_url: str, tmp_path: Path) -> None:
    application = await open_app(settings_for(shipped, database_url, tmp_path))
    try:
        leader = await conftest.add_person(
            application, "赵主任", "duty_leader", None, 1001, chat=False
        )
        async with application.sessions.begin() as session:
            duty.add_entries(
                session,
                application.school_id,
                [(dt.date(2026, 11, 25), "leader", leader.id)],
                "import",
                None,
                application.now(),
            )
    finally:
        await close_app(application)
