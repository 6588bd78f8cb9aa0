"""Text people typed, as it is kept: without control characters.

A Telegram name or message may carry any of them (\\x07, \\x1b, \\x00 …); one in the database
used to make every export of its period fail (openpyxl and Word refuse them), so they are
dropped on the way in (names at join, texts at submission) and again on the way out.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, and DEL; a carriage return becomes a newline.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """``text`` without control characters (tabs and line breaks stay, \\r\\n reads \\n)."""
    if text.isprintable():  # the common case, and the cheapest check
        return text
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
