"""The transport seam: only allow-listed read-only requests to the configured origin are ever sent."""

from __future__ import annotations

import httpx
import pytest

from capital_pipeline.capital.errors import ReadOnlyViolation
from capital_pipeline.capital.pacing import Pacer
from capital_pipeline.capital.transport import ALLOWED_ROUTES, GuardedTransport, RequestStats, route_of
from capital_pipeline_tests.capital.fake_api import FakeClock


def guarded(
    sent: list[httpx.Request], stats: RequestStats | None = None, status: int = 200
) -> GuardedTransport:
    pacer = Pacer.build(
        requests_per_second=10,
        logins_per_second=1,
        margin=0.0,
        jitter_cap=0.1,
        directory=None,
        key_fingerprint="f",
        clock=FakeClock(),
    )
    inner = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(status, json={}))
    return GuardedTransport(inner, base_url="http://127.0.0.1:9", pacer=pacer, stats=stats or RequestStats())


def example_path(route: str) -> tuple[str, str]:
    method, template = route.split(" ", 1)
    return method, "/api/v1" + template.replace("{nodeId}", "x").replace("{epic}", "X").replace(
        "{watchlistId}", "1"
    ).replace("{marketId}", "X")


@pytest.mark.anyio
@pytest.mark.parametrize("route", ALLOWED_ROUTES)
async def test_every_allow_listed_route_is_sent(route: str) -> None:
    sent: list[httpx.Request] = []
    method, path = example_path(route)
    async with httpx.AsyncClient(transport=guarded(sent)) as client:
        await client.request(method, "http://127.0.0.1:9" + path)
    assert len(sent) == 1


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/positions"),
        ("PUT", "/api/v1/positions/123"),
        ("DELETE", "/api/v1/positions/123"),
        ("POST", "/api/v1/workingorders"),
        ("DELETE", "/api/v1/workingorders/1"),
        ("POST", "/api/v1/watchlists"),
        ("PUT", "/api/v1/watchlists/1"),
        ("DELETE", "/api/v1/watchlists/1/SILVER"),
        ("PUT", "/api/v1/accounts/preferences"),
        ("POST", "/api/v1/accounts/topUp"),
        ("GET", "/api/v1/confirms/o_123"),
        ("GET", "/api/v1/markets/A/B"),
        ("GET", "/api/v2/markets"),
        ("POST", "/api/v1/markets"),
    ],
)
async def test_writes_and_unknown_routes_never_reach_the_network(method: str, path: str) -> None:
    sent: list[httpx.Request] = []
    async with httpx.AsyncClient(transport=guarded(sent)) as client:
        with pytest.raises(ReadOnlyViolation):
            await client.request(method, "http://127.0.0.1:9" + path)
    assert sent == []


@pytest.mark.anyio
async def test_requests_to_another_origin_are_refused() -> None:
    sent: list[httpx.Request] = []
    async with httpx.AsyncClient(transport=guarded(sent)) as client:
        with pytest.raises(ReadOnlyViolation):
            await client.get("http://127.0.0.1:10/api/v1/accounts")
    assert sent == []


def test_a_percent_encoded_slash_stays_inside_one_path_segment() -> None:
    assert route_of("GET", "/api/v1/markets/A%2FB?x=1") == "GET /markets/{epic}"
    assert route_of("GET", "/api/v1/markets/A/B") is None


@pytest.mark.anyio
async def test_stats_count_requests_by_route_logins_and_429s() -> None:
    stats = RequestStats()
    sent: list[httpx.Request] = []
    async with httpx.AsyncClient(transport=guarded(sent, stats, status=429)) as client:
        await client.post("http://127.0.0.1:9/api/v1/session")
        await client.get("http://127.0.0.1:9/api/v1/markets/A")
        await client.get("http://127.0.0.1:9/api/v1/markets/B")
    assert stats.as_dict() == {
        "total": 3,
        "by_route": {"GET /markets/{epic}": 2, "POST /session": 1},
        "logins": 1,
        "retries": 0,
        "rate_limited": 3,
    }
