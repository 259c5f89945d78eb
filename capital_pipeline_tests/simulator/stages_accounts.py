"""Staging the examples of the general, session, account and history requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from capital_pipeline_tests.simulator.conftest import encrypt_password
from capital_pipeline_tests.simulator.staging import Stage, query_time, stage


# General and session -------------------------------------------------------------------------------
@stage("Get server time", "Successful response")
def _time(s: Stage) -> httpx.Response:
    return s.send("GET", "/time", headers={})


@stage("Ping the service", "Successful response")
def _ping(s: Stage) -> httpx.Response:
    return s.send("GET", "/ping")


@stage("Encryption key", "Successful response")
def _encryption_key(s: Stage) -> httpx.Response:
    return s.send("GET", "/session/encryptionKey", headers={"X-CAP-API-KEY": s.simulator.credentials.api_key})


@stage("Session details", "Successful response")
def _session_details(s: Stage) -> httpx.Response:
    return s.send("GET", "/session")


@stage("Create new session", "Success: Session created (basic password)")
def _login_plain(s: Stage) -> httpx.Response:
    return s.login_with(s.own_login_body())


@stage("Create new session", "Success: Session created (encrypted password)")
def _login_encrypted(s: Stage) -> httpx.Response:
    key = _encryption_key(s).json()
    password = encrypt_password(key["encryptionKey"], key["timeStamp"], s.simulator.credentials.password)
    body = s.own_login_body() | {"password": password, "encryptedPassword": True}
    return s.login_with(body)


@stage("Create new session", "Error: API key missing")
def _login_without_key(s: Stage) -> httpx.Response:
    return s.login_with(s.own_login_body(), headers={})


@stage("Create new session", "Error: Invalid credentials")
def _login_invalid(s: Stage) -> httpx.Response:
    return s.login_with({"identifier": "test@email.com", "password": "invalid"})


@stage("Create new session", "Error: Request limit exceeded", "login limit set to 1/s for this example only")
def _login_too_often(s: Stage) -> httpx.Response:
    s.simulator.set_config(login_rate_limit=1)
    try:
        s.login_with(s.own_login_body())
        return s.login_with(s.own_login_body())
    finally:
        s.simulator.set_config(login_rate_limit=1000)


@stage("Switches active account", "Success: Account switched", "accountId: the login's other account")
def _switch(s: Stage) -> httpx.Response:
    current = s.send("GET", "/session").json()["accountId"]
    other = next(account for account in s.accounts if account != current)
    return s.send("PUT", "/session", json={"accountId": other})


@stage("Switches active account", "Error: Invalid accountId")
def _switch_invalid(s: Stage) -> httpx.Response:
    return s.send("PUT", "/session", json={"accountId": "0000000000001"})


@stage("Log out of the current session", "Success: Session closed", "a second login is logged out")
def _logout(s: Stage) -> httpx.Response:
    login = s.login_with(s.own_login_body())
    tokens = {name: login.headers[name] for name in ("CST", "X-SECURITY-TOKEN")}
    return s.send("DELETE", "/session", headers=tokens)


# Accounts ------------------------------------------------------------------------------------------
@stage("All accounts", "Successfull response")
def _accounts(s: Stage) -> httpx.Response:
    return s.send("GET", "/accounts")


@stage("Account preferences", "Successful response")
def _preferences(s: Stage) -> httpx.Response:
    return s.send("GET", "/accounts/preferences")


@stage("Update account preferences", "Successful response", "leverages: values the account offers")
def _update_preferences(s: Stage) -> httpx.Response:
    offered = s.send("GET", "/accounts/preferences").json()["leverages"]
    leverages = {kind: choice["available"][-1] for kind, choice in offered.items()}
    return s.send("PUT", "/accounts/preferences", json={"leverages": leverages, "hedgingMode": False})


@stage("Update account preferences", "Error: Invalid leverage value")
def _update_preferences_invalid(s: Stage) -> httpx.Response:
    return s.send("PUT", "/accounts/preferences", json={"leverages": {"INDICES": 600}})


_HISTORY_NOTE = "history made first (a position opened); dates moved to today"


@stage("Account activity history", "Success: Filter list by date", _HISTORY_NOTE)
def _activity_by_date(s: Stage) -> httpx.Response:
    s.open_position()
    now = datetime.now(UTC)
    window = {"from": query_time(now - timedelta(minutes=5)), "to": query_time(now + timedelta(seconds=2))}
    return s.send("GET", "/history/activity", params=window)


@stage(
    "Account activity history",
    "Success: Filter list using FIQL filter",
    "a rejected stop amendment made first; epic list moved to the staging market",
)
def _activity_filtered(s: Stage) -> httpx.Response:
    deal_id, _ = s.open_position()
    s.send("PUT", f"/positions/{deal_id}", json={"stopLevel": s.price * 10})
    fiql = f"source!=DEALER;type!=POSITION;status==REJECTED;epic=={s.epic},GOLD"
    return s.send("GET", "/history/activity", params={"filter": fiql})


@stage("Account activity history", "Success: Filter list by dealId with enabled detailed view", _HISTORY_NOTE)
def _activity_detailed(s: Stage) -> httpx.Response:
    deal_id, _ = s.open_position()
    return s.send("GET", "/history/activity", params={"detailed": "true", "dealId": deal_id})


@stage("Account activity history", "Error: Invalid date format")
def _activity_bad_date(s: Stage) -> httpx.Response:
    return s.send("GET", "/history/activity", params={"from": "2022-01-17"})


@stage(
    "Account transactions history",
    "Success: Get list of transactions within last hour",
    "a position opened and closed first",
)
def _transactions(s: Stage) -> httpx.Response:
    deal_id, _ = s.open_position()
    s.send("DELETE", f"/positions/{deal_id}")
    return s.send("GET", "/history/transactions")


@stage(
    "Account transactions history",
    "Success: Filter list within last 30 second by type",
    "a demo top-up (POST /accounts/topUp, S2) made first",
)
def _transactions_by_type(s: Stage) -> httpx.Response:
    s.send("POST", "/accounts/topUp", json={"amount": 20})
    return s.send("GET", "/history/transactions", params={"lastPeriod": "30", "type": "DEPOSIT"})
