"""Logging in (plain or encrypted) and switching the session's account, below the session's own auth flow.

These requests carry explicit headers and bypass ``SessionAuth`` (they are how its tokens are made), but still
cross the guarded transport, so the login limiter and the allow-list apply to them too."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import httpx

from capital_pipeline.capital.config import API_PREFIX, Credentials
from capital_pipeline.capital.encryption import encrypt_password
from capital_pipeline.capital.errors import (
    SESSION_EXPIRED_CODES,
    AuthenticationFailed,
    CapitalError,
    MalformedResponse,
    error_code_of,
    error_from_response,
)
from capital_pipeline.capital.pacing import Clock
from capital_pipeline.capital.parsing import parse_record
from capital_pipeline.capital.records import SessionInfo
from capital_pipeline.capital.retries import RetryPolicy, send_with_retries
from capital_pipeline.capital.session import TokenBundle

__all__ = ["Logins", "check_switched", "session_headers"]

API_KEY_SETTING = "CAPITAL_API_KEY"
PASSWORD_SETTING = "CAPITAL_IDENTIFIER/CAPITAL_PASSWORD"
# Which setting each credential error points at (REFERENCE.md sections 6 and 7, legacy codes included).
_CREDENTIAL_CODES = {
    "error.invalid.details": PASSWORD_SETTING,
    "error.security.invalid-details": PASSWORD_SETTING,
    "error.invalid.api.key": API_KEY_SETTING,
    "error.null.api.key": API_KEY_SETTING,
    "error.security.api-key-missing": API_KEY_SETTING,
}
# Switching to the account already active is refused with this code; the session is where we want it.
NOT_DIFFERENT_ACCOUNT = "error.not-different.accountId"

Send = Callable[[httpx.Request], Awaitable[httpx.Response]]
Build = Callable[..., httpx.Request]


def session_headers(bundle: TokenBundle) -> dict[str, str]:
    """The two headers every authenticated request carries."""
    return {"CST": bundle.cst, "X-SECURITY-TOKEN": bundle.security_token}


def _json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than the stack
        raise MalformedResponse("the body is not JSON", status=response.status_code) from None


def _is_json(response: httpx.Response) -> bool:
    try:
        json.loads(response.content)
    except (ValueError, RecursionError):
        return False
    return True


def _credential_error(response: httpx.Response) -> CapitalError:
    code = error_code_of(response) or ""
    setting = next(
        (setting for prefix, setting in _CREDENTIAL_CODES.items() if code.startswith(prefix)),
        f"{API_KEY_SETTING} and {PASSWORD_SETTING}",
    )
    return AuthenticationFailed(
        "Capital.com refused the credentials",
        setting=setting,
        status=response.status_code,
        error_code=code or None,
        path=response.request.url.path,
    )


def check_switched(response: httpx.Response, *, attempts: int = 1) -> None:
    """Raise unless a ``PUT /session`` answer means the session is on the requested account."""
    if not response.is_success and error_code_of(response) != NOT_DIFFERENT_ACCOUNT:
        raise error_from_response(response, attempts=attempts)


class Logins:
    """Performs logins and account switches through ``send`` (a guarded, auth-less sender)."""

    def __init__(
        self,
        *,
        build: Build,
        send: Send,
        credentials: Credentials,
        encrypted: bool,
        policy: RetryPolicy,
        clock: Clock,
    ) -> None:
        self._build, self._send, self._credentials = build, send, credentials
        self._encrypted, self._policy, self._clock = encrypted, policy, clock

    async def _checked(self, send: Callable[[], Awaitable[httpx.Response]], path: str) -> httpx.Response:
        response, attempts = await send_with_retries(
            send, path=path, policy=self._policy, sleep=self._clock.sleep, readable=_is_json
        )
        if response.is_success:
            return response
        if 400 <= response.status_code < 500 and response.status_code != 429:
            raise _credential_error(response)
        raise error_from_response(response, attempts=attempts)

    async def _password(self, api_key_header: dict[str, str]) -> str:
        if not self._encrypted:
            return self._credentials.password
        request = self._build("GET", "/session/encryptionKey", headers=api_key_header)
        key = _json(await self._checked(lambda: self._send(request), request.url.path))
        if not isinstance(key, dict) or not isinstance(key.get("encryptionKey"), str):
            raise MalformedResponse("no encryptionKey in the answer", path="/session/encryptionKey")
        timestamp = key.get("timeStamp")
        if isinstance(timestamp, bool) or not isinstance(timestamp, int):
            raise MalformedResponse("no integer timeStamp in the answer", path="/session/encryptionKey")
        return encrypt_password(self._credentials.password, key["encryptionKey"], timestamp)

    async def log_in(self) -> TokenBundle:
        """``GET /session/encryptionKey`` (if encrypted), ``POST /session``; credential errors never retry."""
        api_key_header = {"X-CAP-API-KEY": self._credentials.api_key}

        async def attempt() -> httpx.Response:
            # A fresh key per attempt: the server checks how old the encrypted timestamp is (section 11).
            body = {
                "identifier": self._credentials.identifier,
                "password": await self._password(api_key_header),
                "encryptedPassword": self._encrypted,
            }
            return await self._send(self._build("POST", "/session", json=body, headers=api_key_header))

        response = await self._checked(attempt, f"{API_PREFIX}/session")
        cst, security_token = response.headers.get("CST"), response.headers.get("X-SECURITY-TOKEN")
        if not cst or not security_token:
            raise MalformedResponse(
                "the login answer carries no session tokens", path=response.request.url.path
            )
        info = parse_record(SessionInfo, _json(response), path=response.request.url.path)
        now = self._clock.now()
        return TokenBundle(cst, security_token, now, now, info.current_account_id, info.timezone_offset)

    async def log_out(self, bundle: TokenBundle) -> None:
        """``DELETE /session``, retried on transient failures: a session that already ended counts as logged
        out, so a repeat is harmless."""
        request = self._build("DELETE", "/session", headers=session_headers(bundle))
        response, attempts = await send_with_retries(
            lambda: self._send(request), path=request.url.path, policy=self._policy, sleep=self._clock.sleep
        )
        if not response.is_success and error_code_of(response) not in SESSION_EXPIRED_CODES:
            raise error_from_response(response, attempts=attempts)

    async def switch(self, bundle: TokenBundle, account_id: str) -> TokenBundle:
        """``PUT /session``, retried like a read (switching is idempotent); the bundle now on the account."""
        request = self._build(
            "PUT", "/session", json={"accountId": account_id}, headers=session_headers(bundle)
        )
        response, attempts = await send_with_retries(
            lambda: self._send(request), path=request.url.path, policy=self._policy, sleep=self._clock.sleep
        )
        check_switched(response, attempts=attempts)
        switched = bundle.with_tokens(response.headers.get("CST"), response.headers.get("X-SECURITY-TOKEN"))
        return replace(switched, account_id=account_id, last_used_at=self._clock.now())
