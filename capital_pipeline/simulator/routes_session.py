"""General and session endpoints: time, ping, encryption key, login (plain or encrypted), details, switch,
logout.

The token model is stated in ``sessions.py``. The gate has already checked the API key (``api_key`` routes)
or the tokens (``session`` routes) before these handlers run.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from capital_pipeline.simulator.config import SimulatorUser
from capital_pipeline.simulator.responses import ApiError, json_response
from capital_pipeline.simulator.routing import ApiRoute, auth_of, json_object, runtime_of
from capital_pipeline.simulator.runtime import SimulatorRuntime
from capital_pipeline.simulator.state import SimulatorState

__all__ = ["ROUTES"]

STREAMING_HOST = "wss://api-streaming-capital.backend-capital.com/"


async def server_time(_request: Request) -> Response:
    return json_response({"serverTime": int(time.time() * 1000)})


async def ping(_request: Request) -> Response:
    return json_response({"status": "OK"})


async def encryption_key(request: Request) -> Response:
    key = runtime_of(request).encryption_key.public_key_base64
    return json_response({"encryptionKey": key, "timeStamp": int(time.time() * 1000)})


async def create_session(request: Request) -> Response:
    """``POST /session``: check the credentials, open a session on the preferred account."""
    runtime = runtime_of(request)
    user: SimulatorUser = request.scope["capital.user"]
    body = await json_object(request)
    identifier, password = body.get("identifier"), body.get("password")
    if not isinstance(identifier, str) or not identifier:
        raise ApiError(400, "error.null.identifier")
    if not isinstance(password, str) or not password:
        raise ApiError(400, "error.null.password")
    if _encrypted_flag(body.get("encryptedPassword", False)):
        password = _decrypted_password(runtime, password)
    if identifier != user.identifier or not hmac.compare_digest(password.encode(), user.password.encode()):
        raise ApiError(401, "error.invalid.details")
    state = runtime.state
    auth = runtime.sessions.open(
        user,
        state.preferred_account_id(),
        time.monotonic(),
        single_session=runtime.config.single_session_per_user,
    )
    runtime.stats.record_login_success()
    tokens = {"CST": auth.session.cst, "X-SECURITY-TOKEN": auth.security_token}
    return json_response(_login_body(state, auth.account_id), headers=tokens)


def _encrypted_flag(value: Any) -> bool:
    # The docs' own example sends "false" as a string, so strings are coerced (REFERENCE §5).
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ApiError(400, "error.invalid.encryptedPassword")


def _decrypted_password(runtime: SimulatorRuntime, encrypted: str) -> str:
    decrypted = runtime.encryption_key.decrypt_password(encrypted)
    if decrypted is None:
        raise ApiError(401, "error.invalid.details")
    password, stamp = decrypted
    # A timeStamp more than the allowed age away from now is refused like bad credentials (REFERENCE §11).
    if abs(time.time() * 1000 - stamp) > runtime.config.encryption_max_age_seconds * 1000:
        raise ApiError(401, "error.invalid.details")
    return password


def _login_body(state: SimulatorState, account_id: str) -> dict[str, Any]:
    account, client = state.accounts[account_id], state.client
    accounts = [
        {
            key: other[key]
            for key in ("accountId", "accountName", "preferred", "accountType", "currency", "symbol")
        }
        | {"balance": dict(other["balance"])}
        for other in state.accounts.values()
    ]
    return {
        "accountType": account["accountType"],
        "accountInfo": dict(account["balance"]),
        "currencyIsoCode": account["currency"],
        "currencySymbol": account["symbol"],
        "currentAccountId": account_id,
        "streamingHost": STREAMING_HOST,
        "accounts": accounts,
        "clientId": client["clientId"],
        "timezoneOffset": client["timezoneOffset"],
    } | _account_flags(client, dealing=False)


def _account_flags(client: dict[str, Any], *, dealing: bool) -> dict[str, Any]:
    flags = {"trailingStopsEnabled": client.get("trailingStopsEnabled", False)}
    if dealing:
        flags["dealingEnabled"] = client.get("dealingEnabled", True)
    flags["hasActiveDemoAccounts"] = client.get("hasActiveDemoAccounts", True)
    flags["hasActiveLiveAccounts"] = client.get("hasActiveLiveAccounts", False)
    return flags


async def session_details(request: Request) -> Response:
    """``GET /session``: the client and the account of the token sent."""
    state, auth = runtime_of(request).state, auth_of(request)
    client = state.client
    return json_response(
        {
            "clientId": client["clientId"],
            "accountId": auth.account_id,
            "timezoneOffset": client["timezoneOffset"],
            "locale": client.get("locale", "en"),
            "currency": state.accounts[auth.account_id]["currency"],
            "streamEndpoint": STREAMING_HOST,
        }
    )


async def switch_account(request: Request) -> Response:
    """``PUT /session``: a new account token bound to the requested account (earlier tokens stay valid), or,
    with ``account_switch_scope="session"``, the whole session moved to it (sessions.py)."""
    runtime, auth = runtime_of(request), auth_of(request)
    account_id = (await json_object(request)).get("accountId")
    if not isinstance(account_id, str) or not account_id:
        raise ApiError(400, "error.null.accountId")
    if account_id == auth.account_id:
        raise ApiError(400, "error.not-different.accountId")
    if account_id not in runtime.state.accounts:
        raise ApiError(400, "error.invalid.accountId")
    whole_session = runtime.config.account_switch_scope == "session"
    switched = runtime.sessions.switch(auth, account_id, whole_session=whole_session)
    tokens = {"CST": auth.session.cst, "X-SECURITY-TOKEN": switched.security_token}
    return json_response(_account_flags(runtime.state.client, dealing=True), headers=tokens)


async def logout(request: Request) -> Response:
    """``DELETE /session``: the session and all its account tokens end."""
    auth_of(request).session.ended = True
    return json_response({"status": "SUCCESS"})


ROUTES = [
    ApiRoute("GET", "/time", server_time, auth="none"),
    ApiRoute("GET", "/ping", ping),
    ApiRoute("GET", "/session/encryptionKey", encryption_key, auth="api_key"),
    ApiRoute("POST", "/session", create_session, auth="api_key"),
    ApiRoute("GET", "/session", session_details),
    ApiRoute("PUT", "/session", switch_account),
    ApiRoute("DELETE", "/session", logout),
]
