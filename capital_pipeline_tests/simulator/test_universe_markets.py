"""Market bodies and summaries in the current docs' shape (REFERENCE section 6, S2); their daily prices."""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta

from capital_pipeline.simulator.universe import build_universe

universe = functools.cache(build_universe)  # one build per arguments per session; tests never mutate it

# Keys of the S2 examples of GET /markets/{epic} and of the market summary object.
INSTRUMENT_KEYS = {
    "epic", "symbol", "expiry", "name", "lotSize", "type", "guaranteedStopAllowed",
    "streamingPricesAvailable", "currency", "marginFactor", "marginFactorUnit", "openingHours",
    "overnightFee", "country",
}  # fmt: skip
DEALING_RULE_KEYS = {
    "minStepDistance", "minDealSize", "maxDealSize", "minSizeIncrement", "minGuaranteedStopDistance",
    "minStopOrProfitDistance", "maxStopOrProfitDistance", "marketOrderPreference",
    "trailingStopsPreference",
}  # fmt: skip
SNAPSHOT_KEYS = {
    "marketStatus", "netChange", "percentageChange", "updateTime", "delayTime", "bid", "offer", "high",
    "low", "decimalPlacesFactor", "scalingFactor", "marketModes",
}  # fmt: skip
SUMMARY_KEYS = {
    "delayTime", "epic", "symbol", "netChange", "lotSize", "expiry", "instrumentType", "instrumentName",
    "high", "low", "percentageChange", "updateTime", "updateTimeUTC", "bid", "offer",
    "streamingPricesAvailable", "marketStatus", "scalingFactor", "marketModes", "pipPosition", "tickSize",
}  # fmt: skip
# "closed share without netChange/high/low/percentageChange" (REFERENCE section 6)
OPTIONAL_PRICE_KEYS = {"netChange", "high", "low", "percentageChange"}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$")
SATURDAY = 5  # day 0 is a Monday


def test_market_bodies_have_the_current_docs_keys() -> None:
    for epic, details in universe(1, 1, 0).markets.items():
        instrument = details["instrument"]
        assert set(details) == {"instrument", "dealingRules", "snapshot"}
        assert instrument["epic"] == epic
        # crypto bodies leave out the optional "country"
        assert (
            set(instrument) | ({"country"} if instrument["type"] == "CRYPTOCURRENCIES" else set())
            == INSTRUMENT_KEYS
        )
        assert set(instrument["overnightFee"]) == {
            "longRate",
            "shortRate",
            "swapChargeTimestamp",
            "swapChargeInterval",
        }
        assert set(instrument["openingHours"]) == {"mon", "tue", "wed", "thu", "fri", "sat", "sun", "zone"}
        assert set(details["dealingRules"]) == DEALING_RULE_KEYS
        assert set(details["snapshot"]) | OPTIONAL_PRICE_KEYS == SNAPSHOT_KEYS


def test_summaries_have_the_current_docs_keys_and_agree_with_the_body() -> None:
    default = universe(1, 1, 0)
    for epic, details in default.markets.items():
        summary = default.market_summary(epic)
        assert set(summary) | OPTIONAL_PRICE_KEYS == SUMMARY_KEYS
        assert summary["instrumentName"] == details["instrument"]["name"]
        assert summary["instrumentType"] == details["instrument"]["type"]
        assert summary["bid"] == details["snapshot"]["bid"] < summary["offer"]
        assert summary["tickSize"] == details["dealingRules"]["minStepDistance"]["value"]
        assert OPTIONAL_PRICE_KEYS.isdisjoint(summary) == OPTIONAL_PRICE_KEYS.isdisjoint(details["snapshot"])


def test_instrument_types_are_the_five_the_reference_lists() -> None:
    types = {details["instrument"]["type"] for details in universe(1, 1, 0).markets.values()}
    assert types == {"SHARES", "CURRENCIES", "INDICES", "CRYPTOCURRENCIES", "COMMODITIES"}


def test_the_real_head_of_the_universe_is_there() -> None:
    markets = universe(1, 1, 0).markets
    expected = {"AAPL": "SHARES", "EURUSD": "CURRENCIES", "BTCUSD": "CRYPTOCURRENCIES", "GOLD": "COMMODITIES"}
    expected |= {"SILVER": "COMMODITIES", "OIL_CRUDE": "COMMODITIES", "US500": "INDICES", "SPY": "SHARES"}
    assert {epic: markets[epic]["instrument"]["type"] for epic in expected} == expected
    assert markets["SILVER"]["instrument"]["name"] == "Silver"


def test_some_closed_shares_lack_the_optional_price_fields() -> None:
    sparse = [d for d in universe(1, 1, 0).markets.values() if OPTIONAL_PRICE_KEYS.isdisjoint(d["snapshot"])]
    assert sparse
    assert all(d["snapshot"]["marketStatus"] != "TRADEABLE" for d in sparse)
    assert all(d["instrument"]["type"] == "SHARES" for d in sparse)


def test_update_times_are_local_and_utc_without_zone() -> None:
    default = universe(1, 1, 0)
    offset = timedelta(hours=default.client["timezoneOffset"])
    for epic in list(default.markets)[::50]:
        summary = default.market_summary(epic)
        assert TIMESTAMP.match(summary["updateTime"]) and TIMESTAMP.match(summary["updateTimeUTC"])
        local, utc = (datetime.fromisoformat(summary[k]) for k in ("updateTime", "updateTimeUTC"))
        assert local - utc == offset
        assert summary["updateTime"] == default.markets[epic]["snapshot"]["updateTime"]


def test_monday_afternoon_has_us_shares_open_and_asian_shares_closed() -> None:
    markets = universe(1, 1, 0).markets
    assert markets["AAPL"]["snapshot"]["marketStatus"] == "TRADEABLE"
    assert markets["7203JP"]["snapshot"]["marketStatus"] == "CLOSED"


def test_weekends_close_everything_but_crypto() -> None:
    for details in universe(1, 1, SATURDAY).markets.values():
        crypto = details["instrument"]["type"] == "CRYPTOCURRENCIES"
        status = details["snapshot"]["marketStatus"]
        assert status != "TRADEABLE" if not crypto else status in {"TRADEABLE", "SUSPENDED"}


def test_prices_move_from_one_day_to_the_next() -> None:
    monday, tuesday = universe(1, 1, 0).markets, universe(1, 1, 1).markets
    common = set(monday) & set(tuesday)
    moved = sum(monday[e]["snapshot"]["bid"] != tuesday[e]["snapshot"]["bid"] for e in common)
    assert moved > 0.9 * len(common)


def test_low_high_and_bid_offer_are_ordered() -> None:
    for details in universe(1, 1, 0).markets.values():
        snapshot = details["snapshot"]
        assert 0 < snapshot["bid"] < snapshot["offer"]
        if "low" in snapshot:
            assert snapshot["low"] <= snapshot["bid"] and snapshot["low"] < snapshot["high"]


def test_market_modes_take_the_documented_values() -> None:
    modes = [tuple(d["snapshot"]["marketModes"]) for d in universe(1, 1, 0).markets.values()]
    assert set(modes) == {("REGULAR",), ("VIEW_ONLY",), ()}
    assert modes.count(("REGULAR",)) > 0.9 * len(modes)
