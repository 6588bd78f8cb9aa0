"""Request parameters and their coercion.

Telegram accepts the same call as a JSON body (native types), as
form-urlencoded or as multipart (every value a string, nested objects
JSON-serialised into strings). Every coercion here therefore accepts both the
native JSON value and its string form, so one code path serves all three.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, bad_request

_INT_RE = re.compile(r"^[+-]?\d+$")
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})

# Telegram's own wording for the JSON objects bots most often get wrong.
_JSON_ERRORS = {
    "reply_markup": "can't parse reply keyboard markup JSON object",
    "entities": "can't parse entities JSON object",
    "caption_entities": "can't parse entities JSON object",
}


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes


def json_type_name(value: Any) -> str:
    if isinstance(value, UploadedFile):
        return "InputFile"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return type(value).__name__


class CoercionError(ValueError):
    """A value does not fit the wanted type; callers turn it into a 400 with context."""


def as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise CoercionError("Integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_RE.match(value.strip()):
        return int(value.strip())
    raise CoercionError("Integer")


def as_float(value: Any) -> float:
    if isinstance(value, bool):
        raise CoercionError("Float")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise CoercionError("Float")


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise CoercionError("Boolean")


def as_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    # Telegram stringifies numbers passed where a string is expected.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise CoercionError("String")


def as_json(value: Any) -> Any:
    """A nested object or array: native in JSON bodies, a JSON string in form bodies."""
    if isinstance(value, dict | list):
        return value
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise CoercionError("JSON") from exc
    raise CoercionError("JSON")


def wrong_type(name: str, expected: str, value: Any) -> ApiError:
    if expected == "JSON":
        return bad_request(_JSON_ERRORS.get(name, f"can't parse {name} JSON object"))
    return bad_request(
        f'wrong type of parameter "{name}": expected {expected}, got {json_type_name(value)}'
    )


# Telegram's wording when a required parameter is missing, where it has one.
_MISSING = {
    "chat_id": "chat_id is empty",
    "text": "message text is empty",
    "photo": "there is no photo in the request",
    "document": "there is no document in the request",
    "sticker": "there is no sticker in the request",
    "media": "media is empty",
    "message_id": "message identifier is not specified",
    "callback_query_id": "query_id is empty",
    "user_id": "user_id is empty",
    "file_id": "file_id is empty",
}


def missing(name: str) -> ApiError:
    return bad_request(_MISSING.get(name, f'parameter "{name}" is required'))


class Params:
    """Typed access to one call's parameters.

    Hand-coded methods read through these accessors so they behave the same
    whether or not the spec layer has already coerced the values.
    """

    def __init__(
        self,
        values: Mapping[str, Any],
        uploads: Mapping[str, UploadedFile] | None = None,
    ) -> None:
        self.values: dict[str, Any] = dict(values)
        self.uploads: dict[str, UploadedFile] = dict(uploads or {})

    def has(self, name: str) -> bool:
        value = self.values.get(name)
        return value is not None and value != ""

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def _get(self, name: str, required: bool) -> Any:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise missing(name)
            return None
        return value

    def _coerce(self, name: str, value: Any, convert: Any, expected: str) -> Any:
        try:
            return convert(value)
        except CoercionError as exc:
            raise wrong_type(name, expected, value) from exc

    def integer(
        self, name: str, *, required: bool = False, default: int | None = None
    ) -> int | None:
        value = self._get(name, required)
        if value is None:
            return default
        result: int = self._coerce(name, value, as_int, "Integer")
        return result

    def required_int(self, name: str) -> int:
        value = self.integer(name, required=True)
        assert value is not None
        return value

    def number(self, name: str, *, default: float | None = None) -> float | None:
        value = self._get(name, False)
        if value is None:
            return default
        result: float = self._coerce(name, value, as_float, "Float")
        return result

    def flag(self, name: str, *, default: bool = False) -> bool:
        value = self._get(name, False)
        if value is None:
            return default
        result: bool = self._coerce(name, value, as_bool, "Boolean")
        return result

    def string(self, name: str, *, required: bool = False) -> str | None:
        value = self._get(name, required)
        if value is None:
            return None
        result: str = self._coerce(name, value, as_str, "String")
        return result

    def required_str(self, name: str) -> str:
        value = self.string(name, required=True)
        assert value is not None
        return value

    def text(self, name: str) -> str:
        """A text field where absence means empty (Telegram then rejects it itself)."""
        value = self.values.get(name)
        if value is None:
            return ""
        result: str = self._coerce(name, value, as_str, "String")
        return result

    def chat_id(self, name: str = "chat_id", *, required: bool = True) -> int | str | None:
        value = self._get(name, required)
        if value is None:
            return None
        try:
            return as_int(value)
        except CoercionError:
            pass
        if isinstance(value, str):
            return value
        raise wrong_type(name, "Integer or String", value)

    def json_object(self, name: str) -> dict[str, Any] | None:
        value = self._get(name, False)
        if value is None:
            return None
        parsed = self._coerce(name, value, as_json, "JSON")
        if not isinstance(parsed, dict):
            raise wrong_type(name, "JSON", value)
        return parsed

    def json_array(self, name: str, *, required: bool = False) -> list[Any] | None:
        value = self._get(name, required)
        if value is None:
            return None
        parsed = self._coerce(name, value, as_json, "JSON")
        if not isinstance(parsed, list):
            raise wrong_type(name, "JSON", value)
        return parsed

    def input_file(self, name: str, *, required: bool = True) -> UploadedFile | str | None:
        """An InputFile parameter: an uploaded part, ``attach://<part>``, a file_id or a URL."""
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, UploadedFile):
            return value
        text: str = self._coerce(name, value, as_str, "InputFile or String")
        return self.resolve_attach(text)

    def resolve_attach(self, reference: str) -> UploadedFile | str:
        if reference.startswith("attach://"):
            part = reference[len("attach://") :]
            upload = self.uploads.get(part)
            if upload is None:
                raise bad_request(f'there is no file attached as "{part}" in the request')
            return upload
        return reference
