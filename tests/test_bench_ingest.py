"""The ingest benchmark end to end, for two people: it runs, and it checks what it claims.

Only that it works is tested here; its figures are for `python -m bench.ingest` to print.
"""

from __future__ import annotations

import pytest

from bench import ingest

pytestmark = pytest.mark.slow


async def test_every_reply_of_two_people_is_delivered_and_stored() -> None:
    result = await ingest.run(persons=2, concurrency=2)
    assert result["updates"] == 2 * ingest.REPLIES_PER_PERSON
    assert (result["zero_reports"], result["incidents"]) == (2, 2)
    assert result["photos"] == result["photo_files"] == 6  # rows, and files with their sha256
    assert result["echo_updates_per_s"] > 0  # the bare bot ran too, for the ratio
    assert len(result["ratio_by_round"]) == 2  # in turns with it, a person a round


async def test_the_stock_sqlite_path_stores_every_reply_too() -> None:
    """``[storage] fast_sqlite = false``, the fallback the bench measures beside the fast path."""
    result = await ingest.run(persons=2, concurrency=2, rounds=1, fast_sqlite=False)
    assert result["fast_sqlite"] is False
    assert result["updates"] == 2 * ingest.REPLIES_PER_PERSON
    assert (result["zero_reports"], result["incidents"]) == (2, 2)
    assert result["photos"] == result["photo_files"] == 6
