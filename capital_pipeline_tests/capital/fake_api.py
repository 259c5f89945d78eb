"""A small in-memory Capital.com behind ``httpx.MockTransport``, and a virtual clock, for unit tests.

It speaks just enough of REFERENCE.md sections 2-7 and 11 to exercise the client: encrypted and plain login,
tokens in headers, expiry, account switching, the navigation tree, markets, watchlists. Tests script faults
with ``answer_next`` and read what arrived (and when, on the virtual clock) from ``requests``.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import unquote

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from capital_pipeline.capital import CapitalClient, ClientSettings, Credentials
from capital_pipeline.capital.transport import route_of

BASE_URL = "http://127.0.0.1:9"
API_KEY, IDENTIFIER, PASSWORD = "test-api-key-0123456789", "trader@example.com", "pass|word-0123"
CREDENTIALS = Credentials(API_KEY, IDENTIFIER, PASSWORD)
ACCOUNTS = [
    {"accountId": "11111111111111111", "accountName": "USD", "preferred": True, "accountType": "CFD"},
    {"accountId": "22222222222222222", "accountName": "EUR", "preferred": False, "accountType": "SPREADBET"},
]


def settings(**overrides: Any) -> ClientSettings:
    """Test settings: the fake's loopback URL and quick backoff."""
    return ClientSettings(BASE_URL, **{"backoff_base": 0.1, **overrides})


@cache
def private_key() -> rsa.RSAPrivateKey:
    """One RSA-2048 key for the whole test session (generating one takes a noticeable moment)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeClock:
    """Virtual time: ``sleep`` moves time forward instead of waiting. Sleepers never wake early."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.time = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        target = self.time + seconds
        await asyncio.sleep(0)
        self.time = max(self.time, target)


@dataclass
class Arrival:
    method: str
    route: str
    path: str
    params: dict[str, str]
    headers: httpx.Headers
    body: Any
    at: float


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def error(status: int, code: str) -> httpx.Response:
    return json_response(status, {"errorCode": code})


def market(epic: str, **fields: Any) -> dict[str, Any]:
    return {
        "epic": epic,
        "instrumentName": epic.title(),
        "bid": 1.5,
        "offer": 1.6,
        "marketStatus": "TRADEABLE",
        **fields,
    }


def details(epic: str) -> dict[str, Any]:
    return {"instrument": {"epic": epic, "name": epic.title()}, "dealingRules": {}, "snapshot": {"bid": 1.5}}


@dataclass
class FakeCapital:
    """The fake API's state: ``tree`` maps node id → (name, children ids, epics); ``top`` lists top ids."""

    clock: FakeClock
    top: list[str] = field(default_factory=lambda: ["hierarchy_v1.top"])
    tree: dict[str, tuple[str, list[str], list[str]]] = field(
        default_factory=lambda: {"hierarchy_v1.top": ("Top", [], ["SILVER", "GOLD"])}
    )
    watchlist_epics: dict[str, list[str]] = field(default_factory=lambda: {"101": ["GOLD"]})
    requests: list[Arrival] = field(default_factory=list)
    sessions: dict[tuple[str, str], str] = field(default_factory=dict)
    timezone_offset: float = 2.0
    navigation_limit: int = 500
    yields: int = 3
    _faults: dict[str, list[Callable[[], httpx.Response]]] = field(default_factory=dict)
    _tokens: itertools.count = field(default_factory=lambda: itertools.count(1))

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def answer_next(self, route: str, *responses: httpx.Response | Callable[[], httpx.Response]) -> None:
        """Answer the next requests of ``route`` ("GET /accounts") with these responses, or call these to
        raise a transport error; faults and endpoints the fake does not serve alike."""
        for response in responses:
            factory = response if callable(response) else (lambda response=response: response)
            self._faults.setdefault(route, []).append(factory)

    def expire_sessions(self) -> None:
        self.sessions.clear()

    def arrivals(self, route: str) -> list[Arrival]:
        return [arrival for arrival in self.requests if arrival.route == route]

    async def handle(self, request: httpx.Request) -> httpx.Response:
        for _ in range(self.yields):
            await asyncio.sleep(0)  # let concurrent requests interleave, as real I/O would
        raw_path = request.url.raw_path.decode().split("?")[0]
        route = route_of(request.method, raw_path) or f"{request.method} ?"
        body = json.loads(request.content) if request.content else None
        params = dict(request.url.params)
        headers = httpx.Headers(request.headers)  # a replayed request object gets new headers later
        arrival = Arrival(request.method, route, raw_path, params, headers, body, self.clock.now())
        self.requests.append(arrival)
        if self._faults.get(route):
            return self._faults[route].pop(0)()
        return self.answer(request, route, raw_path, params, body)

    def answer(
        self, request: httpx.Request, route: str, path: str, params: dict[str, str], body: Any
    ) -> httpx.Response:
        if route == "GET /time":
            return json_response(200, {"serverTime": int(self.clock.now() * 1000)})
        if route in ("GET /session/encryptionKey", "POST /session"):
            if not request.headers.get("X-CAP-API-KEY"):
                return error(400, "error.null.api.key")
            if request.headers["X-CAP-API-KEY"] != API_KEY:
                return error(401, "error.invalid.api.key")
            return self.encryption_key() if route.startswith("GET") else self.login(body)
        account = self.sessions.get(
            (request.headers.get("CST", ""), request.headers.get("X-SECURITY-TOKEN", ""))
        )
        if account is None:
            return error(401, "error.invalid.session.token")
        segment = unquote(path.rsplit("/", 1)[-1])
        return self.authed(request, route, segment, params, body, account)

    def encryption_key(self) -> httpx.Response:
        public = (
            private_key()
            .public_key()
            .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        return json_response(
            200,
            {"encryptionKey": base64.b64encode(public).decode(), "timeStamp": int(self.clock.now() * 1000)},
        )

    def login(self, body: dict[str, Any]) -> httpx.Response:
        password = body["password"]
        if body.get("encryptedPassword"):
            plain = base64.b64decode(private_key().decrypt(base64.b64decode(password), padding.PKCS1v15()))
            password, _, timestamp = plain.decode().rpartition("|")
            if self.clock.now() * 1000 - int(timestamp) > 60_000:
                return error(401, "error.invalid.details")
        if body["identifier"] != IDENTIFIER or password != PASSWORD:
            return error(401, "error.invalid.details")
        return self.issue(ACCOUNTS[0]["accountId"], {"currentAccountId": ACCOUNTS[0]["accountId"]})

    def issue(self, account_id: str, body: dict[str, Any], cst: str | None = None) -> httpx.Response:
        number = next(self._tokens)
        tokens = (cst or f"cst-secret-{number}", f"xst-secret-{number}")
        self.sessions[tokens] = account_id
        payload = {**body, "timezoneOffset": self.timezone_offset, "accounts": ACCOUNTS}
        return json_response(200, payload, {"CST": tokens[0], "X-SECURITY-TOKEN": tokens[1]})

    def authed(
        self,
        request: httpx.Request,
        route: str,
        segment: str,
        params: dict[str, str],
        body: Any,
        account: str,
    ) -> httpx.Response:
        tokens = (request.headers["CST"], request.headers["X-SECURITY-TOKEN"])
        if route == "PUT /session":
            if body["accountId"] == account:
                return error(400, "error.not-different.accountId")
            del self.sessions[tokens]
            return self.issue(body["accountId"], {"dealingEnabled": True}, cst=tokens[0])
        if route == "DELETE /session":
            del self.sessions[tokens]
            return json_response(200, {"status": "SUCCESS"})
        answers: dict[str, Callable[[], httpx.Response]] = {
            "GET /ping": lambda: json_response(200, {"status": "OK"}),
            "GET /session": lambda: json_response(
                200, {"accountId": account, "clientId": "1", "locale": "en"}
            ),
            "GET /accounts": lambda: json_response(200, {"accounts": ACCOUNTS}),
            "GET /accounts/preferences": lambda: json_response(
                200, {"hedgingMode": account == ACCOUNTS[1]["accountId"]}
            ),
            "GET /marketnavigation": lambda: json_response(
                200, {"nodes": [{"id": node, "name": self.tree[node][0]} for node in self.top]}
            ),
            "GET /marketnavigation/{nodeId}": lambda: self.node(segment, int(params.get("limit", "500"))),
            "GET /markets": lambda: self.markets(params),
            "GET /markets/{epic}": lambda: json_response(200, details(segment)),
            "GET /watchlists": lambda: json_response(
                200, {"watchlists": [{"id": key, "name": f"list {key}"} for key in self.watchlist_epics]}
            ),
            "GET /watchlists/{watchlistId}": lambda: json_response(
                200, {"markets": [market(epic) for epic in self.watchlist_epics[segment]]}
            ),
        }
        return answers[route]() if route in answers else error(404, "error.not-found.route")

    def node(self, node_id: str, limit: int) -> httpx.Response:
        if not 1 <= limit <= self.navigation_limit:
            return error(400, "error.invalid.limit")
        if node_id not in self.tree:
            return error(404, "error.not-found.nodeId")
        _, children, epics = self.tree[node_id]
        nodes = [
            {"id": child, "name": self.tree[child][0] if child in self.tree else child} for child in children
        ]
        page: dict[str, Any] = {"nodes": nodes}
        if epics:
            page["markets"] = [market(epic) for epic in epics[:limit]]
        return json_response(200, page)

    def markets(self, params: dict[str, str]) -> httpx.Response:
        if "epics" in params:
            epics = params["epics"].split(",")
            if len(epics) > 50:
                return error(400, "error.invalid.epics")
            known = {epic for _, _, node_epics in self.tree.values() for epic in node_epics}
            return json_response(200, {"marketDetails": [details(epic) for epic in epics if epic in known]})
        return json_response(200, {"markets": [market("SILVER")]})


def client_for(api: FakeCapital, **overrides: Any) -> CapitalClient:
    """A client wired to ``api``'s transport and virtual clock."""
    return CapitalClient(
        CREDENTIALS, settings(**overrides), transport=api.transport(), clock=api.clock, rng=random.Random(7)
    )
