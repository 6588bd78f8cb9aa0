"""How many phrases of the test table each parser gets right: ours vs dateparser alone.

    python -m bench.dates

Prints what each got wrong, then one JSON line:
{"ours": <share right>, "dateparser_alone": <share right>, "phrases": N}.
dateparser alone is scored fairly but plainly: a failure row is right when it
returns None, a "day" row when its date matches, and a range only when its
single date equals a one-day expected range.
"""

from __future__ import annotations

import json
import warnings
from datetime import date, datetime
from typing import Any

import dateparser

from bot.dates import DateRange, Moment, Reason
from tests.date_phrases import NOW, PHRASES, TZ, Phrase, expected_result, parse_result

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
    ours_right = dateparser_right = 0
    misses: list[tuple[str, str, str, str, str]] = []
    for phrase in PHRASES:
        ours = parse_result(phrase)
        parsed = dateparser_alone(phrase)
        ours_ok = ours == expected_result(phrase)
        dateparser_ok = dateparser_is_right(phrase, parsed)
        ours_right += ours_ok
        dateparser_right += dateparser_ok
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
    total = len(PHRASES)
    print(
        json.dumps(
            {
                "ours": round(ours_right / total, 3),
                "dateparser_alone": round(dateparser_right / total, 3),
                "phrases": total,
            }
        )
    )


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
