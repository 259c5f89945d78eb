"""Hostile answers at the HTTP seam: whatever body an endpoint returns, the client answers with typed records
whose fields any consumer can store, or with one of its own errors (never naming a secret), never with an
unhandled exception.

Bodies are hypothesis-made JSON (wrong types, nulls, huge and odd strings, deep nesting, NaN, missing keys)
and mutations of the official collection's examples, served through ``httpx.MockTransport`` so the whole path
runs: transport, retries, JSON decoding, record parsing, and the crawl, batching and paging on top.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from capital_pipeline.capital import CapitalClient, records, trading_records
from capital_pipeline.capital.errors import CapitalError, MalformedResponse
from capital_pipeline.capital.parsing import ApiRecord, ParseContext, _field_specs, json_text, parse_record
from capital_pipeline.capital.transport import route_of

from .fake_api import ACCOUNTS, API_KEY, CREDENTIALS, IDENTIFIER, PASSWORD, FakeCapital, FakeClock, settings
from .hostile_json import HOSTILE_NUMBERS, HOSTILE_STRINGS, body_text, fuzz_settings, hostile_json, mutated

Call = Callable[[CapitalClient], Awaitable[Any]]
START = datetime(2026, 11, 2, tzinfo=UTC)
SECRETS = (API_KEY, PASSWORD, IDENTIFIER)
LARGEST_INTEGER = 2**53 - 1


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """A client method and the route whose answers it reads; ``requests`` name its collection examples."""

    name: str
    routes: tuple[str, ...]
    requests: tuple[str, ...]
    call: Call


ENDPOINTS = [
    Endpoint("server_time", ("GET /time",), ("Get server time",), lambda c: c.server_time()),
    Endpoint("ping", ("GET /ping",), ("Ping the service",), lambda c: c.ping()),
    Endpoint("session_details", ("GET /session",), ("Session details",), lambda c: c.session_details()),
    Endpoint("accounts", ("GET /accounts",), ("All accounts",), lambda c: c.accounts()),
    Endpoint(
        "preferences", ("GET /accounts/preferences",), ("Account preferences",), lambda c: c.preferences()
    ),
    Endpoint(
        "navigation_top",
        ("GET /marketnavigation",),
        ("All top-level market categories",),
        lambda c: c.navigation_top(),
    ),
    Endpoint(
        "navigation_node",
        ("GET /marketnavigation/{nodeId}",),
        ("All category sub-nodes",),
        lambda c: c.navigation_node("hierarchy_v1.commodities"),
    ),
    Endpoint(
        "crawl_navigation",
        ("GET /marketnavigation", "GET /marketnavigation/{nodeId}"),
        ("All top-level market categories", "All category sub-nodes"),
        lambda c: c.crawl_navigation(limit=3),
    ),
    Endpoint("all_markets", ("GET /markets",), ("Markets details",), lambda c: c.all_markets()),
    Endpoint("search_markets", ("GET /markets",), ("Markets details",), lambda c: c.search_markets("gold")),
    Endpoint(
        "market_details",
        ("GET /markets",),
        ("Markets details", "Single market details"),
        lambda c: c.market_details([f"EPIC{i}" for i in range(60)]),
    ),
    Endpoint("market", ("GET /markets/{epic}",), ("Single market details",), lambda c: c.market("SILVER")),
    Endpoint("watchlists", ("GET /watchlists",), ("All watchlists",), lambda c: c.watchlists()),
    Endpoint(
        "watchlist_markets",
        ("GET /watchlists/{watchlistId}",),
        ("Single watchlist",),
        lambda c: c.watchlist_markets("101"),
    ),
    Endpoint("prices", ("GET /prices/{epic}",), ("Historical prices",), lambda c: c.prices("SILVER")),
    Endpoint(
        "price_pages",
        ("GET /prices/{epic}",),
        ("Historical prices",),
        lambda c: c.prices("SILVER", "DAY", START - timedelta(days=1500), START),
    ),
    Endpoint(
        "client_sentiment",
        ("GET /clientsentiment",),
        ("Client sentiment for markets",),
        lambda c: c.client_sentiment(["SILVER", "GOLD"]),
    ),
    Endpoint("positions", ("GET /positions",), ("All positions",), lambda c: c.positions()),
    Endpoint(
        "working_orders", ("GET /workingorders",), ("All working orders",), lambda c: c.working_orders()
    ),
    Endpoint(
        "activity",
        ("GET /history/activity",),
        ("Account activity history",),
        lambda c: c.activity(START, START + timedelta(days=2), detailed=True),
    ),
    Endpoint(
        "transactions",
        ("GET /history/transactions",),
        ("Account transactions history",),
        lambda c: c.transactions(START, START + timedelta(days=2)),
    ),
    Endpoint(
        "encryption_key", ("GET /session/encryptionKey",), ("Encryption key",), lambda c: _login_and_read(c)
    ),
    Endpoint("login", ("POST /session",), ("Create new session",), lambda c: _login_and_read(c)),
]
BY_NAME = {endpoint.name: endpoint for endpoint in ENDPOINTS}


async def _login_and_read(client: CapitalClient) -> Any:
    # A fuzzed login answer also sets the session's timezoneOffset, which every local time is read with.
    await client.login()
    return await client.accounts(), await client.watchlist_markets("101"), client.parse_context()


class HostileApi:
    """The fake API, except that ``routes`` answer with the given bodies (the n-th request of a route gets
    ``bodies[n % len(bodies)]``), with ``status`` and, for a login, fresh session tokens."""

    def __init__(self, routes: tuple[str, ...], bodies: list[bytes], status: int = 200) -> None:
        self.fake = FakeCapital(FakeClock())
        self.routes, self.bodies, self.status = routes, bodies, status
        self.served = 0

    async def handle(self, request: httpx.Request) -> httpx.Response:
        route = route_of(request.method, request.url.raw_path.decode().split("?")[0])
        if route not in self.routes:
            return await self.fake.handle(request)
        body = self.bodies[self.served % len(self.bodies)]
        self.served += 1
        headers = {"content-type": "application/json"}
        if route == "POST /session":
            tokens = (f"cst-secret-fuzz-{self.served}", f"xst-secret-fuzz-{self.served}")
            self.fake.sessions[tokens] = str(ACCOUNTS[0]["accountId"])
            headers |= {"CST": tokens[0], "X-SECURITY-TOKEN": tokens[1]}
        return httpx.Response(self.status, content=body, headers=headers)

    def client(self) -> CapitalClient:
        return CapitalClient(
            CREDENTIALS,
            settings(max_attempts=2),
            transport=httpx.MockTransport(self.handle),
            clock=self.fake.clock,
            rng=random.Random(7),
        )

    def secrets(self) -> list[str]:
        issued = [token for pair in self.fake.sessions for token in pair]
        return [*SECRETS, *issued, "cst-secret-fuzz", "xst-secret-fuzz"]


def assert_storable(value: Any, where: str = "result") -> None:
    """Typed values any consumer can store: UTF-8 text, finite floats, JSON-exact integers, aware times."""
    if isinstance(value, str):
        value.encode("utf-8")  # raises on a lone surrogate
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, float):
        assert math.isfinite(value), where
    elif isinstance(value, int):
        assert -LARGEST_INTEGER <= value <= LARGEST_INTEGER, where
    elif isinstance(value, datetime):
        assert value.tzinfo is not None, where
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            if field.name not in ("raw", "extra"):  # kept as received, by design
                assert_storable(getattr(value, field.name), f"{where}.{field.name}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            assert_storable(item, f"{where}[{index}]")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if dataclasses.is_dataclass(item):  # leverages by instrument group
                assert_storable(item, f"{where}[{key!r}]")
            else:  # openingHours, details: JSON as received, stored through json_text
                json_text(item).encode("utf-8")


def outcome(api: HostileApi, call: Call) -> Any:
    """Run ``call``: its result, checked storable, or None when it raised a ``CapitalError`` naming no secret.
    Anything else propagates and fails the test."""

    async def run() -> Any:
        async with api.client() as client:
            return await call(client)

    try:
        result = asyncio.run(run())
    except CapitalError as error:
        shown = f"{error} {error!r} {error.__cause__!r}"
        leaked = [secret for secret in api.secrets() if secret in shown]
        assert not leaked, f"{type(error).__name__} names a secret"
        return None
    assert_storable(result)
    return result


@pytest.mark.parametrize("name", list(BY_NAME))
@fuzz_settings(25)
@given(data=st.data())
def test_any_answer_is_read_or_refused_with_a_typed_error(name: str, data: st.DataObject) -> None:
    endpoint = BY_NAME[name]
    bodies = data.draw(
        st.lists(
            st.one_of(mutated(*endpoint.requests), hostile_json()).map(body_text), min_size=1, max_size=3
        )
    )
    outcome(HostileApi(endpoint.routes, bodies), endpoint.call)


@pytest.mark.parametrize("status", [400, 401, 404, 429, 500, 502, 503])
@fuzz_settings(15)
@given(body=st.one_of(hostile_json(), st.builds(lambda code: {"errorCode": code}, hostile_json())))
def test_any_error_body_becomes_a_typed_error(status: int, body: Any) -> None:
    api = HostileApi(("GET /accounts",), [body_text(body)], status)
    assert outcome(api, lambda c: c.accounts()) is None


@pytest.mark.parametrize(
    "body",
    [b"", b"<html>502</html>", b"\xff\xfe\x00", b'{"accounts": [', b'"\\ud800', b"1" * 5000, b"[" * 50],
    ids=["empty", "html", "not-utf8", "cut-short", "bad-escape", "huge-integer", "unclosed"],
)
def test_a_body_that_is_not_json_is_malformed(body: bytes) -> None:
    api = HostileApi(("GET /accounts",), [body])
    with pytest.raises(MalformedResponse):
        asyncio.run(_run(api, lambda c: c.accounts()))


async def _run(api: HostileApi, call: Call) -> Any:
    async with api.client() as client:
        return await call(client)


def test_nesting_deeper_than_the_decoder_allows_is_malformed() -> None:
    api = HostileApi(("GET /accounts",), [b"[" * 100_000 + b"]" * 100_000])
    with pytest.raises(MalformedResponse):
        asyncio.run(_run(api, lambda c: c.accounts()))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("\ud800", "\ufffd"), ("a\udc00b", "a\ufffdb"), ("😀", "😀"), ("\x00", "\x00")],
)
def test_text_reads_lone_surrogates_as_replacement_characters_and_raw_keeps_them(
    value: str, expected: str
) -> None:
    api = HostileApi(("GET /watchlists",), [body_text({"watchlists": [{"id": "1", "name": value}]})])
    watchlist = asyncio.run(_run(api, lambda c: c.watchlists()))[0]
    assert watchlist.name == expected and watchlist.raw["name"] == value


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bid", float("nan")),
        ("bid", float("inf")),
        ("bid", 10**400),
        ("delayTime", 2**63),
        ("delayTime", 1e300),
        ("updateTimeUTC", "0001-01-01T00:00:00+01:00"),
        ("updateTime", "9999-12-31T23:59:59"),
    ],
)
def test_values_no_database_could_store_are_mistyped_and_stay_in_raw(field: str, value: Any) -> None:
    # updateTime is local: 9999-12-31T23:59 minus a negative offset leaves datetime's range.
    api = HostileApi(
        ("GET /watchlists/{watchlistId}",), [body_text({"markets": [{"epic": "X", field: value}]})]
    )
    api.fake.timezone_offset = -2.0
    market = asyncio.run(_run(api, lambda c: c.watchlist_markets("101")))[0]
    typed = {
        f.name: getattr(market, f.name) for f in dataclasses.fields(market) if f.name not in ("raw", "extra")
    }
    assert set(typed.values()) == {"X", None}
    assert market.raw[field] == value or (value != value and market.raw[field] != market.raw[field])


@pytest.mark.parametrize(
    ("name", "body", "path"),
    [
        ("activity", {"activities": [{"epic": "X"}]}, "/history/activity"),
        ("transactions", {"transactions": [{"note": "no dateUtc"}]}, "/history/transactions"),
        ("accounts", {"accounts": [{}]}, "/accounts"),
        ("market", {"instrument": {"name": "no epic"}}, "/markets/SILVER"),
    ],
)
def test_a_record_the_client_cannot_read_names_the_request_path(name: str, body: Any, path: str) -> None:
    endpoint = BY_NAME[name]
    with pytest.raises(MalformedResponse) as raised:
        asyncio.run(_run(HostileApi(endpoint.routes, [body_text(body)]), endpoint.call))
    assert raised.value.path is not None and raised.value.path.endswith(path)


def test_a_node_id_that_looks_like_a_dot_segment_is_asked_for_as_itself() -> None:
    api = HostileApi(("GET /marketnavigation",), [body_text({"nodes": [{"id": ".", "name": "dot"}]})])
    asyncio.run(_run(api, lambda c: c.crawl_navigation()))
    node_paths = [arrival.path for arrival in api.fake.requests if arrival.route.endswith("{nodeId}")]
    assert node_paths == ["/api/v1/marketnavigation/%2E"]


def test_an_empty_node_id_is_a_local_error_for_the_crawl_and_is_never_sent() -> None:
    api = HostileApi(("GET /marketnavigation",), [body_text({"nodes": [{"id": "", "name": "blank"}]})])
    crawl = asyncio.run(_run(api, lambda c: c.crawl_navigation()))
    assert [failure.subject for failure in crawl.failures] == [""]
    assert [arrival.route for arrival in api.fake.requests if arrival.route.endswith("{nodeId}")] == []


def test_an_id_too_long_for_a_url_is_a_local_error_for_the_crawl() -> None:
    # Found by the 1,000-example run: a navigation answer naming a node id of 100,000 characters.
    api = HostileApi(("GET /marketnavigation",), [body_text({"nodes": [{"id": "x" * 100_000}]})])
    crawl = asyncio.run(_run(api, lambda c: c.crawl_navigation()))
    assert [failure.subject for failure in crawl.failures] == ["x" * 100_000]


RECORD_TYPES = [
    kind
    for module in (records, trading_records)
    for kind in (getattr(module, name) for name in module.__all__)
    if isinstance(kind, type) and issubclass(kind, ApiRecord)
]
OFFSETS = st.sampled_from([None, 0.0, 2.0, -12.5, 14.0, float("nan"), float("inf"), 1e300, -1e300])


def _record_json(record_type: type[ApiRecord]) -> st.SearchStrategy[Any]:
    # Objects over the record's own keys (each value hostile), so fields are reached, not just refused.
    keys = [spec.key.name for spec in _field_specs(record_type)]
    leaves = st.one_of(hostile_json(max_leaves=4), st.sampled_from(HOSTILE_NUMBERS + HOSTILE_STRINGS))
    return st.one_of(hostile_json(), st.dictionaries(st.sampled_from(keys), leaves, max_size=len(keys)))


@pytest.mark.parametrize("record_type", RECORD_TYPES, ids=lambda kind: kind.__name__)
@fuzz_settings(40)
@given(data=st.data(), offset=OFFSETS)
def test_every_record_type_reads_any_json_or_raises_malformed_response(
    record_type: type[ApiRecord], data: st.DataObject, offset: float | None
) -> None:
    body = data.draw(_record_json(record_type))
    try:
        record = parse_record(record_type, body, ParseContext(offset))
    except MalformedResponse:
        return
    assert record.raw is body
    assert_storable(record)
