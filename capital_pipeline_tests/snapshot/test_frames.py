"""Records become rows with the declared columns; what the API left out stays null; `raw` stays exact."""

from __future__ import annotations

import json

import pandas as pd

from capital_pipeline.capital.navigation import CrawledNode, NavigationCrawl
from capital_pipeline.capital.parsing import ParseContext, parse_record
from capital_pipeline.capital.records import MarketDetails, NavigationNode
from capital_pipeline.snapshot import market_frame, navigation_frames, snapshot_epics
from capital_pipeline.warehouse import table_named

FULL = {
    "instrument": {
        "epic": "SILVER",
        "name": "Silver",
        "type": "COMMODITIES",
        "marginFactor": 10,
        "marginFactorUnit": "PERCENTAGE",
        "overnightFee": {"longRate": -0.02, "shortRate": 0.01, "swapChargeTimestamp": 1707948000000},
        "openingHours": {"mon": ["00:00 - 21:59"], "zone": "UTC"},
        "brandNewField": {"nested": [1, 2]},
    },
    "dealingRules": {
        "minDealSize": {"unit": "POINTS", "value": 1},
        "marketOrderPreference": "AVAILABLE_DEFAULT_ON",
    },
    "snapshot": {"marketStatus": "TRADEABLE", "bid": 22.041, "updateTime": "2022-04-06T11:23:00.955"},
}
BARE = {"instrument": {"epic": "NEW1"}}


def _details(body: dict) -> MarketDetails:
    return parse_record(MarketDetails, body, ParseContext(timezone_offset=2))


def test_market_rows_have_the_declared_columns_and_keep_the_raw_object_exactly() -> None:
    frame = market_frame([_details(FULL), _details(BARE)])
    assert list(frame.columns) == [column.name for column in table_named("markets").frame_columns]
    silver = frame.iloc[0]
    assert (silver["margin_factor"], silver["min_deal_size"], silver["min_deal_size_unit"]) == (
        10,
        1,
        "POINTS",
    )
    assert silver["overnight_fee_swap_charge_at"] == pd.Timestamp(1707948000000, unit="ms", tz="UTC")
    # updateTime is local (UTC + timezoneOffset 2 h): stored as UTC.
    assert silver["update_time"] == pd.Timestamp("2022-04-06T09:23:00.955", tz="UTC")
    assert json.loads(silver["raw"]) == FULL
    assert json.loads(silver["raw"])["instrument"]["brandNewField"] == {"nested": [1, 2]}


def test_a_market_without_rules_or_snapshot_leaves_those_columns_null() -> None:
    bare = market_frame([_details(BARE)]).iloc[0]
    for column in ("min_deal_size", "market_status", "bid", "dealing_rules", "market_modes", "margin_factor"):
        assert pd.isna(bare[column]), column


def test_market_details_in_the_s1_spelling_fill_the_guaranteed_stop_and_distance_columns() -> None:
    older = {  # the official collection's spelling (REFERENCE §6, "Older S1 shape")
        "instrument": {"epic": "SILVER", "controlledRiskAllowed": True},
        "dealingRules": {
            "minControlledRiskStopDistance": {"unit": "PERCENTAGE", "value": 2},
            "minNormalStopOrLimitDistance": {"unit": "PERCENTAGE", "value": 0.01},
            "maxStopOrLimitDistance": {"unit": "PERCENTAGE", "value": 60},
        },
    }
    row = market_frame([_details(older)]).iloc[0]
    assert row["guaranteed_stop_allowed"] == True  # noqa: E712 (a numpy bool)
    assert (row["min_guaranteed_stop_distance"], row["min_stop_or_profit_distance"]) == (2, 0.01)
    assert (row["max_stop_or_profit_distance"], row["max_stop_or_profit_distance_unit"]) == (60, "PERCENTAGE")
    assert json.loads(row["raw"]) == older


def test_snapshot_epics_are_navigation_then_watchlists_each_once() -> None:
    navigation = pd.DataFrame({"node_id": ["a", "b", "b"], "epic": ["X", "Y", "X"], "position": [0, 0, 1]})
    watchlists = pd.DataFrame({"watchlist_id": ["1", "1"], "epic": ["Z", "Y"], "position": [0, 1]})
    assert snapshot_epics(navigation, watchlists) == ["X", "Y", "Z"]


def test_a_navigation_node_row_keeps_the_object_the_api_sent_with_its_unknown_fields() -> None:
    sent = {"id": "hierarchy_v1.shares", "name": "Shares", "brandNewField": {"nested": [1, 2]}}
    node = parse_record(NavigationNode, sent)
    crawled = CrawledNode(node.node_id, node.name, None, 1, ("Shares",), node.raw)
    row = navigation_frames(NavigationCrawl([crawled], [], [], [], 500))["navigation_nodes"].iloc[0]
    assert json.loads(row["raw"]) == sent
