"""Validation of Bot API calls (and, for tests, of our own output) against api.json.

The spec file (PaulSonOfLars/telegram-bot-api-spec format) lists every method
with its fields, and every type with its fields or subtypes. It is read at
start-up from a path given by the caller and never copied into the project.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import bad_request
from .params import (
    CoercionError,
    Params,
    UploadedFile,
    as_bool,
    as_float,
    as_int,
    as_json,
    as_str,
    json_type_name,
    missing,
    wrong_type,
)

_ARRAY_PREFIX = "Array of "
_PRIMITIVES = frozenset({"Integer", "Float", "Boolean", "String", "InputFile", "True"})
# Subtypes announce their discriminator in prose: 'must be photo' or 'always "creator"'.
_CONST_RE = re.compile(r"""(?:must be|always)\s+["“]?([a-z_]+)["”]?""")
_DISCRIMINATOR_FIELDS = ("type", "status", "source")

# A copy of ../shared/telegram-bot-api (source and licence in bot_api/README.md, LICENSE),
# so that a checkout anywhere validates against the same Bot API version.
BUNDLED_SPEC = Path(__file__).resolve().parent / "bot_api" / "api.json"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool


@dataclass(frozen=True, slots=True)
class MethodSpec:
    name: str
    fields: dict[str, FieldSpec]
    required: tuple[str, ...]
    returns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TypeSpec:
    name: str
    fields: dict[str, FieldSpec]
    required: tuple[str, ...]
    subtypes: tuple[str, ...]
    # (field, constant) for subtypes of a union, e.g. ("type", "photo") for InputMediaPhoto.
    discriminator: tuple[str, str] | None
    # KeyboardButton: "For simple text buttons, String can be used instead of this object".
    string_allowed: bool = False


class _Mismatch(Exception):  # noqa: N818 - internal control flow, never escapes this module
    def __init__(self, message: str, depth: int) -> None:
        super().__init__(message)
        self.message = message
        self.depth = depth


def _fields(raw: list[dict[str, Any]]) -> dict[str, FieldSpec]:
    return {
        f["name"]: FieldSpec(f["name"], tuple(f["types"]), bool(f.get("required"))) for f in raw
    }


def _discriminator(raw_fields: list[dict[str, Any]]) -> tuple[str, str] | None:
    for field in raw_fields:
        if field["name"] in _DISCRIMINATOR_FIELDS:
            match = _CONST_RE.search(field.get("description", ""))
            if match:
                return field["name"], match.group(1)
    return None


def _ordered(types: tuple[str, ...]) -> tuple[str, ...]:
    # A string is the most permissive target, so try it last: "123" for
    # ["Integer", "String"] must become an integer.
    if "String" in types and types[-1] != "String":
        return tuple(t for t in types if t != "String") + ("String",)
    return types


def _describe(types: tuple[str, ...]) -> str:
    return " or ".join(types)


class ApiSpec:
    """The parsed spec: method and type tables plus the coercing validator."""

    def __init__(self, version: str, methods: dict[str, MethodSpec], types: dict[str, TypeSpec]):
        self.version = version
        self._methods = methods
        self.types = types

    @classmethod
    def load(cls, path: str | Path) -> ApiSpec:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        methods: dict[str, MethodSpec] = {}
        for name, method in raw["methods"].items():
            fields = _fields(method.get("fields", []))
            methods[name.lower()] = MethodSpec(
                name=name,
                fields=fields,
                required=tuple(f.name for f in fields.values() if f.required),
                returns=tuple(method.get("returns", [])),
            )
        types: dict[str, TypeSpec] = {}
        for name, type_ in raw["types"].items():
            raw_fields = type_.get("fields", [])
            fields = _fields(raw_fields)
            types[name] = TypeSpec(
                name=name,
                fields=fields,
                required=tuple(f.name for f in fields.values() if f.required),
                subtypes=tuple(type_.get("subtypes", [])),
                discriminator=_discriminator(raw_fields),
                string_allowed=any(
                    "String can be used instead of this object" in line
                    for line in type_.get("description", [])
                ),
            )
        return cls(str(raw.get("version", "")), methods, types)

    def method(self, name: str) -> MethodSpec | None:
        """Look a method up the way Telegram does: case-insensitively."""
        return self._methods.get(name.lower())

    @property
    def method_names(self) -> list[str]:
        return [m.name for m in self._methods.values()]

    # ------------------------------------------------------------------ input

    def validate_call(self, method: MethodSpec, params: Params) -> None:
        """Check required fields and coerce every known field in place; raise a 400 ApiError."""
        for name in method.required:
            if not params.has(name):
                raise missing(name)
        values = params.values
        for name, value in values.items():
            field = method.fields.get(name)
            if field is None or value is None:
                continue  # Telegram ignores parameters it does not know
            try:
                values[name] = self._coerce(field.types, value, 0)
            except _Mismatch as exc:
                if exc.depth > 0:
                    raise bad_request(exc.message) from None
                expects_json = any(t not in _PRIMITIVES for t in field.types)
                if expects_json and isinstance(value, str):
                    raise wrong_type(name, "JSON", value) from None
                raise wrong_type(name, _describe(field.types), value) from None

    def _coerce(self, types: tuple[str, ...], value: Any, depth: int) -> Any:
        if len(types) == 1:
            return self._coerce_one(types[0], value, depth)
        best: _Mismatch | None = None
        for type_name in _ordered(types):
            try:
                return self._coerce_one(type_name, value, depth)
            except _Mismatch as exc:
                if best is None or exc.depth > best.depth:
                    best = exc
        assert best is not None
        raise best

    def _coerce_one(self, type_name: str, value: Any, depth: int) -> Any:
        if type_name in _PRIMITIVES:
            return self._coerce_primitive(type_name, value, depth)
        if type_name.startswith(_ARRAY_PREFIX):
            items = self._parse_json(value, list, type_name, depth)
            item_type = (type_name[len(_ARRAY_PREFIX) :],)
            result = []
            for index, item in enumerate(items):
                try:
                    result.append(self._coerce(item_type, item, depth + 1))
                except _Mismatch as exc:
                    if exc.depth > depth + 1:
                        raise
                    raise _Mismatch(
                        f"can't parse {type_name}: item {index}: {exc.message}", depth + 1
                    ) from None
            return result
        type_spec = self.types.get(type_name)
        if type_spec is None:
            return value  # a type the spec does not describe: nothing to check
        if type_spec.string_allowed and isinstance(value, str):
            return value
        obj = self._parse_json(value, dict, type_name, depth)
        if type_spec.subtypes:
            return self._coerce_union(type_spec, obj, depth)
        return self._coerce_object(type_spec, obj, depth)

    def _coerce_primitive(self, type_name: str, value: Any, depth: int) -> Any:
        if type_name == "InputFile":
            if isinstance(value, UploadedFile):
                return value
            raise _Mismatch(f"expected InputFile, got {json_type_name(value)}", depth)
        if isinstance(value, UploadedFile):
            raise _Mismatch(f"expected {type_name}, got InputFile", depth)
        convert = {
            "Integer": as_int,
            "Float": as_float,
            "Boolean": as_bool,
            "True": as_bool,
            "String": as_str,
        }[type_name]
        try:
            return convert(value)
        except CoercionError:
            raise _Mismatch(f"expected {type_name}, got {json_type_name(value)}", depth) from None

    @staticmethod
    def _parse_json(value: Any, kind: type, type_name: str, depth: int) -> Any:
        try:
            parsed = as_json(value)
        except CoercionError:
            raise _Mismatch(f"can't parse {type_name} JSON object", depth) from None
        if not isinstance(parsed, kind):
            raise _Mismatch(f"can't parse {type_name}: expected {kind.__name__}", depth)
        return parsed

    def _coerce_union(self, union: TypeSpec, obj: dict[str, Any], depth: int) -> Any:
        candidates = [self.types[name] for name in union.subtypes if name in self.types]
        tagged = [c for c in candidates if c.discriminator and c.discriminator[0] in obj]
        if tagged:
            field = tagged[0].discriminator[0] if tagged[0].discriminator else ""
            chosen = [c for c in tagged if c.discriminator == (field, obj.get(field))]
            if not chosen:
                raise _Mismatch(
                    f'can\'t parse {union.name}: unsupported {field} "{obj.get(field)}"', depth + 1
                )
            return self._coerce_object(chosen[0], obj, depth)
        best: _Mismatch | None = None
        for candidate in candidates:
            try:
                return self._coerce_object(candidate, obj, depth)
            except _Mismatch as exc:
                if best is None or exc.depth > best.depth:
                    best = exc
        raise best or _Mismatch(f"can't parse {union.name}", depth + 1)

    def _coerce_object(self, type_spec: TypeSpec, obj: dict[str, Any], depth: int) -> Any:
        for name in type_spec.required:
            if name not in obj:
                raise _Mismatch(
                    f'can\'t parse {type_spec.name}: field "{name}" must be specified', depth + 1
                )
        if type_spec.discriminator is not None:
            field, const = type_spec.discriminator
            if obj.get(field) != const:
                raise _Mismatch(
                    f'can\'t parse {type_spec.name}: field "{field}" must be "{const}"', depth + 1
                )
        result: dict[str, Any] = {}
        for name, value in obj.items():
            field_spec = type_spec.fields.get(name)
            if field_spec is None or value is None:
                result[name] = value
                continue
            try:
                result[name] = self._coerce(field_spec.types, value, depth + 2)
            except _Mismatch as exc:
                if exc.depth > depth + 2:
                    raise
                raise _Mismatch(
                    f'can\'t parse {type_spec.name}: field "{name}" must be of type '
                    f"{_describe(field_spec.types)}",
                    depth + 2,
                ) from None
        return result

    # ----------------------------------------------------------------- output

    def check_object(self, type_name: str, value: Any, path: str = "$") -> list[str]:
        """Problems that keep ``value`` from being a valid ``type_name`` (strict, no coercion).

        Used by tests to prove that what the emulator returns is Telegram-shaped.
        """
        if type_name.startswith(_ARRAY_PREFIX):
            if not isinstance(value, list):
                return [f"{path}: expected array, got {json_type_name(value)}"]
            item_type = type_name[len(_ARRAY_PREFIX) :]
            problems: list[str] = []
            for index, item in enumerate(value):
                problems += self.check_object(item_type, item, f"{path}[{index}]")
            return problems
        if type_name in _PRIMITIVES:
            return self._check_primitive(type_name, value, path)
        type_spec = self.types.get(type_name)
        if type_spec is None or (type_spec.string_allowed and isinstance(value, str)):
            return []
        if not isinstance(value, dict):
            return [f"{path}: expected {type_name} object, got {json_type_name(value)}"]
        if type_spec.subtypes:
            attempts = [self.check_object(s, value, path) for s in type_spec.subtypes]
            if any(not problems for problems in attempts):
                return []
            return min(attempts, key=len)
        problems = [
            f"{path}.{name}: required field of {type_name} is missing"
            for name in type_spec.required
            if name not in value
        ]
        if type_spec.discriminator is not None:
            field, const = type_spec.discriminator
            if value.get(field) != const:
                problems.append(f"{path}.{field}: must be {const!r} for {type_name}")
        for name, item in value.items():
            field_spec = type_spec.fields.get(name)
            if field_spec is None:
                continue
            outcomes: list[list[str]] = [
                self.check_object(t, item, f"{path}.{name}") for t in field_spec.types
            ]
            if all(outcomes):
                fewest: list[str] = min(outcomes, key=len)
                problems.extend(fewest)
        return problems

    @staticmethod
    def _check_primitive(type_name: str, value: Any, path: str) -> list[str]:
        ok = {
            "Integer": isinstance(value, int) and not isinstance(value, bool),
            "Float": isinstance(value, int | float) and not isinstance(value, bool),
            "Boolean": isinstance(value, bool),
            "True": value is True,
            "String": isinstance(value, str),
            "InputFile": False,
        }[type_name]
        return [] if ok else [f"{path}: expected {type_name}, got {json_type_name(value)}"]
