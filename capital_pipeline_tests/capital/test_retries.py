"""Transient failures of reads are retried with capped, jittered backoff; the final error names them."""

from __future__ import annotations

import random

import httpx
import pytest

from capital_pipeline.capital.errors import NotFound, RateLimited, ServerError, TransportError
from capital_pipeline.capital.retries import RetryPolicy, retry_after_seconds, transient_reason
from capital_pipeline_tests.capital.fake_api import FakeCapital, FakeClock, client_for, error


def with_headers(status: int, headers: dict[str, str]) -> httpx.Response:
    return httpx.Response(status, json={"errorCode": "error.too-many.requests"}, headers=headers)


@pytest.mark.parametrize(
    ("value", "seconds"), [("3", 3.0), ("0", None), ("", None), ("soon", None), ("1.5", 1.5)]
)
def test_retry_after_zero_or_unreadable_means_no_hint(value: str, seconds: float | None) -> None:
    assert retry_after_seconds(with_headers(429, {"Retry-After": value})) == seconds


def test_retry_after_as_an_http_date_in_the_past_means_no_hint() -> None:
    assert retry_after_seconds(with_headers(429, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})) is None


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(429), "rate limited"),
        (httpx.Response(503), "server error"),
        (httpx.Response(200, text="<html/>", headers={"content-type": "text/html"}), "gateway page"),
        (httpx.Response(404), None),
        (httpx.Response(401), None),
    ],
)
def test_what_counts_as_transient(response: httpx.Response, reason: str | None) -> None:
    assert transient_reason(response) == reason


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap() -> None:
    policy = RetryPolicy(max_attempts=10, base_delay=0.5, max_delay=4.0, rng=random.Random(1))
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (8, 4.0)]:
        delays = [policy.delay(attempt) for _ in range(50)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(set(delays)) > 1


def test_a_429_without_hint_waits_at_least_the_rate_window() -> None:
    assert RetryPolicy(base_delay=0.01).delay(1, httpx.Response(429)) >= 1.0


def test_retry_after_is_honoured_up_to_its_cap() -> None:
    policy = RetryPolicy(max_retry_after=30)
    assert policy.delay(1, with_headers(429, {"Retry-After": "7"})) == 7
    assert policy.delay(1, with_headers(429, {"Retry-After": "900"})) == 30


@pytest.mark.anyio
async def test_503_html_pages_resets_and_timeouts_are_survived() -> None:
    api = FakeCapital(FakeClock())

    def reset() -> httpx.Response:
        raise httpx.ReadError("connection reset by peer")

    def timeout() -> httpx.Response:
        raise httpx.ReadTimeout("timed out")

    gateway = httpx.Response(502, text="<html>Bad gateway</html>", headers={"content-type": "text/html"})
    api.answer_next("GET /accounts", error(503, "error.service.unavailable"), gateway, reset, timeout)
    async with client_for(api, max_attempts=5) as client:
        accounts = await client.accounts()
    assert len(accounts) == 2
    assert len(api.arrivals("GET /accounts")) == 5
    assert client.stats.retries == 4


@pytest.mark.anyio
async def test_429_retry_waits_for_retry_after_and_is_counted() -> None:
    api = FakeCapital(FakeClock())
    api.answer_next("GET /accounts", with_headers(429, {"Retry-After": "4"}))
    async with client_for(api) as client:
        await client.accounts()
    first, second = api.arrivals("GET /accounts")
    assert second.at - first.at >= 4.0
    assert (client.stats.rate_limited, client.stats.retries) == (1, 1)


@pytest.mark.anyio
async def test_attempts_are_bounded_and_the_error_names_path_status_and_code() -> None:
    api = FakeCapital(FakeClock())
    api.answer_next("GET /markets/{epic}", *[error(503, "error.service.unavailable")] * 3)
    async with client_for(api, max_attempts=3) as client:
        with pytest.raises(ServerError) as raised:
            await client.market("SILVER")
    assert len(api.arrivals("GET /markets/{epic}")) == 3
    assert (raised.value.status, raised.value.error_code, raised.value.path) == (
        503,
        "error.service.unavailable",
        "/api/v1/markets/SILVER",
    )


@pytest.mark.anyio
async def test_persistent_429_becomes_rate_limited() -> None:
    api = FakeCapital(FakeClock())
    api.answer_next("GET /accounts", *[error(429, "error.too-many.requests")] * 2)
    async with client_for(api, max_attempts=2) as client:
        with pytest.raises(RateLimited):
            await client.accounts()


@pytest.mark.anyio
async def test_persistent_connection_failure_becomes_transport_error_naming_the_path() -> None:
    api = FakeCapital(FakeClock())

    def refused() -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    api.answer_next("GET /accounts", refused, refused)
    async with client_for(api, max_attempts=2) as client:
        with pytest.raises(TransportError) as raised:
            await client.accounts()
    assert raised.value.path == "/api/v1/accounts"


@pytest.mark.anyio
async def test_a_404_is_final_and_not_retried() -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api) as client:
        with pytest.raises(NotFound):
            await client.navigation_node("hierarchy_v1.nowhere")
    assert len(api.arrivals("GET /marketnavigation/{nodeId}")) == 1
    assert client.stats.retries == 0


@pytest.mark.anyio
async def test_a_switch_account_is_retried_like_a_read_because_it_is_idempotent() -> None:
    api = FakeCapital(FakeClock())
    api.answer_next("PUT /session", error(503, "error.service.unavailable"))
    async with client_for(api) as client:
        await client.switch_account("22222222222222222")
        assert (await client.session_details()).account_id == "22222222222222222"
    assert len(api.arrivals("PUT /session")) == 2


@pytest.mark.anyio
async def test_a_switch_that_keeps_failing_is_a_server_error_after_every_attempt() -> None:
    api = FakeCapital(FakeClock())
    api.answer_next("PUT /session", *[error(503, "error.service.unavailable")] * 3)
    async with client_for(api, max_attempts=3) as client:
        with pytest.raises(ServerError, match="after 3 attempts"):
            await client.switch_account("22222222222222222")
    assert len(api.arrivals("PUT /session")) == 3


@pytest.mark.anyio
async def test_a_logout_is_retried_on_a_gateway_page() -> None:
    api = FakeCapital(FakeClock())
    gateway = httpx.Response(502, text="<html>502 Bad Gateway</html>", headers={"content-type": "text/html"})
    api.answer_next("DELETE /session", gateway)
    async with client_for(api) as client:
        await client.login()
        await client.logout()
    assert len(api.arrivals("DELETE /session")) == 2
    assert api.sessions == {}
