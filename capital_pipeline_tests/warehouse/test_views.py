"""The change-history views on three hand-built snapshots, with a failed one in between."""

from __future__ import annotations

import json
from typing import Any

import pytest

from capital_pipeline.warehouse import TABLES, VIEWS, Warehouse
from capital_pipeline.warehouse.dialects import DUCKDB, Namespace
from capital_pipeline.warehouse.views import view_statements

from .factory import DEALING_RULES, frames, market, snapshot

WIDER_DEALS = {**DEALING_RULES, "minDealSize": {"unit": "POINTS", "value": 2}}


@pytest.fixture
def three_days(warehouse: Warehouse) -> Warehouse:
    """Day 1, day 2, a failed snapshot whose rows must be ignored, then day 3."""
    warehouse.publish_snapshot(
        snapshot(1),
        frames(
            [market("A", "Alpha"), market("B", "Beta"), market("C", "Gamma"), market("D", "Delta")],
            {"1": ("Metals", ["A", "B"]), "2": ("Energy", ["C"])},
        ),
    )
    warehouse.publish_snapshot(
        snapshot(2),
        frames(
            # A renamed; B's margin doubles; C's dealing rules change; D is delisted (and was renamed:
            # a market renamed and delisted the same day is only delisted); E is listed.
            [
                market("A", "Alpha Two"),
                market("B", "Beta", margin=20),
                market("C", "Gamma", dealing_rules=WIDER_DEALS),
                market("E", "Epsilon"),
            ],
            {"1": ("Metals", ["A", "E"])},
        ),
    )
    failed = snapshot(3, snapshot_id="s2-retry")
    warehouse.record_failed_snapshot(failed, "the run failed before publishing")
    warehouse.publish_snapshot(
        snapshot(4, snapshot_id="s3"),
        frames(
            [
                market("A", "Alpha Two"),
                market("B", "Beta", margin=3.33, margin_unit="POINTS"),
                market("C", "Gamma", dealing_rules=WIDER_DEALS),
                market("E", "Epsilon"),
                market("F", "Phi"),
            ],
            {"1": ("Metals", ["A", "E"]), "3": ("New", ["A"])},
        ),
    )
    return warehouse


def records(warehouse: Warehouse, sql: str) -> list[dict[str, Any]]:
    return warehouse.query(sql).astype(object).where(lambda frame: frame.notna(), None).to_dict("records")


def test_market_changes_compare_each_succeeded_snapshot_with_the_previous_one(three_days: Warehouse) -> None:
    changes = records(
        three_days,
        "SELECT snapshot_id, previous_snapshot_id, epic, change, old_value, new_value FROM market_changes "
        "WHERE change <> 'dealing_rules_changed' ORDER BY snapshot_id, epic, change",
    )
    assert changes == [
        {
            "snapshot_id": "s2",
            "previous_snapshot_id": "s1",
            "epic": "A",
            "change": "renamed",
            "old_value": "Alpha",
            "new_value": "Alpha Two",
        },
        {
            "snapshot_id": "s2",
            "previous_snapshot_id": "s1",
            "epic": "B",
            "change": "margin_changed",
            "old_value": "10 PERCENTAGE",
            "new_value": "20 PERCENTAGE",
        },
        {
            "snapshot_id": "s2",
            "previous_snapshot_id": "s1",
            "epic": "D",
            "change": "delisted",
            "old_value": "Delta",
            "new_value": None,
        },
        {
            "snapshot_id": "s2",
            "previous_snapshot_id": "s1",
            "epic": "E",
            "change": "listed",
            "old_value": None,
            "new_value": "Epsilon",
        },
        {
            "snapshot_id": "s3",
            "previous_snapshot_id": "s2",
            "epic": "B",
            "change": "margin_changed",
            "old_value": "20 PERCENTAGE",
            "new_value": "3.33 POINTS",
        },
        {
            "snapshot_id": "s3",
            "previous_snapshot_id": "s2",
            "epic": "F",
            "change": "listed",
            "old_value": None,
            "new_value": "Phi",
        },
    ]


def test_market_changes_show_dealing_rules_as_json_before_and_after(three_days: Warehouse) -> None:
    changes = records(
        three_days,
        "SELECT snapshot_id, epic, old_value, new_value FROM market_changes "
        "WHERE change = 'dealing_rules_changed'",
    )
    assert [(c["snapshot_id"], c["epic"]) for c in changes] == [("s2", "C")]
    assert json.loads(changes[0]["old_value"]) == DEALING_RULES
    assert json.loads(changes[0]["new_value"]) == WIDER_DEALS


def test_market_changes_carry_the_snapshot_time(three_days: Warehouse) -> None:
    times = three_days.query(
        "SELECT DISTINCT snapshot_id, snapshot_at FROM market_changes ORDER BY snapshot_id"
    )
    assert list(times["snapshot_at"]) == [snapshot(2).snapshot_at, snapshot(4).snapshot_at]


def test_watchlist_changes_list_added_and_removed_epics(three_days: Warehouse) -> None:
    changes = records(
        three_days,
        "SELECT snapshot_id, watchlist_id, watchlist_name, epic, change FROM watchlist_changes "
        "ORDER BY snapshot_id, watchlist_id, epic",
    )
    assert changes == [
        {
            "snapshot_id": "s2",
            "watchlist_id": "1",
            "watchlist_name": "Metals",
            "epic": "B",
            "change": "removed",
        },
        {
            "snapshot_id": "s2",
            "watchlist_id": "1",
            "watchlist_name": "Metals",
            "epic": "E",
            "change": "added",
        },
        {
            "snapshot_id": "s2",
            "watchlist_id": "2",
            "watchlist_name": "Energy",
            "epic": "C",
            "change": "removed",
        },
        {"snapshot_id": "s3", "watchlist_id": "3", "watchlist_name": "New", "epic": "A", "change": "added"},
    ]


def test_the_first_snapshot_has_no_changes(warehouse: Warehouse) -> None:
    warehouse.publish_snapshot(snapshot(1), frames([market("A")], {"1": ("Metals", ["A"])}))
    assert warehouse.query("SELECT * FROM market_changes").empty
    assert warehouse.query("SELECT * FROM watchlist_changes").empty


def test_every_table_has_a_latest_view_and_both_change_views_exist() -> None:
    names = {view.name for view in VIEWS}
    assert names == {f"latest_{t.name}" for t in TABLES} | {"market_changes", "watchlist_changes"}
    statements = view_statements(Namespace(DUCKDB, "capital", "capital"))
    assert all(s.startswith('CREATE OR REPLACE VIEW "capital"."capital".') for s in statements)
    assert all('"capital"."capital"."' not in s.split(" AS\n", 1)[1] for s in statements)
