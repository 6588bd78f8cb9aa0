"""Typed callback data: one codec for every button the bot sends.

In the spirit of aiogram's ``CallbackData`` (a prefix, typed fields, ``pack``/``unpack``, a
filter that hands the handler a typed value), but platform-neutral: domain code builds
buttons with it without importing aiogram, and a DingTalk or WeCom connector can carry the
same strings. A family is a frozen dataclass::

    @dataclass(frozen=True)
    class HazardPress(CallbackData, prefix="hz"):
        action: Action          # a StrEnum: one of its values
        hazard_id: int          # a row id: 1–9 ASCII digits
        arg: str = field(default="", metadata=text(32))  # free text: at most 32 chars

``HazardPress(Action.FIX, 7, "2").pack()`` is ``"hz:fix:7:2"``; ``HazardPress.unpack(data)``
gives the value back, or None for anything that is not one of ours (forged, truncated, an
old prefix no longer served). Field types: ``int`` (non-negative, at most 9 digits: what
fits any integer column), a ``StrEnum``, ``bool`` (``1``/``0``), and ``str`` with a declared
maximum length (``text(n)``, optionally with a check of its own), which may not contain
``:``.

Every family is registered by its prefix, so two cannot share one, and
tests/test_callbacks.py packs each at its largest values against Telegram's 64 bytes.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, ClassVar, Self

MAX_CALLBACK_BYTES = 64
MAX_ID = 999_999_999
_ID = re.compile(r"[0-9]{1,9}")
_PREFIX = re.compile(r"[a-z][a-z0-9_]{0,9}")
_TEXT_LIMIT = "callback_max_chars"
_TEXT_CHECK = "callback_check"
_TEXT_EXAMPLE = "callback_example"

FAMILIES: dict[str, type[CallbackData]] = {}


def text(
    max_chars: int, check: Callable[[str], object] | None = None, largest: str = ""
) -> Mapping[str, Any]:
    """The metadata of a free-text field: ``field(default="", metadata=text(16))``. With
    ``check``, a press whose field it finds false (a stage that does not exist, no date)
    does not unpack; ``largest`` is then the field's longest value that passes it."""
    # (tests/test_callbacks.py packs each family at its largest and unpacks it again)
    return {_TEXT_LIMIT: max_chars, _TEXT_CHECK: check, _TEXT_EXAMPLE: largest}


def parse_id(raw: str) -> int | None:
    """A row id read back from a button: ASCII digits, at most 9; None for a forged one
    (², 58 digits), which then changes nothing."""
    return int(raw) if _ID.fullmatch(raw) else None


class CallbackData:
    """The base of every callback family (a frozen dataclass subclass with a prefix)."""

    prefix: ClassVar[str]
    # Prefixes this family answered to before: buttons already sent keep working.
    legacy_prefixes: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, prefix: str, legacy: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in (prefix, *legacy):
            if not _PREFIX.fullmatch(name):
                raise ValueError(f"callback prefix {name!r}: 1–10 of a-z, 0-9, _")
            if name in FAMILIES and FAMILIES[name].__qualname__ != cls.__qualname__:
                raise ValueError(f"callback prefix {name!r} is taken by {FAMILIES[name]}")
            FAMILIES[name] = cls
        cls.prefix = prefix
        cls.legacy_prefixes = legacy

    # --- packing -------------------------------------------------------------------------

    def pack(self) -> str:
        parts = [self.prefix]
        for spec in _fields(type(self)):
            parts.append(spec.dump(getattr(self, spec.name)))
        packed = ":".join(parts)
        if len(packed.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {packed!r}")
        return packed

    @classmethod
    def unpack(cls, data: str | None) -> Self | None:
        parts = (data or "").split(":")
        if parts[0] != cls.prefix and parts[0] not in cls.legacy_prefixes:
            return None
        specs = _fields(cls)
        if len(parts) != len(specs) + 1:
            return None
        values = []
        for spec, raw in zip(specs, parts[1:], strict=True):
            value = spec.load(raw)
            if value is _INVALID:
                return None
            values.append(value)
        return cls(*values)

    @classmethod
    def filter(cls, **where: Any) -> Callable[[Any], dict[str, Self] | bool]:
        """A filter for a callback query (anything with ``.data``): it hands the handler
        the unpacked value as ``press``, and matches only values whose fields equal
        ``where`` (a field given a tuple matches any of its members)."""

        def check(query: Any) -> dict[str, Self] | bool:
            value = cls.unpack(getattr(query, "data", None))
            if value is None:
                return False
            for name, wanted in where.items():
                got = getattr(value, name)
                if got not in wanted if isinstance(wanted, tuple) else got != wanted:
                    return False
            return {"press": value}

        check.__name__ = f"{cls.__name__}.filter"
        return check

    @classmethod
    def largest(cls) -> Self:
        """The family's longest value (each field at its largest), for the 64-byte test."""
        return cls(*(spec.largest for spec in _fields(cls)))


_INVALID: Any = object()


@dataclasses.dataclass(frozen=True)
class _Field:
    name: str
    kind: type
    max_chars: int = 0
    check: Callable[[str], object] | None = None
    example: str = ""

    def dump(self, value: Any) -> str:
        if self.kind is bool:
            return "1" if value else "0"
        if self.kind is int:
            if not isinstance(value, int) or not 0 <= value <= MAX_ID:
                raise ValueError(f"{self.name}: {value!r} is not a row id (0–{MAX_ID})")
            return str(value)
        if issubclass(self.kind, StrEnum):
            return self.kind(value).value
        raw = str(value)
        if ":" in raw or not raw.isascii() or len(raw) > self.max_chars:
            raise ValueError(f"{self.name}: {raw!r} (ASCII, no ':', ≤ {self.max_chars} chars)")
        if self.check is not None and not self.check(raw):
            raise ValueError(f"{self.name}: {raw!r} would not unpack")
        return raw

    def load(self, raw: str) -> Any:
        if self.kind is bool:
            return {"1": True, "0": False}.get(raw, _INVALID)
        if self.kind is int:
            found = parse_id(raw)
            return _INVALID if found is None else found
        if issubclass(self.kind, StrEnum):
            try:
                return self.kind(raw)
            except ValueError:
                return _INVALID
        if len(raw) > self.max_chars or (self.check is not None and not self.check(raw)):
            return _INVALID
        return raw

    @property
    def largest(self) -> Any:
        if self.kind is bool:
            return True
        if self.kind is int:
            return MAX_ID
        if issubclass(self.kind, StrEnum):
            return max(self.kind, key=lambda member: len(member.value))
        return self.example or "x" * self.max_chars


_SPECS: dict[type, tuple[_Field, ...]] = {}


def _fields(cls: type) -> tuple[_Field, ...]:
    if cls not in _SPECS:
        hints = typing.get_type_hints(cls)
        specs = []
        for f in dataclasses.fields(cls):
            kind = hints[f.name]
            if kind is str and not f.metadata.get(_TEXT_LIMIT):
                raise TypeError(f"{cls.__name__}.{f.name}: a str field needs metadata=text(n)")
            if not (kind in (int, str, bool) or issubclass(kind, StrEnum)):
                raise TypeError(f"{cls.__name__}.{f.name}: int, bool, str or a StrEnum")
            specs.append(
                _Field(
                    f.name,
                    kind,
                    f.metadata.get(_TEXT_LIMIT, 0),
                    f.metadata.get(_TEXT_CHECK),
                    f.metadata.get(_TEXT_EXAMPLE, ""),
                )
            )
        _SPECS[cls] = tuple(specs)
    return _SPECS[cls]
