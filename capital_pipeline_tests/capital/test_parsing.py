"""Records: typed, tolerant of missing and unknown fields, strict about what they cannot do without."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capital_pipeline.capital.errors import MalformedResponse
from capital_pipeline.capital.parsing import (
    ParseContext,
    WrongType,
    _finite,
    epoch_ms,
    flag,
    integer,
    json_text,
    local_time,
    mapping,
    number,
    parse_record,
    parse_records,
    text,
    text_list,
    unicode_text,
    utc_time,
)
from capital_pipeline.capital.records import (
    Account,
    MarketDetails,
    MarketSummary,
    NavigationPage,
    OvernightFee,
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


# A GET /markets?epics= item as the simulator serves it (x10, day 0), with an unknown key added.
DETAILS = {
    "instrument": {
        "epic": "1001JP",
        "symbol": "1001JP",
        "expiry": "-",
        "name": "Redwood Saffron Foods Corp",
        "lotSize": 1,
        "type": "SHARES",
        "guaranteedStopAllowed": True,
        "streamingPricesAvailable": True,
        "currency": "JPY",
        "marginFactor": 20,
        "marginFactorUnit": "PERCENTAGE",
        "openingHours": {"mon": ["00:00 - 06:00"], "sat": [], "zone": "UTC"},
        "overnightFee": {
            "longRate": -0.0082192,
            "shortRate": -0.0027397,
            "swapChargeTimestamp": 1793656800000,
            "swapChargeInterval": 1440,
        },
        "country": "Japan",
    },
    "dealingRules": {
        "minStepDistance": {"unit": "POINTS", "value": 1},
        "minDealSize": {"unit": "POINTS", "value": 0.01},
        "maxDealSize": {"unit": "POINTS", "value": 1000},
        "minSizeIncrement": {"unit": "POINTS", "value": 0.01},
        "minGuaranteedStopDistance": {"unit": "PERCENTAGE", "value": 1},
        "minStopOrProfitDistance": {"unit": "PERCENTAGE", "value": 0.5},
        "maxStopOrProfitDistance": {"unit": "PERCENTAGE", "value": 90},
        "marketOrderPreference": "AVAILABLE_DEFAULT_ON",
        "trailingStopsPreference": "AVAILABLE",
    },
    "snapshot": {
        "marketStatus": "CLOSED",
        "netChange": -147.0,
        "percentageChange": -6.804,
        "updateTime": "2026-11-02T08:59:58.615",
        "delayTime": 0,
        "bid": 2011.0,
        "offer": 2015.0,
        "high": 2199.0,
        "low": 1973.0,
        "decimalPlacesFactor": 0,
        "scalingFactor": 1,
        "marketModes": ["REGULAR"],
    },
    "brandNewField": [1, {"x": None}],
}


def test_market_details_read_every_field_of_a_simulator_answer_exactly() -> None:
    details = parse_record(MarketDetails, DETAILS, ParseContext(timezone_offset=3))
    instrument, rules, snapshot = details.instrument, details.dealing_rules, details.snapshot
    assert details.raw is DETAILS and details.extra == {"brandNewField": [1, {"x": None}]}
    assert details.epic == "1001JP" and instrument.raw is DETAILS["instrument"] and instrument.extra == {}
    assert (instrument.symbol, instrument.name, instrument.type, instrument.expiry, instrument.currency) == (
        "1001JP",
        "Redwood Saffron Foods Corp",
        "SHARES",
        "-",
        "JPY",
    )
    assert type(instrument.lot_size) is float and instrument.lot_size == 1.0
    assert type(instrument.margin_factor) is float and instrument.margin_factor == 20.0
    assert (instrument.margin_factor_unit, instrument.country) == ("PERCENTAGE", "Japan")
    assert instrument.guaranteed_stop_allowed is True and instrument.streaming_prices_available is True
    assert instrument.opening_hours is DETAILS["instrument"]["openingHours"]
    fee = instrument.overnight_fee
    assert fee is not None and (fee.long_rate, fee.short_rate, fee.swap_charge_interval) == (
        -0.0082192,
        -0.0027397,
        1440,
    )
    assert fee.swap_charge_at == datetime(2026, 11, 2, 22, 0, tzinfo=UTC)
    assert rules is not None and rules.min_deal_size is not None and rules.max_deal_size is not None
    assert (rules.min_deal_size.unit, rules.min_deal_size.value) == ("POINTS", 0.01)
    assert type(rules.max_deal_size.value) is float and rules.max_deal_size.value == 1000.0
    assert (rules.market_order_preference, rules.trailing_stops_preference) == (
        "AVAILABLE_DEFAULT_ON",
        "AVAILABLE",
    )
    assert snapshot is not None and snapshot.market_status == "CLOSED"
    assert (snapshot.net_change, snapshot.bid, snapshot.offer, snapshot.high, snapshot.low) == (
        -147.0,
        2011.0,
        2015.0,
        2199.0,
        1973.0,
    )
    assert snapshot.update_time == datetime(2026, 11, 2, 5, 59, 58, 615000, tzinfo=UTC)  # local minus 3 h
    assert (snapshot.delay_time, snapshot.decimal_places_factor, snapshot.scaling_factor) == (0, 0, 1)
    assert snapshot.market_modes == ("REGULAR",)


def test_a_parsed_record_equals_the_one_its_constructor_builds() -> None:
    summary = parse_record(MarketSummary, {**SUMMARY, "bid": "24.3", "x": 1}, ParseContext(timezone_offset=2))
    typed = {name: value for name, value in vars(summary).items() if name not in ("raw", "extra")}
    built = MarketSummary(raw=summary.raw, extra={"x": 1}, **typed)
    assert summary == built and repr(summary) == repr(built)
    assert list(vars(summary)) == list(vars(built))  # the same attributes, in the same order
    with pytest.raises(AttributeError):
        summary.epic = "changed"  # type: ignore[misc]


def test_a_navigation_page_reads_its_nodes_and_markets() -> None:
    body = {"nodes": [{"id": "n1", "name": "One"}, {"id": "n2"}], "markets": [SUMMARY, {"epic": "TSLA"}]}
    page = parse_record(NavigationPage, body, ParseContext(timezone_offset=2))
    assert page.nodes is not None and page.markets is not None
    assert [(node.node_id, node.name) for node in page.nodes] == [("n1", "One"), ("n2", None)]
    assert [market.epic for market in page.markets] == ["SILVER", "TSLA"]
    assert page.markets[0].raw is SUMMARY and page.raw is body


@pytest.mark.parametrize(
    ("record_type", "data", "message"),
    [
        (MarketDetails, {}, "MarketDetails: instrument is missing"),
        (MarketDetails, {"instrument": None}, "MarketDetails: instrument is missing"),
        (MarketDetails, {"instrument": []}, "MarketDetails: instrument has an unexpected type"),
        (MarketDetails, {"instrument": {"epic": 7}}, "Instrument: epic has an unexpected type"),
        (MarketDetails, {"instrument": {"epic": "E", "overnightFee": 3}, "snapshot": "x"}, None),
        (NavigationPage, {"markets": {}}, "NavigationPage: markets has an unexpected type"),
        (NavigationPage, {"markets": [{"epic": "A"}, "B"]}, "MarketSummary: expected a JSON object, got str"),
        (NavigationPage, {"nodes": [{"id": "a"}, {"name": "b"}]}, "NavigationNode: id is missing"),
        (Account, {"accountId": "1", "balance": {"balance": "x"}}, None),
        (
            PriceBar,
            {"snapshotTimeUTC": "2022-13-01T00:00:00"},
            "PriceBar: snapshotTimeUTC has an unexpected type",
        ),
        (MarketSummary, [], "MarketSummary: expected a JSON object, got list"),
    ],
)
def test_errors_name_the_record_and_key_and_the_request_path(record_type, data, message) -> None:
    if message is None:  # a mistyped optional field, nested or not, is left to raw
        record = parse_record(record_type, data, path="/p")
        assert record.raw is data
        return
    with pytest.raises(MalformedResponse) as raised:
        parse_record(record_type, data, path="/p")
    assert (raised.value.message, raised.value.path) == (message, "/p")


def test_parse_records_names_the_path_of_an_item_it_cannot_read() -> None:
    with pytest.raises(MalformedResponse) as raised:
        parse_records(Watchlist, [{"id": "1"}, {"name": "no id"}], path="/watchlists")
    assert (raised.value.message, raised.value.path) == ("Watchlist: id is missing", "/watchlists")
    assert parse_records(Watchlist, []) == []


NAN, INF = float("nan"), float("inf")
# Values at each converter's edges: the well-typed common case a parser reads without calling the converter,
# and its neighbours that must still go through the converter (and come out exactly as the converter says).
EDGE_VALUES = [
    None, True, False, 0, 1, -1, 2**53 - 1, 2**53, -(2**53 - 1), -(2**53), 2**1000 - 1, 2**1000, 10**400,
    -(10**400), 0.0, -0.0, 1.5, 3.0, 1e300, -1e-320, NAN, INF, -INF, "", "a", "é", "\ud800", "a\udc00b",
    "2022-04-06T13:17:38.477", "2022-04-06T13:17:38+02:00", "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59", "0001-01-01T00:00:00", "2022-04-06", "yesterday", [], ["A"], ["A", "é"],
    ["\ud800"], ["A", 1], [1.0], {},
    {"a": [1]}, 253402300799999, 253402300800000, -62135596800000, -62135596800001, 1793656800000,
]  # fmt: skip


def _expected(converter, value, context):
    try:
        return converter(value, context)
    except WrongType:
        return None


def _same(left, right) -> bool:
    if isinstance(left, float) and left != left:
        return isinstance(right, float) and right != right
    return type(left) is type(right) and left == right


@pytest.mark.parametrize("offset", [None, 2.0, -12.5, NAN, INF, 1e300])
@pytest.mark.parametrize(
    ("record_type", "key", "attribute", "converter"),
    [
        (MarketSummary, "symbol", "symbol", text),
        (MarketSummary, "bid", "bid", number),
        (MarketSummary, "delayTime", "delay_time", integer),
        (MarketSummary, "streamingPricesAvailable", "streaming_prices_available", flag),
        (MarketSummary, "marketModes", "market_modes", text_list),
        (MarketSummary, "updateTime", "update_time", local_time),
        (MarketSummary, "updateTimeUTC", "update_time_utc", utc_time),
        (Activity, "details", "details", mapping),
        (OvernightFee, "swapChargeTimestamp", "swap_charge_at", epoch_ms),
    ],
)
def test_every_field_reads_exactly_what_its_converter_returns(record_type, key, attribute, converter, offset):
    context = ParseContext(offset)
    required = {"epic": "E"} if record_type is MarketSummary else {}
    required |= {"dateUTC": "2022-01-03T15:01:34.228"} if record_type is Activity else {}
    for value in EDGE_VALUES:
        record = parse_record(record_type, {**required, key: value}, context)
        assert _same(getattr(record, attribute), _expected(converter, value, context)), (key, value)


@pytest.mark.parametrize(
    ("converter", "value", "offset", "expected"),
    [
        (number, 1, None, 1.0),
        (number, 2**1000, None, float(2**1000)),
        (number, 10**400, None, None),
        (number, NAN, None, None),
        (number, True, None, None),
        (integer, 3.0, None, 3),
        (integer, 3.5, None, None),
        (integer, 2**53 - 1, None, 2**53 - 1),
        (integer, 2**53, None, None),
        (text, "a\ud800", None, "a\ufffd"),
        (text_list, ["é", "\udfff"], None, ("é", "\ufffd")),
        (text_list, ["A", 1], None, None),
        (local_time, "2022-04-06T15:17:38.477", 2.0, datetime(2022, 4, 6, 13, 17, 38, 477000, tzinfo=UTC)),
        (local_time, "2022-04-06T15:17:38+01:00", None, datetime(2022, 4, 6, 14, 17, 38, tzinfo=UTC)),
        (local_time, "2022-04-06T15:17:38", None, None),
        (local_time, "2022-04-06T15:17:38", NAN, None),
        (local_time, "2022-04-06T15:17:38", 1e300, None),
        (local_time, "9999-12-31T23:59:59", -2.0, None),
        (utc_time, "2022-04-06", None, datetime(2022, 4, 6, tzinfo=UTC)),
        (utc_time, "0001-01-01T00:00:00+01:00", None, None),
        (epoch_ms, 253402300799999, None, datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)),
        (epoch_ms, 253402300800000, None, None),
        (epoch_ms, -62135596800000, None, datetime(1, 1, 1, tzinfo=UTC)),
        (epoch_ms, -62135596800001, None, None),
    ],
)
def test_converters_keep_their_tolerance_rules(converter, value, offset, expected) -> None:
    assert _same(_expected(converter, value, ParseContext(offset)), expected)


@settings(max_examples=300, deadline=None)
@given(value=JSON, sort_keys=st.booleans())
def test_json_text_writes_what_compact_json_dumps_writes(value, sort_keys) -> None:
    # json_text keeps one encoder instead of json.dumps building one per call: the text must not change,
    # or every dealing_rules compared by market_changes would read as changed once.
    options = {"ensure_ascii": False, "separators": (",", ":"), "sort_keys": sort_keys}
    assert json_text(value, sort_keys=sort_keys) == unicode_text(json.dumps(_finite(value), **options))


def test_json_text_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(TypeError, match="datetime is not JSON serializable"):
        json_text({"at": datetime(2026, 1, 1)})
