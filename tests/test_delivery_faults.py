"""Each fault row of issue 15, replayed with the real outbox sender against the emulator over
real HTTP (bench/faults.py, scaled down): nothing lost, no parent's notice sent twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.faults import Timing, run_fault

# The figures, scaled: a 20 s request timeout against a 65 s answer becomes 0.5 s
# against 1 s, a 300 s outage 1 s, a minute's backoff cap 0.3 s.
FAST = Timing(
    request_timeout_s=0.5,
    slow_answer_s=1.0,
    outage_s=1.0,
    max_backoff_s=0.3,
    deadline_s=2.0,
    flood=False,
    settle_timeout_s=30.0,
)


@pytest.fixture
def database(database_url: str) -> str:
    return "" if database_url.startswith("sqlite") else database_url


async def test_dropped_answers_leave_no_parent_with_two_notices_and_none_lost(
    tmp_path: Path, database: str
) -> None:
    row = await run_fault("ambiguous_drop", 200, tmp_path, FAST, database)
    # 5 % of 200 carried out then dropped: each held as uncertain, none sent again.
    assert row.duplicates == 0 and row.lost == 0
    assert 2 <= row.uncertain <= 25
    assert row.delivered == 200  # the dropped ones arrived all the same


async def test_one_slow_answer_stalls_nobody_else_and_is_not_sent_twice(
    tmp_path: Path, database: str
) -> None:
    row = await run_fault("slow_answer", 40, tmp_path, FAST, database)
    assert row.delivered == 40 and row.duplicates == 0 and row.lost == 0
    assert row.uncertain == 1  # its answer came after the timeout: it may have arrived
    assert row.stall_s < FAST.slow_answer_s  # the others went on meanwhile


async def test_after_an_outage_every_parent_gets_the_notice(tmp_path: Path, database: str) -> None:
    row = await run_fault("outage_502", 40, tmp_path, FAST, database)
    assert (row.delivered, row.duplicates, row.lost, row.uncertain) == (40, 0, 0, 0)


async def test_an_outage_past_the_deadline_ends_in_an_admin_alert_not_silence(
    tmp_path: Path, database: str
) -> None:
    row = await run_fault("outage_past_deadline", 30, tmp_path, FAST, database)
    assert (row.delivered, row.lost, row.failed_with_alert) == (0, 0, 30)


async def test_blocked_parents_are_marked_unreachable_and_nothing_is_lost(
    tmp_path: Path, database: str
) -> None:
    row = await run_fault("blocks", 60, tmp_path, FAST, database)
    # 40 injected 403s and 20 parents who really blocked the bot.
    assert (row.unreachable, row.lost, row.delivered) == (60, 0, 0)
