from __future__ import annotations

import json

import pytest

from bench import planner


def test_the_bench_runs_for_a_couple_of_schools() -> None:
    result = planner.run(schools=2)
    assert set(result) == {"seconds", "peak_mb", "schools", "events"}
    assert result["schools"] == 2
    # every routine is planned: ~100 school days × (24 classes of 1530 + 27 reporting units)
    assert 2 * 24 * 80 < result["events"] < 2 * (24 * 110 + 27 * 110)


def test_the_variants_differ() -> None:
    first, second = planner.school_variants(2)
    assert first.grades[0].dismissal != second.grades[0].dismissal
    assert first.calendar.days_off != second.calendar.days_off


def test_the_last_line_is_json(capsys: pytest.CaptureFixture[str]) -> None:
    planner.main(["bench.planner", "1"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last)["schools"] == 1
