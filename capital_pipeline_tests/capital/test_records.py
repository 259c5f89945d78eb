"""Records (``records.py``): market details in the older S1 spelling read into the S2 fields."""

from __future__ import annotations

import pytest

from capital_pipeline.capital.parsing import parse_record, parse_records
from capital_pipeline.capital.records import MarketDetails
from capital_pipeline_tests.simulator.conformance import load_examples

# The collection's successful market-details examples, read from the repository's copy (as the conformance
# test reads it), so these pin the official bodies unchanged.
DETAILS_REQUESTS = ("Single market details", "Markets details")


def official_details() -> list[dict]:
    """Every market-details object of the official collection's successful examples (the S1 spelling)."""
    _, examples = load_examples()
    bodies = [e.body for e in examples if e.status == 200 and e.request in DETAILS_REQUESTS]
    items = [item for body in bodies for item in body.get("marketDetails", [body])]
    return [item for item in items if "instrument" in item]  # "Markets details" also answers searches


def test_the_collection_has_market_details_in_the_s1_spelling() -> None:
    details = official_details()
    assert len(details) >= 3 and all("controlledRiskAllowed" in d["instrument"] for d in details)


@pytest.mark.parametrize("body", official_details(), ids=lambda body: str(body["instrument"]["epic"]))
def test_official_market_details_read_s1_names_into_their_s2_fields(body: dict) -> None:
    details = parse_record(MarketDetails, body)
    instrument, rules, sent_rules = details.instrument, details.dealing_rules, body["dealingRules"]
    assert instrument.guaranteed_stop_allowed is body["instrument"]["controlledRiskAllowed"]
    assert rules is not None
    for rule, s1_name in (
        (rules.min_guaranteed_stop_distance, "minControlledRiskStopDistance"),
        (rules.min_stop_or_profit_distance, "minNormalStopOrLimitDistance"),
        (rules.max_stop_or_profit_distance, "maxStopOrLimitDistance"),
    ):
        assert rule is not None and (rule.unit, rule.value) == (
            sent_rules[s1_name]["unit"],
            sent_rules[s1_name]["value"],
        )
    assert instrument.raw is body["instrument"] and rules.raw is sent_rules  # raw is what was sent
    assert instrument.extra == {} and rules.extra == {}  # the S1 names are read, not left over


def test_the_s2_name_wins_when_both_are_sent() -> None:
    body = {
        "instrument": {"epic": "GOLD", "guaranteedStopAllowed": False, "controlledRiskAllowed": True},
        "dealingRules": {
            "minStopOrProfitDistance": {"unit": "POINTS", "value": 5},
            "minNormalStopOrLimitDistance": {"unit": "PERCENTAGE", "value": 0.01},
        },
    }
    details = parse_record(MarketDetails, body)
    assert details.instrument.guaranteed_stop_allowed is False
    assert details.dealing_rules is not None and details.dealing_rules.min_stop_or_profit_distance is not None
    assert details.dealing_rules.min_stop_or_profit_distance.value == 5
    assert details.instrument.extra == {"controlledRiskAllowed": True}


def test_an_s2_name_sent_as_null_falls_back_to_the_s1_name() -> None:
    body = {"instrument": {"epic": "GOLD", "guaranteedStopAllowed": None, "controlledRiskAllowed": True}}
    assert parse_record(MarketDetails, body).instrument.guaranteed_stop_allowed is True


def test_details_in_the_s2_spelling_only_are_read_as_before() -> None:
    body = {"instrument": {"epic": "GOLD", "guaranteedStopAllowed": True}, "dealingRules": {}}
    (details,) = parse_records(MarketDetails, [body])
    assert details.instrument.guaranteed_stop_allowed is True and details.instrument.raw is body["instrument"]
    assert details.dealing_rules is not None and details.dealing_rules.max_stop_or_profit_distance is None
