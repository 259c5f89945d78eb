"""Dealing rules applied to deals: size bounds, stop and profit bands (``dealing.py``)."""

from __future__ import annotations

import pytest

from capital_pipeline.simulator.dealing import check_size, check_stop_entry, protection
from capital_pipeline.simulator.responses import ApiError

DETAILS = {
    "snapshot": {"decimalPlacesFactor": 3},
    "dealingRules": {
        "minDealSize": {"unit": "POINTS", "value": 1},
        "maxDealSize": {"unit": "POINTS", "value": 1000},
        "minGuaranteedStopDistance": {"unit": "PERCENTAGE", "value": 5},
        "minStopOrProfitDistance": {"unit": "POINTS", "value": 0.5},
        "maxStopOrProfitDistance": {"unit": "PERCENTAGE", "value": 30},
    },
}


def _code(body: dict, direction: str = "BUY") -> str:
    with pytest.raises(ApiError) as error:
        protection(body, DETAILS, direction=direction, reference=100.0, size=2)
    return error.value.code


def test_buy_stop_and_profit_bands_name_the_violated_bound() -> None:
    assert _code({"stopLevel": 60}) == "error.invalid.stoploss.minvalue: 70.0"
    assert _code({"stopLevel": 99.8}) == "error.invalid.stoploss.maxvalue: 99.5"
    assert _code({"profitLevel": 100.2}) == "error.invalid.takeprofit.minvalue: 100.5"
    assert _code({"profitLevel": 200}) == "error.invalid.takeprofit.maxvalue: 130.0"


def test_sell_bands_are_mirrored() -> None:
    assert _code({"stopLevel": 99}, "SELL") == "error.invalid.stoploss.minvalue: 100.5"
    assert _code({"profitLevel": 50}, "SELL") == "error.invalid.takeprofit.minvalue: 70.0"


def test_guaranteed_stop_needs_the_guaranteed_distance() -> None:
    assert _code({"stopLevel": 97, "guaranteedStop": True}) == "error.invalid.stoploss.maxvalue: 95.0"


def test_distances_and_amounts_become_levels() -> None:
    levels = protection(
        {"stopDistance": 10, "profitAmount": 20}, DETAILS, direction="BUY", reference=100.0, size=2
    )
    assert (levels.stop_level, levels.profit_level) == (90.0, 110.0)
    short = protection(
        {"stopDistance": 10, "profitDistance": 5}, DETAILS, direction="SELL", reference=100.0, size=2
    )
    assert (short.stop_level, short.profit_level) == (110.0, 95.0)
    assert protection({}, DETAILS, direction="BUY", reference=100.0, size=1).stop_level is None


def test_stop_entry_orders_must_enter_beyond_the_market() -> None:
    market = DETAILS | {"snapshot": {"bid": 99.0, "offer": 100.0, "decimalPlacesFactor": 3}}
    check_stop_entry("BUY", 100.5, market)
    check_stop_entry("SELL", 98.5, market)
    for direction, level in (("BUY", 100.2), ("SELL", 98.8), ("BUY", 90.0)):
        with pytest.raises(ApiError) as error:
            check_stop_entry(direction, level, market)
        assert (error.value.status, error.value.code) == (400, "error.validation.stop.price")


def test_size_bounds() -> None:
    check_size(1, DETAILS)
    for size, code in ((0.5, "error.invalid.size.minvalue: 1"), (1001, "error.invalid.size.maxvalue: 1000")):
        with pytest.raises(ApiError) as error:
            check_size(size, DETAILS)
        assert error.value.code == code
