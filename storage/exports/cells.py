"""What a spreadsheet cell may hold: every .xlsx the bot writes (the record book, the roster
template) puts its values through ``cell_value``.

A text starting with = + - @ (or a tab or carriage return) is a formula to Excel and WPS: a
parent named ``=HYPERLINK("http://…","点我")`` joins by a class link and becomes a live link
in the record book. As OWASP's CSV-injection advice says, such a text is written with a
leading ' so that it reads as text; control characters, which the file format refuses, are
dropped.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from typing import TypeVar

from bot.core.text import clean_text

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
T = TypeVar("T")


def cell_value(value: T) -> T:
    """``value`` as a cell shows it: a text never starts a formula and has no control
    characters; numbers, dates and None are kept as they are."""
    if not isinstance(value, str):
        return value
    text = clean_text(value)
    return "'" + text if text.startswith(FORMULA_START) else text  # type: ignore[return-value]


def clean_strings(value: T) -> T:
    """Every text in ``value`` (records: dataclasses, tuples, lists, dicts) without control
    characters, so neither the workbook nor the Word record book is refused by one of them.
    Data kept before they were dropped on the way in is exported all the same."""
    if isinstance(value, str):
        return clean_text(value)  # type: ignore[return-value]
    if isinstance(value, tuple):
        return tuple(clean_strings(item) for item in value)  # type: ignore[return-value]
    if isinstance(value, list):
        return [clean_strings(item) for item in value]  # type: ignore[return-value]
    if isinstance(value, dict):
        return {key: clean_strings(item) for key, item in value.items()}  # type: ignore[return-value]
    if is_dataclass(value) and not isinstance(value, type):
        changed = {f.name: clean_strings(getattr(value, f.name)) for f in fields(value) if f.init}
        return replace(value, **changed)  # type: ignore[return-value]
    return value
