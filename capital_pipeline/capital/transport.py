"""The transport seam every request crosses: the read-only allow-list, pacing and request accounting.

Checking here, under httpx and after auth, means no code path of the client (endpoints, login, retries) can
send a request that is not on the list: the client is read-only by construction. The only non-GET routes are
the session's own: POST (login), PUT (switch account) and DELETE (logout)."""

from __future__ import annotations

import functools
import re
import ssl
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import anyio
import httpcore
import httpx

from capital_pipeline.capital.config import API_PREFIX
from capital_pipeline.capital.errors import ReadOnlyViolation
from capital_pipeline.capital.pacing import Pacer, Reservation

__all__ = [
    "ALLOWED_ROUTES",
    "LOGIN_ROUTE",
    "PACED",
    "GuardedTransport",
    "PooledTransport",
    "RequestStats",
    "route_of",
]

# The request extension under which SessionAuth hands over the slot it already took (auth.py says why);
# every other request is paced here.
PACED = "capital_pipeline.paced"

ALLOWED_ROUTES = (
    "GET /time",
    "GET /ping",
    "GET /session/encryptionKey",
    "GET /session",
    "POST /session",
    "PUT /session",
    "DELETE /session",
    "GET /accounts",
    "GET /accounts/preferences",
    "GET /marketnavigation",
    "GET /marketnavigation/{nodeId}",
    "GET /markets",
    "GET /markets/{epic}",
    "GET /watchlists",
    "GET /watchlists/{watchlistId}",
    "GET /prices/{epic}",
    "GET /clientsentiment",
    "GET /clientsentiment/{marketId}",
    "GET /positions",
    "GET /workingorders",
    "GET /history/activity",
    "GET /history/transactions",
)
LOGIN_ROUTE = "POST /session"


def _compile(route: str) -> tuple[str, re.Pattern[str]]:
    method, template = route.split(" ", 1)
    # A placeholder is exactly one path segment: path values are percent-encoded, so "/" cannot sneak in.
    pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(API_PREFIX + template))
    return method, re.compile(pattern)


_COMPILED = [(route, *_compile(route)) for route in ALLOWED_ROUTES]


def route_of(method: str, raw_path: str) -> str | None:
    """The allow-listed route ("GET /markets/{epic}") a request matches, or None."""
    path = raw_path.split("?", 1)[0]
    for route, route_method, pattern in _COMPILED:
        if method == route_method and pattern.fullmatch(path):
            return route
    return None


@dataclass
class RequestStats:
    """What one client sent: the request count of a snapshot comes from here."""

    total: int = 0
    by_route: Counter[str] = field(default_factory=Counter)
    logins: int = 0
    retries: int = 0
    rate_limited: int = 0

    def as_dict(self) -> dict[str, object]:
        """A plain, JSON-able copy."""
        return {
            "total": self.total,
            "by_route": dict(sorted(self.by_route.items())),
            "logins": self.logins,
            "retries": self.retries,
            "rate_limited": self.rate_limited,
        }


class GuardedTransport(httpx.AsyncBaseTransport):
    """Refuses anything off the allow-list or off the configured origin, paces the rest, and counts it."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, *, base_url: str, pacer: Pacer, stats: RequestStats
    ) -> None:
        self._inner, self._pacer, self._stats = inner, pacer, stats
        self._origin = httpx.URL(base_url)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        route = route_of(request.method, request.url.raw_path.decode("ascii"))
        same_origin = (request.url.scheme, request.url.host, request.url.port) == (
            self._origin.scheme,
            self._origin.host,
            self._origin.port,
        )
        if route is None or not same_origin:
            raise ReadOnlyViolation(
                f"{request.method} is not an allowed read-only request here", path=request.url.path
            )
        paced: Reservation | None = request.extensions.get(PACED)
        reservation = paced or await self._pacer.before_send(is_login=route == LOGIN_ROUTE)
        self._stats.total += 1
        self._stats.by_route[route] += 1
        self._stats.logins += route == LOGIN_ROUTE
        try:
            response = await self._inner.handle_async_request(request)
        except BaseException:
            await reservation.answered(ok=False)
            raise
        await reservation.answered(ok=True)
        self._stats.rate_limited += response.status_code == 429
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


_OriginKey = tuple[bytes, bytes, int | None]


def _key(origin: httpcore.Origin) -> _OriginKey:
    # httpcore.Origin compares by value but is not hashable.
    return (origin.scheme, origin.host, origin.port)


class _StackPool:
    """HTTP/1.1 connections kept per origin on a stack: a request takes the one released last, its answer's
    close puts it back. O(1) per request.

    httpcore 1.0's pool re-plans every connection twice per request (on sending and on the answer's close): it
    polls each one's socket through anyio (~25 us each) and, for each idle one, counts the whole pool again;
    and it closes idle connections whenever the pool holds more than ``max_keepalive`` in all. At 200
    requests/s with ~40 in flight that was a third of the client's CPU, and half the requests opened a new
    connection (a TLS handshake each). Here only the connection about to be reused is polled, and the oldest
    idle one is dropped once it has idled ``keepalive_expiry``. The pace bounds the connections in flight.
    """

    def __init__(self, ssl_context: ssl.SSLContext, *, max_idle: int, keepalive_expiry: float | None) -> None:
        self._ssl_context, self._max_idle, self._expiry = ssl_context, max_idle, keepalive_expiry
        self._idle: dict[_OriginKey, deque[tuple[httpcore.AsyncHTTPConnection, float]]] = {}
        self._open: set[httpcore.AsyncHTTPConnection] = set()

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        origin = request.url.origin
        while True:
            connection = await self._acquire(origin)
            try:
                response = await connection.handle_async_request(request)
            except httpcore.ConnectionNotAvailable:
                continue
            except BaseException:
                await self._release(origin, connection)
                raise
            stream = _ReleasingStream(response.stream, functools.partial(self._release, origin, connection))
            return httpcore.Response(
                status=response.status,
                headers=response.headers,
                content=stream,
                extensions=response.extensions,
            )

    async def _acquire(self, origin: httpcore.Origin) -> httpcore.AsyncHTTPConnection:
        idle = self._idle.get(_key(origin))
        while idle:
            connection, _ = idle.pop()
            if connection.is_available() and not connection.has_expired():
                return connection
            await self._close(connection)
        connection = httpcore.AsyncHTTPConnection(
            origin, ssl_context=self._ssl_context, keepalive_expiry=self._expiry
        )
        self._open.add(connection)
        return connection

    async def _release(self, origin: httpcore.Origin, connection: httpcore.AsyncHTTPConnection) -> None:
        if not connection.is_idle():
            await self._close(connection)
            return
        idle = self._idle.setdefault(_key(origin), deque())
        now = time.monotonic()
        idle.append((connection, now))
        while len(idle) > self._max_idle or (
            self._expiry is not None and idle and now - idle[0][1] > self._expiry
        ):
            await self._close(idle.popleft()[0])

    async def _close(self, connection: httpcore.AsyncHTTPConnection) -> None:
        self._open.discard(connection)
        with anyio.CancelScope(shield=True):
            await connection.aclose()

    async def aclose(self) -> None:
        self._idle.clear()
        for connection in list(self._open):
            await self._close(connection)

    async def __aenter__(self) -> _StackPool:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class _ReleasingStream:
    """An answer's body that hands its connection back to the pool once closed (read to the end or not)."""

    def __init__(self, stream: object, release: Callable[[], Awaitable[None]]) -> None:
        self._stream, self._release, self._closed = stream, release, False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for part in self._stream:  # type: ignore[attr-defined]
                yield part
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        with anyio.CancelScope(shield=True):
            await self._stream.aclose()  # type: ignore[attr-defined]
        await self._release()


# How long an idle connection is reused. uvicorn (the simulator) closes one after 5 s idle, timed from its
# answer's send; a busy client reads that answer hundreds of ms later, so reusing up to httpx's 5 s raced the
# close (7 "server disconnected" retries in 2,647 requests at 200/s). Load balancers allow 60 s or more.
IDLE_REUSE_SECONDS = 2.0


class PooledTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (TLS, timeouts, exception mapping) over ``_StackPool``, keeping up to
    ``max_idle`` connections alive between requests."""

    def __init__(self, *, max_idle: int) -> None:
        super().__init__()
        default_pool = self._pool
        assert isinstance(default_pool, httpcore.AsyncConnectionPool) and default_pool._ssl_context
        # httpx calls only handle_async_request, aclose and the context methods of its pool.
        self._pool = _StackPool(  # type: ignore[assignment]
            default_pool._ssl_context, max_idle=max_idle, keepalive_expiry=IDLE_REUSE_SECONDS
        )
