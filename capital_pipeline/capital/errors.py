"""The client's errors: one small hierarchy carrying the HTTP status, the API's ``errorCode`` and the path.

Messages and reprs are built only from the status, a vetted ``errorCode`` and the request path, never from
headers or raw bodies, so a token or password cannot leak through an error (REFERENCE.md section 2: error
bodies are ``{"errorCode": ...}``; tokens travel in headers)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import httpx

__all__ = [
    "LOCAL_ERRORS",
    "SESSION_EXPIRED_CODES",
    "AuthenticationFailed",
    "BadRequest",
    "CapitalError",
    "ConfigurationError",
    "MalformedResponse",
    "NotFound",
    "RateLimited",
    "ReadOnlyViolation",
    "RequestFailure",
    "ServerError",
    "SessionExpired",
    "TransportError",
    "error_code_of",
    "error_from_response",
]

# Codes look like "error.invalid.details" or "error.invalid.size.minvalue: 1000" (REFERENCE.md section 2);
# anything else is not echoed, so a body cannot smuggle arbitrary text into a message.
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,100}(: ?[A-Za-z0-9_.\-]{1,40})?")

SESSION_EXPIRED_CODES = frozenset({"error.invalid.session.token", "error.security.token-invalid"})


class CapitalError(Exception):
    """Base of every error the client raises."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        path: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.error_code = error_code
        self.path = path
        super().__init__(str(self))

    def __str__(self) -> str:
        facts = [
            f"{name}={value}"
            for name, value in (("status", self.status), ("errorCode", self.error_code), ("path", self.path))
            if value is not None
        ]
        return f"{self.message} ({', '.join(facts)})" if facts else self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status!r}, "
            f"error_code={self.error_code!r}, path={self.path!r})"
        )


class AuthenticationFailed(CapitalError):
    """Credentials were rejected; never retried. ``setting`` names the configuration value to fix."""

    def __init__(
        self,
        message: str,
        *,
        setting: str,
        status: int | None = None,
        error_code: str | None = None,
        path: str | None = None,
    ) -> None:
        self.setting = setting
        super().__init__(f"{message}; check {setting}", status=status, error_code=error_code, path=path)


class SessionExpired(CapitalError):
    """The session tokens were refused even after a fresh login."""


class RateLimited(CapitalError):
    """HTTP 429 persisted through every allowed attempt."""


class NotFound(CapitalError):
    """HTTP 404: unknown epic, node, watchlist, or no prices in a window."""


class BadRequest(CapitalError):
    """Any other 4xx: the request itself was refused."""


class ServerError(CapitalError):
    """5xx or an HTML gateway page persisted through every allowed attempt."""


class TransportError(CapitalError):
    """Timeouts and connection failures persisted through every allowed attempt."""


class MalformedResponse(CapitalError):
    """The API answered with something the client cannot read (bad JSON, missing or mistyped fields)."""


class ConfigurationError(CapitalError):
    """The client was configured in a way that cannot work or would be unsafe; raised before any request."""


class ReadOnlyViolation(CapitalError):
    """A request outside the read-only allow-list reached the transport and was not sent."""


# Errors confined to one request's subject (a node, a batch of epics): a walk reports them and goes on.
# Credential, session, configuration and read-only errors concern every request and stop the walk.
LOCAL_ERRORS = (NotFound, BadRequest, ServerError, TransportError, RateLimited, MalformedResponse)


@dataclass(frozen=True)
class RequestFailure:
    """A request a walk gave up on: what it was about, and the error's status, code and message."""

    subject: str
    status: int | None
    error_code: str | None
    message: str

    @classmethod
    def of(cls, subject: str, error: CapitalError) -> RequestFailure:
        return cls(subject, error.status, error.error_code, str(error))


def error_code_of(response: httpx.Response) -> str | None:
    """The vetted ``errorCode`` of an error response, or None when the body has none (or an odd one)."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    code = body.get("errorCode") if isinstance(body, dict) else None
    if isinstance(code, str) and _ERROR_CODE.fullmatch(code):
        return code
    return None


def error_from_response(response: httpx.Response, *, attempts: int = 1) -> CapitalError:
    """The error that a non-2xx response stands for, naming path, status and ``errorCode``."""
    status, code, path = response.status_code, error_code_of(response), response.request.url.path
    tried = f" after {attempts} attempts" if attempts > 1 else ""
    kind: type[CapitalError] = BadRequest
    message = "request refused"
    if status == 401 and code in SESSION_EXPIRED_CODES:
        kind, message = SessionExpired, "the session was refused even after a fresh login"
    elif status == 429:
        kind, message = RateLimited, f"rate limited{tried}"
    elif status >= 500 or response.headers.get("content-type", "").startswith("text/html"):
        kind, message = ServerError, f"server error{tried}"
    elif status == 404:
        kind, message = NotFound, "not found"
    return kind(message, status=status, error_code=code, path=path)
