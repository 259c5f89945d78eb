"""Login: encrypted by default, plain on request; credential errors are final; transient ones retry, paced."""

from __future__ import annotations

import itertools

import httpx
import pytest

from capital_pipeline.capital import AuthenticationFailed, CapitalClient, Credentials, MalformedResponse
from capital_pipeline_tests.capital.fake_api import (
    API_KEY,
    IDENTIFIER,
    PASSWORD,
    FakeCapital,
    FakeClock,
    client_for,
    error,
    settings,
)


@pytest.mark.anyio
async def test_encrypted_login_fetches_the_key_and_sends_an_rsa_encrypted_password() -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api) as client:
        await client.login()
    key, login = api.requests
    assert (key.route, login.route) == ("GET /session/encryptionKey", "POST /session")
    assert key.headers["X-CAP-API-KEY"] == API_KEY
    assert login.body["encryptedPassword"] is True
    assert login.body["identifier"] == IDENTIFIER
    assert PASSWORD not in login.body["password"]
    assert client.export_session() is not None  # the fake decrypted it and accepted the login


@pytest.mark.anyio
async def test_plain_login_is_one_post_with_the_password() -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api, encrypted_login=False) as client:
        await client.login()
    (login,) = api.requests
    assert login.route == "POST /session"
    assert login.body == {"identifier": IDENTIFIER, "password": PASSWORD, "encryptedPassword": False}


def with_credentials(api: FakeCapital, credentials: Credentials, **overrides) -> CapitalClient:
    return CapitalClient(credentials, settings(**overrides), transport=api.transport(), clock=api.clock)


@pytest.mark.anyio
@pytest.mark.parametrize("encrypted", [True, False])
async def test_a_wrong_password_is_one_login_attempt_naming_identifier_and_password(encrypted: bool) -> None:
    api = FakeCapital(FakeClock())
    async with with_credentials(
        api, Credentials(API_KEY, IDENTIFIER, "wrong"), encrypted_login=encrypted
    ) as client:
        with pytest.raises(AuthenticationFailed) as raised:
            await client.accounts()
    assert len(api.arrivals("POST /session")) == 1
    assert api.arrivals("GET /accounts") == []
    assert raised.value.setting == "CAPITAL_IDENTIFIER/CAPITAL_PASSWORD"
    assert raised.value.error_code == "error.invalid.details"
    assert "CAPITAL_IDENTIFIER/CAPITAL_PASSWORD" in str(raised.value) and "wrong" not in str(raised.value)


@pytest.mark.anyio
async def test_a_wrong_api_key_fails_once_naming_the_api_key_setting() -> None:
    api = FakeCapital(FakeClock())
    async with with_credentials(
        api, Credentials("wrong-key", IDENTIFIER, PASSWORD), encrypted_login=False
    ) as client:
        with pytest.raises(AuthenticationFailed) as raised:
            await client.login()
    assert len(api.requests) == 1
    assert raised.value.setting == "CAPITAL_API_KEY"
    assert "wrong-key" not in str(raised.value) and "wrong-key" not in repr(raised.value)


@pytest.mark.anyio
async def test_a_wrong_api_key_is_caught_at_the_encryption_key_without_any_login() -> None:
    api = FakeCapital(FakeClock())
    async with with_credentials(api, Credentials("wrong-key", IDENTIFIER, PASSWORD)) as client:
        with pytest.raises(AuthenticationFailed, match="CAPITAL_API_KEY"):
            await client.login()
    assert [arrival.route for arrival in api.requests] == ["GET /session/encryptionKey"]


@pytest.mark.anyio
async def test_a_rate_limited_login_retries_with_a_fresh_key_under_the_login_limiter() -> None:
    api = FakeCapital(FakeClock())
    api.answer_next(
        "POST /session", error(429, "error.too-many.requests"), error(503, "error.service.unavailable")
    )
    async with client_for(api) as client:
        await client.login()
    logins = api.arrivals("POST /session")
    assert len(logins) == 3
    assert all(later.at - earlier.at >= 1.0 for earlier, later in itertools.pairwise(logins))
    assert len(api.arrivals("GET /session/encryptionKey")) == 3
    assert client.stats.logins == 3


@pytest.mark.anyio
async def test_a_login_answer_without_tokens_is_malformed() -> None:
    api = FakeCapital(FakeClock())
    api.answer_next("POST /session", httpx.Response(200, json={"currentAccountId": "1"}))
    async with client_for(api) as client:
        with pytest.raises(MalformedResponse):
            await client.login()


@pytest.mark.anyio
async def test_a_login_takes_the_account_and_timezone_offset_into_the_bundle() -> None:
    api = FakeCapital(FakeClock(), timezone_offset=3.0)
    async with client_for(api) as client:
        await client.login()
    bundle = client.export_session()
    assert bundle is not None
    assert (bundle.account_id, bundle.timezone_offset) == ("11111111111111111", 3.0)


@pytest.mark.anyio
@pytest.mark.parametrize("code", ["error.null.api.key", "error.invalid.api.key.expired"])
async def test_a_key_refused_as_missing_or_expired_is_one_attempt_naming_the_api_key(code: str) -> None:
    api = FakeCapital(FakeClock())
    status = 400 if code == "error.null.api.key" else 401
    api.answer_next("POST /session", error(status, code))
    async with client_for(api, encrypted_login=False) as client:
        with pytest.raises(AuthenticationFailed) as raised:
            await client.login()
    assert len(api.arrivals("POST /session")) == 1
    assert (raised.value.setting, raised.value.error_code) == ("CAPITAL_API_KEY", code)
