"""The one callback codec: every button's data packs, unpacks and fits Telegram's 64 bytes."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from enum import StrEnum
from types import SimpleNamespace

import pytest

import handlers
import scheduler
from bot.core.callbacks import FAMILIES, MAX_CALLBACK_BYTES, CallbackData, text


class Choice(StrEnum):
    YES = "y"
    NO = "n"


@dataclass(frozen=True)
class Sample(CallbackData, prefix="zzsample", legacy=("zzold",)):
    choice: Choice
    task_id: int
    urgent: bool = False
    note: str = field(default="", metadata=text(8))


def _every_family() -> dict[str, type[CallbackData]]:
    """Import every module of scheduler/ and handlers/, so every family is registered."""
    for package in (scheduler, handlers):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(info.name)
    return FAMILIES


def test_a_press_packs_to_a_readable_string_and_unpacks_to_the_same_value() -> None:
    press = Sample(Choice.NO, 42, True, "r2")
    assert press.pack() == "zzsample:n:42:1:r2"
    assert Sample.unpack("zzsample:n:42:1:r2") == press
    assert Sample.unpack("zzold:y:7:0:") == Sample(Choice.YES, 7)  # a button sent before


@pytest.mark.parametrize(
    "forged",
    [
        None,
        "",
        "zzsample:n:42:1",  # truncated
        "zzsample:n:42:1:r2:x",  # one field too many
        "zzsample:maybe:42:1:",  # not a choice
        "zzsample:n:1234567890:1:",  # ten digits: no row has that id
        "zzsample:n:²:1:",  # a digit that is not ASCII
        "zzsample:n:-1:1:",
        "zzsample:n:4:2:",  # not a bool
        "zzsample:n:4:1:123456789",  # text over its length
        "other:n:4:1:",
    ],
)
def test_a_forged_or_truncated_press_unpacks_to_nothing(forged: str | None) -> None:
    assert Sample.unpack(forged) is None


def test_a_value_that_cannot_be_sent_is_refused_when_built() -> None:
    with pytest.raises(ValueError):
        Sample(Choice.NO, -1).pack()
    with pytest.raises(ValueError):
        Sample(Choice.NO, 1, note="a:b").pack()
    with pytest.raises(ValueError):
        Sample(Choice.NO, 1, note="太长").pack()


def test_the_filter_hands_the_handler_a_typed_press_and_checks_the_fields_asked_for() -> None:
    query = SimpleNamespace(data="zzsample:y:9:0:")
    assert Sample.filter()(query) == {"press": Sample(Choice.YES, 9)}
    assert Sample.filter(choice=Choice.YES)(query) == {"press": Sample(Choice.YES, 9)}
    assert Sample.filter(choice=Choice.NO)(query) is False
    assert Sample.filter(choice=(Choice.NO, Choice.YES))(query)
    assert Sample.filter()(SimpleNamespace(data="zzsample:y:x:0:")) is False


def test_two_families_cannot_share_a_prefix() -> None:
    with pytest.raises(ValueError, match="taken"):

        @dataclass(frozen=True)
        class Clash(CallbackData, prefix="zzsample"):
            n: int


def test_every_family_at_its_largest_values_fits_in_64_bytes_and_reads_back() -> None:
    families = {p: f for p, f in _every_family().items() if not p.startswith("zz")}
    assert families, "no callback family registered"
    for family in set(families.values()):
        largest = family.largest()
        packed = largest.pack()
        assert len(packed.encode()) <= MAX_CALLBACK_BYTES, packed
        assert family.unpack(packed) == largest


@dataclass(frozen=True)
class Checked(CallbackData, prefix="zzchecked"):
    day: str = field(
        metadata=text(8, check=lambda d: d.isdigit() and len(d) == 8, largest="20991231")
    )


def test_a_checked_field_unpacks_only_what_its_check_accepts_and_packs_nothing_else() -> None:
    assert Checked.unpack("zzchecked:20261207") == Checked("20261207")
    assert Checked.unpack("zzchecked:2026120x") is None
    assert Checked.largest() == Checked("20991231")
    with pytest.raises(ValueError, match="would not unpack"):
        Checked("tomorrow").pack()
