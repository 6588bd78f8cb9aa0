"""How many phrases of the test table each parser gets right: ours vs dateparser alone.

    python -m bench.dates

Prints what each got wrong, the share right per family (the first table,
"general", and issue 20's six), then one JSON line:
{"ours": <share right>, "dateparser_alone": <share right>, "phrases": N,
 "families": {family: {"ours": .., "dateparser_alone": .., "phrases": n}},
 "us_per_phrase": {"ours": .., "dateparser_alone": ..}}.
dateparser alone is scored fairly but plainly: a failure row is right when it
returns None, a "day" row when its date matches, and a range only when its
single date equals a one-day expected range. Both parse the same phrases at the
same NOW; ours also gets the school calendar of config.toml, which dateparser
cannot take. Time is the mean over a few passes of the whole table.
"""

from __future__ import annotations

import json
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import dateparser

from bot.core.dates import DateRange, Moment, Reason
from tests.date_phrases import FAMILIES, NOW, PHRASES, TZ, Phrase, expected_result, parse_result

_PASSES = 3

_SETTINGS: dict[str, Any] = {
    "RELATIVE_BASE": NOW.replace(tzinfo=None),
    "TIMEZONE": TZ.key,
    "RETURN_AS_TIMEZONE_AWARE": True,
    "PREFER_DATES_FROM": "future",
}


def dateparser_alone(phrase: Phrase) -> datetime | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its own DeprecationWarnings are noise here
        parsed: datetime | None = dateparser.parse(
            phrase.text, languages=["zh", "en"], settings=_SETTINGS
        )
    return parsed


def dateparser_is_right(phrase: Phrase, parsed: datetime | None) -> bool:
    expected = phrase.expected
    if isinstance(expected, Reason):
        return parsed is None
    if parsed is None:
        return False
    if isinstance(expected, DateRange):
        return expected.start == expected.end == parsed.date()
    if isinstance(expected, datetime):
        return parsed == expected
    return parsed.date() == expected


def _show(value: object) -> str:
    if isinstance(value, Moment):
        return _show(value.at if value.has_time else value.day)
    if isinstance(value, Reason):
        return f"<{value.value}>"
    if isinstance(value, DateRange):
        return f"{value.start}..{value.end}"
    if isinstance(value, datetime):
        return value.astimezone(TZ).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return "<none>" if value is None else repr(value)


def main() -> None:
    right: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # ours, dateparser, phrases
    misses: list[tuple[str, str, str, str, str]] = []
    for phrase in PHRASES:
        ours = parse_result(phrase)
        parsed = dateparser_alone(phrase)
        ours_ok = ours == expected_result(phrase)
        dateparser_ok = dateparser_is_right(phrase, parsed)
        for key in ("all", phrase.family):
            right[key][0] += ours_ok
            right[key][1] += dateparser_ok
            right[key][2] += 1
        if not (ours_ok and dateparser_ok):
            misses.append(
                (
                    phrase.text[:24],
                    phrase.kind,
                    _show(phrase.expected),
                    "ok" if ours_ok else _show(ours),
                    "ok" if dateparser_ok else _show(parsed),
                )
            )
    _print_table(misses)
    speed = {
        "ours": _us_per_phrase(parse_result),
        "dateparser_alone": _us_per_phrase(dateparser_alone),
    }
    families = {name: _shares(right[name]) for name in ("general", *FAMILIES)}
    print(f"{'family':16}{'ours':>8}{'dateparser':>12}{'phrases':>9}")
    for name, share in families.items():
        print(
            f"{name:16}{share['ours']:>8.3f}{share['dateparser_alone']:>12.3f}{share['phrases']:>9}"
        )
    print(f"µs per phrase: ours {speed['ours']}, dateparser alone {speed['dateparser_alone']}")
    print()
    print(json.dumps({**_shares(right["all"]), "families": families, "us_per_phrase": speed}))


def _shares(counts: list[int]) -> dict[str, float]:
    ours, dateparser_right, total = counts
    return {
        "ours": round(ours / total, 3),
        "dateparser_alone": round(dateparser_right / total, 3),
        "phrases": total,
    }


def _us_per_phrase(parse: Callable[[Phrase], object]) -> float:
    for phrase in PHRASES:
        parse(phrase)  # warm caches (regexes, dateparser's languages) out of the timing
    start = time.perf_counter()
    for _ in range(_PASSES):
        for phrase in PHRASES:
            parse(phrase)
    return round((time.perf_counter() - start) / (_PASSES * len(PHRASES)) * 1e6, 1)


def _print_table(rows: list[tuple[str, str, str, str, str]]) -> None:
    header = ("phrase", "kind", "expected", "ours", "dateparser alone")
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print(f"Phrases at least one parser got wrong (now = {NOW:%Y-%m-%d %H:%M %a}):")
    for row in [header, *rows]:
        print("  ".join(_pad(cell, width) for cell, width in zip(row, widths, strict=True)))
    print()


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


if __name__ == "__main__":
    main()
