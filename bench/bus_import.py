"""Rider import benchmark: reading and checking a rider file (/bus import) as the bot does.

    python -m bench.bus_import

The shipped school; files of 296 riders on 7 buses (the seed school's) and of 2,000 rows
(the reader's limit) on 26, as .xlsx and .csv, each read (``scheduler.bus.riders._read``: the
roster's reader plus the formula scan, the part the handler runs in a worker thread) and
checked (``check_riders``). Prints the milliseconds of each, the last line JSON.
"""

from __future__ import annotations

import io
import json
import statistics
import time
from pathlib import Path

from openpyxl import Workbook

from bot.core.settings import Settings, load_settings, settings_from_dict
from scheduler.bus.riders import _read, check_riders  # read_file runs both in a thread

ROOT = Path(__file__).resolve().parent.parent


def _settings(buses: int) -> Settings:
    shipped = load_settings(ROOT / "config.toml")
    raw = shipped.model_dump(mode="json", exclude={"base_dir"})
    raw["bus"]["buses"] = [
        {"number": n, "plate": f"苏D·{n:05d}", "escort": f"跟车{n}"} for n in range(1, buses + 1)
    ]
    return settings_from_dict(raw, base_dir=shipped.base_dir)


def _rows(count: int, classes: list[str], buses: int) -> list[list[object]]:
    rows: list[list[object]] = [["姓名", "班级", "车号", "站点", "家长电话"]]
    for i in range(count):
        bus = i % buses + 1
        rows.append([f"学生{i:04d}", classes[i % len(classes)], bus, "吕墅村", "13912345678"])
    return rows


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv(rows: list[list[object]]) -> bytes:
    return "\n".join(",".join(str(c) for c in row) for row in rows).encode("utf-8-sig")


def main() -> None:
    figures: dict[str, float] = {}
    for count, buses in ((296, 7), (2000, 26)):  # at most 80 riders a bus
        settings = _settings(buses)
        classes = [c.name for c in settings.classes]
        rows = _rows(count, classes, buses)
        for kind, data in (("xlsx", _xlsx(rows)), ("csv", _csv(rows))):
            read_ms, check_ms = [], []
            for _ in range(5):
                start = time.perf_counter()
                table = _read(data, f"riders.{kind}")
                read_ms.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                result = check_riders(settings, table)
                check_ms.append((time.perf_counter() - start) * 1000)
            assert result.ok and len(result.rows) == count, result.problems[:3]
            figures[f"read_{kind}_{count}_ms"] = round(statistics.median(read_ms), 1)
            figures[f"check_{kind}_{count}_ms"] = round(statistics.median(check_ms), 1)
            print(
                f"{count:5} riders .{kind:4}: read {figures[f'read_{kind}_{count}_ms']:7.1f} ms,"
                f" check {figures[f'check_{kind}_{count}_ms']:6.1f} ms (median of 5)"
            )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
