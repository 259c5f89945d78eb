"""Errors carry status, errorCode and path, and never a token or password."""

from __future__ import annotations

import httpx
import pytest

from capital_pipeline.capital.errors import (
    BadRequest,
    CapitalError,
    NotFound,
    RateLimited,
    ServerError,
    SessionExpired,
    error_code_of,
    error_from_response,
)

SECRETS = ("cst-secret-1", "xst-secret-1", "hunter2-password", "api-key-secret")


def response(status: int, body: bytes, content_type: str = "application/json") -> httpx.Response:
    request = httpx.Request(
        "GET",
        "http://127.0.0.1/api/v1/markets/SILVER?epics=A",
        headers={"CST": SECRETS[0], "X-SECURITY-TOKEN": SECRETS[1], "X-CAP-API-KEY": SECRETS[3]},
    )
    headers = {"content-type": content_type, "CST": SECRETS[0], "X-SECURITY-TOKEN": SECRETS[1]}
    return httpx.Response(status, content=body, headers=headers, request=request)


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (401, b'{"errorCode":"error.invalid.session.token","cst":"cst-secret-1"}', SessionExpired),
        (429, b'{"errorCode":"error.too-many.requests","password":"hunter2-password"}', RateLimited),
        (503, b"<html>xst-secret-1 gateway</html>", ServerError),
        (404, b'{"errorCode":"error.not-found.epic"}', NotFound),
        (400, b'{"errorCode":"cst-secret-1 xst-secret-1 api-key-secret hunter2-password"}', BadRequest),
        (400, b'{"errorCode": "error.invalid.size.minvalue: 1000"}', BadRequest),
    ],
)
def test_errors_built_from_responses_holding_secrets_never_show_them(status, body, kind) -> None:
    error = error_from_response(response(status, body), attempts=3)
    assert isinstance(error, kind)
    assert isinstance(error, CapitalError)
    for text in (str(error), repr(error), str(error.args)):
        for secret in SECRETS:
            assert secret not in text


def test_error_names_path_status_and_error_code() -> None:
    error = error_from_response(response(404, b'{"errorCode":"error.not-found.epic"}'))
    assert (error.status, error.error_code, error.path) == (
        404,
        "error.not-found.epic",
        "/api/v1/markets/SILVER",
    )
    assert (
        "404" in str(error)
        and "error.not-found.epic" in str(error)
        and "/api/v1/markets/SILVER" in str(error)
    )


def test_html_gateway_page_is_a_server_error_whatever_its_status() -> None:
    assert isinstance(error_from_response(response(403, b"<html>denied</html>", "text/html")), ServerError)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            b'{"errorCode":"error.invalid.stoploss.minvalue: 17.146"}',
            "error.invalid.stoploss.minvalue: 17.146",
        ),
        (b'{"errorCode":"has spaces and <html>"}', None),
        (b'{"errorCode": 42}', None),
        (b"[1, 2]", None),
        (b"not json", None),
    ],
)
def test_error_code_is_read_only_when_it_looks_like_one(body: bytes, code: str | None) -> None:
    assert error_code_of(response(400, body)) == code
