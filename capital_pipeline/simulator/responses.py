"""How the simulator answers: JSON bodies, the API's error body, the headers every Postman example shows."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

__all__ = [
    "STANDARD_HEADERS",
    "TOKEN_EXPOSE_HEADER",
    "ApiError",
    "api_error_response",
    "json_body",
    "json_response",
]

# Every example response of the official collection carries these (REFERENCE §2); as raw ASGI header pairs.
STANDARD_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"vary", b"Origin"),
    (b"vary", b"Access-Control-Request-Method"),
    (b"vary", b"Access-Control-Request-Headers"),
    (b"content-security-policy", b"connect-src 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-xss-protection", b"1; mode=block"),
    (b"cache-control", b"no-cache, no-store, max-age=0, must-revalidate"),
    (b"pragma", b"no-cache"),
    (b"expires", b"0"),
    (b"x-frame-options", b"DENY"),
)
# Shown by one collection example (an authenticated error); sent on every authenticated answer.
TOKEN_EXPOSE_HEADER = (b"access-control-expose-headers", b"CST, X-SECURITY-TOKEN")


class ApiError(Exception):
    """An answer in the API's error shape: ``{"errorCode": code}`` with an HTTP status."""

    def __init__(self, status: int, code: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.headers = headers or {}


def json_body(payload: Any) -> bytes:
    """Compact JSON, the way the API sends it."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer; ``payload`` may be pre-serialized bytes (cached bodies)."""
    body = payload if isinstance(payload, bytes) else json_body(payload)
    return Response(body, status_code=status, headers=headers, media_type="application/json")


async def api_error_response(_request: Request, error: Exception) -> Response:
    """Starlette exception handler turning ``ApiError`` into the API's error body."""
    assert isinstance(error, ApiError)
    return json_response({"errorCode": error.code}, error.status, error.headers)
