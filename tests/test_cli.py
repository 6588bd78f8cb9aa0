"""The command line: config errors, missing and wrong tokens, the plan listing."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from bot.emulator.server import EmulatorServer
from bot.serve import run_bot
from bot.settings import Secrets, Settings
from tests.conftest import ROOT, SPEC_PATH

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
