"""The transport seam: only allow-listed read-only requests to the configured origin are ever sent."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from capital_pipeline.capital import transport
from capital_pipeline.capital.errors import ReadOnlyViolation
from capital_pipeline.capital.pacing import Pacer
from capital_pipeline.capital.transport import (
    ALLOWED_ROUTES,
    GuardedTransport,
    PooledTransport,
    RequestStats,
    route_of,
)
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


class KeepAliveServer:
    """A minimal HTTP/1.1 server on loopback that counts the connections it accepted and answers every
    request with a small keep-alive body (``close_after_answer``: then hangs up silently, as a server whose
    idle timeout ran out does)."""

    def __init__(self, *, close_after_answer: bool = False, delay: float = 0.0) -> None:
        self.accepted = 0
        self.open = 0
        self._close_after_answer, self._delay = close_after_answer, delay

    async def __aenter__(self) -> KeepAliveServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.open += 1
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                await asyncio.sleep(self._delay)
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
                )
                await writer.drain()
                if self._close_after_answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open -= 1
            writer.close()


async def get_all(client: httpx.AsyncClient, url: str, count: int) -> None:
    responses = await asyncio.gather(*(client.get(url) for _ in range(count)))
    assert all(response.json() == {} for response in responses)


@pytest.mark.anyio
async def test_pooled_transport_reuses_one_connection_for_sequential_requests() -> None:
    async with (
        KeepAliveServer() as server,
        httpx.AsyncClient(transport=PooledTransport(max_idle=4)) as client,
    ):
        for _ in range(10):
            assert (await client.get(server.url)).json() == {}
    assert server.accepted == 1


@pytest.mark.anyio
async def test_pooled_transport_keeps_every_connection_a_burst_opened_up_to_max_idle() -> None:
    async with KeepAliveServer(delay=0.05) as server:
        async with httpx.AsyncClient(transport=PooledTransport(max_idle=8)) as client:
            await get_all(client, server.url, 8)
            await get_all(client, server.url, 8)
            assert server.accepted == 8
        async with httpx.AsyncClient(transport=PooledTransport(max_idle=3)) as client:
            await get_all(client, server.url, 8)
            await get_all(client, server.url, 8)
            assert server.accepted == 8 + 8 + 5


@pytest.mark.anyio
async def test_pooled_transport_never_reuses_a_connection_the_server_closed() -> None:
    async with KeepAliveServer(close_after_answer=True) as server:
        async with httpx.AsyncClient(transport=PooledTransport(max_idle=4)) as client:
            for _ in range(3):
                assert (await client.get(server.url)).json() == {}
                await asyncio.sleep(0.05)  # the server's FIN arrives
        assert server.accepted == 3


@pytest.mark.anyio
async def test_pooled_transport_drops_connections_idle_longer_than_the_reuse_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(transport, "IDLE_REUSE_SECONDS", 0.05)
    async with (
        KeepAliveServer() as server,
        httpx.AsyncClient(transport=PooledTransport(max_idle=4)) as client,
    ):
        await client.get(server.url)
        await asyncio.sleep(0.1)
        await client.get(server.url)
        assert server.accepted == 2


@pytest.mark.anyio
async def test_closing_the_pooled_transport_closes_its_connections() -> None:
    async with KeepAliveServer(delay=0.02) as server:
        async with httpx.AsyncClient(transport=PooledTransport(max_idle=4)) as client:
            await get_all(client, server.url, 4)
            assert server.open == 4
        await asyncio.sleep(0.05)
        assert server.open == 0
