"""Records: typed, tolerant of missing and unknown fields, strict about what they cannot do without."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capital_pipeline.capital.errors import MalformedResponse
from capital_pipeline.capital.parsing import ParseContext, parse_record, parse_records
from capital_pipeline.capital.records import (
    Account,
    MarketDetails,
    MarketSummary,
    NavigationPage,
    Preferences,
    SessionInfo,
    Watchlist,
)
from capital_pipeline.capital.trading_records import Activity, OpenPosition, PriceBar, Transaction

SUMMARY = {
    "delayTime": 0,
    "epic": "SILVER",
    "symbol": "Silver",
    "netChange": -0.219,
    "lotSize": 1,
    "expiry": "-",
    "instrumentType": "COMMODITIES",
    "instrumentName": "Silver",
    "high": 24.405,
    "low": 24.119,
    "percentageChange": -0.8929,
    "updateTime": "2022-04-06T15:17:38.477",
    "updateTimeUTC": "2022-04-06T13:17:38.477",
    "bid": 24.366,
    "offer": 24.386,
    "streamingPricesAvailable": True,
    "marketStatus": "TRADEABLE",
    "scalingFactor": 1,
    "marketModes": ["REGULAR"],
    "pipPosition": 2,
    "tickSize": 0.001,
}


def test_market_summary_reads_every_documented_field() -> None:
    summary = parse_record(MarketSummary, SUMMARY, ParseContext(timezone_offset=2))
    assert summary.epic == "SILVER" and summary.bid == 24.366 and summary.market_modes == ("REGULAR",)
    assert summary.update_time_utc == datetime(2022, 4, 6, 13, 17, 38, 477000, tzinfo=UTC)
    assert summary.update_time == summary.update_time_utc  # local time minus the 2 h offset
    assert summary.extra == {} and summary.raw == SUMMARY


def test_unknown_fields_are_kept_in_extra_and_raw() -> None:
    summary = parse_record(MarketSummary, {**SUMMARY, "brandNewField": {"x": 1}})
    assert summary.extra == {"brandNewField": {"x": 1}}
    assert summary.raw["brandNewField"] == {"x": 1}


def test_missing_optional_fields_are_none() -> None:
    summary = parse_record(MarketSummary, {"epic": "CLOSED_SHARE"})
    assert (summary.net_change, summary.high, summary.update_time_utc) == (None, None, None)


def test_a_mistyped_optional_field_becomes_none_and_stays_in_raw() -> None:
    summary = parse_record(
        MarketSummary, {**SUMMARY, "bid": "24.3", "marketModes": "REGULAR", "lotSize": True}
    )
    assert (summary.bid, summary.market_modes, summary.lot_size) == (None, None, None)
    assert summary.raw["bid"] == "24.3"


@pytest.mark.parametrize(
    ("record_type", "data"),
    [
        (MarketSummary, {"bid": 1.0}),
        (MarketSummary, {"epic": 42}),
        (Account, {"accountId": None}),
        (MarketDetails, {"instrument": {"name": "no epic"}}),
        (NavigationPage, {"nodes": [{"name": "no id"}]}),
        (NavigationPage, {"nodes": [], "markets": "not a list"}),
        (PriceBar, {"snapshotTimeUTC": "yesterday"}),
        (MarketSummary, ["not", "an", "object"]),
    ],
)
def test_what_a_record_cannot_do_without_raises_malformed_response(record_type, data) -> None:
    with pytest.raises(MalformedResponse):
        parse_record(record_type, data)


def test_parse_records_needs_a_list() -> None:
    with pytest.raises(MalformedResponse):
        parse_records(Watchlist, {"id": "1"})


def test_local_time_without_an_offset_is_left_to_raw() -> None:
    summary = parse_record(MarketSummary, SUMMARY, ParseContext(timezone_offset=None))
    assert summary.update_time is None and summary.update_time_utc is not None


def test_nested_records_lists_and_maps_are_typed() -> None:
    info = parse_record(
        SessionInfo,
        {
            "currentAccountId": "1",
            "timezoneOffset": 3,
            "accounts": [{"accountId": "1", "balance": {"balance": 92.89, "profitLoss": 2.51}}],
        },
    )
    assert info.accounts is not None and info.accounts[0].balance is not None
    assert info.accounts[0].balance.profit_loss == 2.51
    preferences = parse_record(
        Preferences,
        {"hedgingMode": False, "leverages": {"SHARES": {"current": 2, "available": [1, 2, 3, 5]}}},
    )
    assert preferences.leverages is not None and preferences.leverages["SHARES"].available == (1, 2, 3, 5)


def test_trading_records_read_their_utc_fields_and_their_quirks() -> None:
    activity = parse_record(
        Activity, {"date": "2022-01-03T18:01:34.228", "dateUTC": "2022-01-03T15:01:34.228"}
    )
    transaction = parse_record(Transaction, {"dateUtc": "2022-04-04T16:51:05.648", "size": "1.05"})
    assert activity.date_utc.hour == 15 and transaction.size == "1.05"
    position = parse_record(
        OpenPosition, {"position": {"dealId": "d1", "size": 10, "direction": "BUY"}, "market": SUMMARY}
    )
    assert (
        position.position.deal_id == "d1" and position.market is not None and position.market.epic == "SILVER"
    )


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from([*SUMMARY, "instrument", "snapshot", "nodes", "markets", "accountId", "id", "dealId"])


@settings(max_examples=300, deadline=None)
@given(
    record_type=st.sampled_from(
        [MarketSummary, MarketDetails, NavigationPage, SessionInfo, OpenPosition, PriceBar]
    ),
    data=st.one_of(JSON, st.dictionaries(KEYS, JSON, max_size=8)),
)
def test_any_json_either_parses_or_raises_malformed_response(record_type, data) -> None:
    try:
        record = parse_record(record_type, data, ParseContext(timezone_offset=1))
    except MalformedResponse:
        return
    assert record.raw is data
