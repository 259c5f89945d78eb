"""Any records the client's parsers accept become frames that staging (Parquet) and both warehouses take,
and each JSON column holds what the API sent (NaN/Infinity as null, lone surrogates as U+FFFD: no JSON
database stores either)."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from capital_pipeline.capital import NavigationCrawl
from capital_pipeline.capital.errors import MalformedResponse
from capital_pipeline.capital.navigation import walk_navigation
from capital_pipeline.capital.parsing import (
    ApiRecord,
    ParseContext,
    parse_record,
    parse_records,
)
from capital_pipeline.capital.progress import no_progress
from capital_pipeline.capital.records import (
    Account,
    MarketDetails,
    MarketSummary,
    NavigationNode,
    NavigationPage,
    Preferences,
    Watchlist,
)
from capital_pipeline.snapshot import account_frames, market_frame, navigation_frames, watchlist_frames
from capital_pipeline.snapshot.fetch import AccountsPart, WatchlistsPart
from capital_pipeline.warehouse import table_named
from capital_pipeline.warehouse.dialects import DUCKDB, POSTGRESQL
from capital_pipeline.warehouse.frames import snapshot_rows
from capital_pipeline_tests.capital.hostile_json import fuzz_settings, mutated, storable_json

TAKEN = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
# A parse that fails is the client's business (a typed error); what parses must publish.
Parsed = Any


def _parsed(parse: Any, *args: Any) -> Parsed:
    try:
        return parse(*args)
    except MalformedResponse:
        return None


def first_per_key(records: list[Any], key: str) -> list[Any]:
    first: dict[str, Any] = {}
    for record in records:
        first.setdefault(getattr(record, key), record)
    return list(first.values())


def _under(body: Any, key: str) -> Any:
    return body.get(key, []) if isinstance(body, dict) else body


class PagesClient:
    """Answers the crawl from parsed pages: node n gets ``pages[n % len(pages)]``."""

    def __init__(self, top: list[NavigationNode], pages: list[NavigationPage]) -> None:
        self.top, self.pages, self.asked = top, pages, 0

    async def navigation_top(self) -> list[NavigationNode]:
        return self.top

    async def navigation_node(self, node_id: str, limit: int) -> NavigationPage:
        self.asked += 1
        return self.pages[self.asked % len(self.pages)]


def crawl(top: list[NavigationNode], pages: list[NavigationPage]) -> NavigationCrawl:
    client: Any = PagesClient(top, pages or [NavigationPage()])
    return asyncio.run(walk_navigation(client, limit=3, on_progress=no_progress))


@contextmanager
def recursion_limit(limit: int) -> Iterator[None]:
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def staged(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame after the trip between steps: Parquet, as the staging IO manager writes and reads it."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    buffer.seek(0)
    return pd.read_parquet(buffer)


def assert_publishable(table: str, frame: pd.DataFrame) -> None:
    for dialect in (DUCKDB, POSTGRESQL):
        rows = snapshot_rows(table_named(table), staged(frame), "s1", TAKEN, dialect)
        assert rows.num_rows == len(frame)


def assert_raw_kept(frame: pd.DataFrame, records: list[ApiRecord]) -> None:
    by_text = list(frame["raw"])
    with recursion_limit(10_000):  # comparing 900-level values recursively; frames ran under the default
        for text, record in zip(by_text, records, strict=True):
            assert json.loads(text) == storable_json(record.raw)


@fuzz_settings(30)
@pytest.mark.filterwarnings("ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning")
@given(
    accounts=mutated("All accounts"),
    preferences=st.lists(mutated("Account preferences"), min_size=1, max_size=3),
    top=mutated("All top-level market categories"),
    pages=st.lists(mutated("All category sub-nodes"), min_size=1, max_size=3),
    watchlists=mutated("All watchlists"),
    members=st.lists(mutated("Single watchlist"), min_size=1, max_size=3),
    details=st.lists(mutated("Single market details"), min_size=1, max_size=6),
    offset=st.sampled_from([None, 2.0, -12.5]),
)
def test_any_records_the_parsers_accept_become_frames_every_warehouse_stores(
    accounts: Any,
    preferences: list[Any],
    top: Any,
    pages: list[Any],
    watchlists: Any,
    members: list[Any],
    details: list[Any],
    offset: float | None,
) -> None:
    context = ParseContext(offset)
    account_list = _parsed(parse_records, Account, _under(accounts, "accounts"), context) or []
    prefs = [p for p in (_parsed(parse_record, Preferences, body, context) for body in preferences) if p]
    part = AccountsPart(account_list, {a.account_id: p for a, p in zip(account_list, prefs, strict=False)})
    tables = account_frames(part)

    top_nodes = _parsed(parse_records, NavigationNode, _under(top, "nodes"), context) or []
    node_pages = [p for p in (_parsed(parse_record, NavigationPage, body, context) for body in pages) if p]
    tables |= navigation_frames(crawl(top_nodes, node_pages))

    lists = _parsed(parse_records, Watchlist, _under(watchlists, "watchlists"), context) or []
    markets = [_parsed(parse_records, MarketSummary, _under(body, "markets"), context) for body in members]
    by_list = {w.watchlist_id: m or [] for w, m in zip(lists, markets, strict=False)}
    tables |= watchlist_frames(WatchlistsPart(lists, by_list))

    market_details = [
        d for d in (_parsed(parse_record, MarketDetails, body, context) for body in details) if d
    ]
    tables["markets"] = market_frame(market_details)

    for table, frame in tables.items():
        assert_publishable(table, frame)
    assert_raw_kept(tables["markets"], first_per_key(market_details, "epic"))
    assert_raw_kept(tables["accounts"], first_per_key(account_list, "account_id"))


def _deep(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


HOSTILE_MARKET = {
    "instrument": {
        "epic": "NUL\x00EPIC",
        "name": "lone \ud800 surrogate, NUL \x00, RTL \u202e, emoji 😀, '); DROP TABLE markets; --",
        "symbol": "\\N",
        "lotSize": float("nan"),
        "marginFactor": 10**400,
        "overnightFee": {"longRate": float("inf"), "swapChargeTimestamp": 253402300799999},
        "openingHours": {"deep": _deep(980), "nan": float("nan"), "lone": "\udfff"},
    },
    "dealingRules": {"minDealSize": {"unit": "\x00", "value": -1e-320}},
    "snapshot": {"updateTime": "0001-01-01T00:00:00+00:00", "scalingFactor": 1.5, "delayTime": 2**53},
}


def test_a_hostile_market_becomes_a_row_both_warehouses_take_and_raw_keeps_it() -> None:
    # 980 levels: json.loads accepts that from a shallow stack, json.dumps refuses it from this deep one.
    details = parse_record(MarketDetails, HOSTILE_MARKET, ParseContext(2.0))
    frame = market_frame([details])
    assert_publishable("markets", frame)
    assert_raw_kept(frame, [details])
    row = frame.iloc[0]
    assert row["instrument_name"].startswith("lone \ufffd surrogate, NUL \x00")
    assert row["overnight_fee_swap_charge_at"] == pd.Timestamp("9999-12-31T23:59:59.999", tz="UTC")
    assert row["update_time"] == pd.Timestamp("0001-01-01", tz="UTC")
    for column in ("lot_size", "margin_factor", "overnight_fee_long_rate", "scaling_factor", "delay_time"):
        assert pd.isna(row[column]), column
