"""The declared tables hold the columns issue 4 asks for, keyed as it says."""

from __future__ import annotations

import pytest

from capital_pipeline.warehouse import DATA_TABLES, SNAPSHOTS, TABLES, LogicalType, table_named

DEALING_RULES = [
    "min_step_distance",
    "min_deal_size",
    "max_deal_size",
    "min_size_increment",
    "min_guaranteed_stop_distance",
    "min_stop_or_profit_distance",
    "max_stop_or_profit_distance",
]
REQUIRED = {
    "accounts": (
        ["account_id"],
        "account_name account_type status preferred currency symbol balance deposit "
        "profit_loss available raw",
    ),
    "account_preferences": (["account_id"], "hedging_mode leverages raw"),
    "navigation_nodes": (["node_id"], "name parent_id depth path is_leaf market_count truncated raw"),
    "navigation_markets": (["node_id", "epic"], "position"),
    "watchlists": (["watchlist_id"], "name editable deleteable default_system_watchlist market_count raw"),
    "watchlist_markets": (["watchlist_id", "epic"], "position"),
    "markets": (
        ["epic"],
        "symbol instrument_name instrument_type expiry currency country lot_size margin_factor "
        "margin_factor_unit guaranteed_stop_allowed streaming_prices_available opening_hours "
        "overnight_fee_long_rate overnight_fee_short_rate overnight_fee_swap_charge_at "
        "overnight_fee_swap_charge_interval market_order_preference trailing_stops_preference "
        "dealing_rules market_status bid offer high low net_change percentage_change update_time "
        "delay_time decimal_places_factor scaling_factor market_modes raw",
    ),
    "snapshots": ([], "environment run_id started_at finished_at status request_count row_counts error"),
}


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_each_table_has_its_keys_and_columns(table) -> None:  # type: ignore[no-untyped-def]
    keys, columns = REQUIRED[table.name]
    assert table.keys == ("snapshot_id", *keys)
    declared = [column.name for column in table.columns]
    assert set(columns.split()) <= set(declared)
    assert declared[:2] == ["snapshot_id", "snapshot_at"]


def test_markets_store_every_dealing_rule_as_value_and_unit() -> None:
    markets = table_named("markets")
    for rule in DEALING_RULES:
        assert markets.column(rule).type is LogicalType.FLOAT
        assert markets.column(f"{rule}_unit").type is LogicalType.TEXT


def test_timestamps_json_and_raw_are_typed() -> None:
    markets = table_named("markets")
    for name in ("update_time", "overnight_fee_swap_charge_at", "snapshot_at"):
        assert markets.column(name).type is LogicalType.TIMESTAMP
    for name in ("opening_hours", "dealing_rules", "market_modes", "raw"):
        assert markets.column(name).type is LogicalType.JSON
    assert all(t.column("raw").type is LogicalType.JSON for t in DATA_TABLES if "raw" in REQUIRED[t.name][1])


def test_the_data_tables_and_the_snapshots_table_make_up_all_tables() -> None:
    assert (*DATA_TABLES, SNAPSHOTS) == TABLES
    assert [t.name for t in TABLES] == list(REQUIRED)


def test_an_unknown_table_name_lists_the_declared_ones() -> None:
    with pytest.raises(KeyError, match="no warehouse table 'positions'; declared: accounts, "):
        table_named("positions")
