"""Texts in zh-CN and English, kept in bot/locales/*.toml, one file per routine.

Each file holds tables ``[key]`` with ``zh`` and ``en`` strings using ``{name}`` placeholders.
A leaf module: the domain may import it (it imports nothing of the project).
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

LOCALES_DIR = Path(__file__).resolve().parents[1] / "locales"  # bot/locales
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


@cache
def catalog() -> dict[str, dict[str, str]]:
    texts: dict[str, dict[str, str]] = {}
    for path in sorted(LOCALES_DIR.glob("*.toml")):
        for key, entry in tomllib.loads(path.read_text(encoding="utf-8")).items():
            if key in texts:
                raise ValueError(f"text key {key!r} defined twice (again in {path.name})")
            missing = [lang for lang in LANGUAGES if lang not in entry]
            if missing:
                raise ValueError(f"text key {key!r} in {path.name} lacks {missing}")
            texts[key] = entry
    return texts


def t(lang: str | None, key: str, **params: Any) -> str:
    entry = catalog()[key]
    template = entry.get(lang or DEFAULT_LANGUAGE) or entry[DEFAULT_LANGUAGE]
    return template.format(**params) if params else template
