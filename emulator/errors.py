"""Errors that become Telegram-shaped error responses (``{"ok": false, ...}``)."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API failure with Telegram's HTTP status, wording and optional parameters."""

    def __init__(
        self,
        error_code: int,
        description: str,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            payload["parameters"] = self.parameters
        return payload


class DropConnection(Exception):  # noqa: N818 - it is a signal, not an error condition
    """Raised by fault injection: the HTTP layer must close the socket without answering."""


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> ApiError:
    return ApiError(403, f"Forbidden: {reason}")


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized")


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def conflict(reason: str) -> ApiError:
    return ApiError(409, f"Conflict: {reason}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429,
        f"Too Many Requests: retry after {retry_after}",
        {"retry_after": retry_after},
    )


def server_error(status: int) -> ApiError:
    reasons = {
        500: "Internal Server Error",
        501: "Not Implemented",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }
    return ApiError(status, reasons.get(status, "Internal Server Error"))


# Telegram's own wording for the common refusals, kept in one place so that
# methods and the world raise exactly the same text.
CHAT_NOT_FOUND = "chat not found"
BLOCKED_BY_USER = "bot was blocked by the user"
CANT_INITIATE = "bot can't initiate conversation with a user"


class NotFoundError(LookupError):
    """A control-side lookup (user, chat, message, bot) found nothing; the control API says 404."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"
