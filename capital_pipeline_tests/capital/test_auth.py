"""The session flow: tokens injected and adopted, one serialized re-login on expiry, refresh before limits."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from capital_pipeline.capital import CapitalClient, SessionExpired
from capital_pipeline.capital.auth import SessionManager
from capital_pipeline_tests.capital.fake_api import (
    ACCOUNTS,
    API_KEY,
    CREDENTIALS,
    FakeCapital,
    FakeClock,
    client_for,
    error,
    settings,
)


def routes(api: FakeCapital) -> list[str]:
    return [arrival.route for arrival in api.requests]


@pytest.mark.anyio
async def test_every_authenticated_request_carries_the_session_tokens_and_not_the_api_key() -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api) as client:
        await client.accounts()
        await client.ping()
    for arrival in api.requests[2:]:
        assert (arrival.headers["CST"], arrival.headers["X-SECURITY-TOKEN"]) in api.sessions
        assert "X-CAP-API-KEY" not in arrival.headers
    assert api.requests[0].headers["X-CAP-API-KEY"] == API_KEY


@pytest.mark.anyio
async def test_server_time_needs_no_session_and_logs_nobody_in() -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api) as client:
        await client.server_time()
    assert routes(api) == ["GET /time"]
    assert "CST" not in api.requests[0].headers


@pytest.mark.anyio
async def test_ten_concurrent_callers_on_a_fresh_client_cause_one_login() -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api) as client:
        await asyncio.gather(*(client.accounts() for _ in range(10)))
    assert routes(api).count("POST /session") == 1
    assert routes(api).count("GET /accounts") == 10


@pytest.mark.anyio
@pytest.mark.parametrize("code", ["error.invalid.session.token", "error.security.token-invalid"])
async def test_expired_session_relogs_in_once_and_replays_request(code: str) -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api) as client:
        await client.accounts()
        api.answer_next("GET /accounts", error(401, code))
        accounts = await client.accounts()
    assert len(accounts) == 2
    assert routes(api)[2:] == [
        "GET /accounts",
        "GET /accounts",
        "GET /session/encryptionKey",
        "POST /session",
        "GET /accounts",
    ]


@pytest.mark.anyio
async def test_concurrent_requests_hitting_an_expired_session_share_one_relogin() -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api) as client:
        await client.login()
        api.expire_sessions()
        await asyncio.gather(*(client.accounts() for _ in range(8)))
    assert routes(api).count("POST /session") == 2
    assert len([arrival for arrival in api.arrivals("GET /accounts")]) >= 8


@pytest.mark.anyio
async def test_requests_queued_behind_a_refused_session_wait_for_the_new_one() -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api, requests_per_second=5) as client:
        await client.login()
        api.expire_sessions()
        await asyncio.gather(*(client.accounts() for _ in range(20)))
    refused = [
        arrival for arrival in api.arrivals("GET /accounts") if arrival.headers["CST"] == "cst-secret-1"
    ]
    assert len(refused) <= 5  # only those already sent with the old tokens; the other 15 waited
    assert len(api.arrivals("GET /accounts")) == 20 + len(refused)
    assert routes(api).count("POST /session") == 2


@pytest.mark.anyio
async def test_a_session_refused_again_after_relogin_is_an_error_not_a_loop() -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api) as client:
        await client.login()
        api.answer_next("GET /accounts", *[error(401, "error.invalid.session.token")] * 2)
        with pytest.raises(SessionExpired):
            await client.accounts()
    assert routes(api).count("POST /session") == 2
    assert routes(api).count("GET /accounts") == 2


@pytest.mark.anyio
async def test_session_is_refreshed_before_the_idle_limit_ends_it() -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api, session_idle_limit=600, session_refresh_margin=30) as client:
        await client.accounts()
        api.clock.time += 560
        await client.accounts()
        assert routes(api).count("POST /session") == 1
        api.clock.time += 575
        await client.accounts()
    assert routes(api).count("POST /session") == 2
    assert not any(
        arrival.route == "GET /accounts" and arrival.headers.get("CST") is None for arrival in api.requests
    )


@pytest.mark.anyio
async def test_a_busy_session_is_refreshed_before_the_hard_cap() -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api, session_hard_cap=3600, session_refresh_margin=30) as client:
        for _ in range(40):  # a request every 99 s: never idle, but the hour since login runs out
            await client.ping()
            api.clock.time += 99
    assert routes(api).count("POST /session") == 2
    login_at = api.arrivals("POST /session")[0].at
    first_tokens = [arrival for arrival in api.requests if arrival.headers.get("CST") == "cst-secret-1"]
    assert max(arrival.at for arrival in first_tokens) < login_at + 3600 - 30


@pytest.mark.anyio
async def test_tokens_are_adopted_from_any_response_that_carries_them() -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api) as client:
        await client.login()
        api.sessions[("cst-rotated", "xst-rotated")] = ACCOUNTS[0]["accountId"]
        rotated = httpx.Response(
            200, json={"status": "OK"}, headers={"CST": "cst-rotated", "X-SECURITY-TOKEN": "xst-rotated"}
        )
        api.answer_next("GET /ping", rotated)
        await client.ping()
        await client.accounts()
    assert api.arrivals("GET /accounts")[0].headers["CST"] == "cst-rotated"


@pytest.mark.anyio
async def test_a_late_answer_from_an_older_session_does_not_undo_a_relogin() -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api) as client:
        await client.login()
        manager: SessionManager = client._session
        old = manager.bundle
        api.expire_sessions()
        await client.accounts()  # re-logs in
        current = manager.bundle
        stale_answer = httpx.Response(200, headers={"CST": old.cst, "X-SECURITY-TOKEN": "xst-stale"})
        await manager.adopt(stale_answer, sent_with=old)
    assert manager.bundle.same_tokens(current)


@pytest.mark.anyio
async def test_a_relogin_switches_back_to_the_account_the_caller_chose() -> None:
    api = FakeCapital(FakeClock())
    eur = ACCOUNTS[1]["accountId"]
    async with client_for(api) as client:
        await client.switch_account(eur)
        api.expire_sessions()
        preferences = await client.preferences()
    assert preferences.hedging_mode is True  # the fake's EUR account; USD would say False
    assert routes(api)[-4:] == [
        "GET /session/encryptionKey",
        "POST /session",
        "PUT /session",
        "GET /accounts/preferences",
    ]


@pytest.mark.anyio
async def test_an_exported_session_resumes_without_logging_in() -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api) as first:
        await first.login()
        bundle = first.export_session()
    async with CapitalClient(
        CREDENTIALS, settings(), session=bundle, transport=api.transport(), clock=api.clock
    ) as second:
        await second.accounts()
    assert routes(api).count("POST /session") == 1


@pytest.mark.anyio
async def test_logout_ends_the_session_and_the_next_request_logs_in_again() -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api) as client:
        await client.login()
        await client.logout()
        assert api.sessions == {}
        assert client.export_session() is None
        await client.accounts()
    assert routes(api).count("DELETE /session") == 1
    assert routes(api).count("POST /session") == 2


@pytest.mark.anyio
async def test_logout_without_a_session_sends_nothing() -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api) as client:
        await client.logout()
    assert api.requests == []
