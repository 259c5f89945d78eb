"""The transport seam every request crosses: the read-only allow-list, pacing and request accounting.

Checking here, under httpx and after auth, means no code path of the client (endpoints, login, retries) can
send a request that is not on the list: the client is read-only by construction. The only non-GET routes are
the session's own: POST (login), PUT (switch account) and DELETE (logout)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import httpx

from capital_pipeline.capital.config import API_PREFIX
from capital_pipeline.capital.errors import ReadOnlyViolation
from capital_pipeline.capital.pacing import Pacer, Reservation

__all__ = ["ALLOWED_ROUTES", "LOGIN_ROUTE", "PACED", "GuardedTransport", "RequestStats", "route_of"]

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
