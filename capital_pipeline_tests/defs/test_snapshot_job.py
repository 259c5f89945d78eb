"""capital_snapshot_job through Dagster against the simulator: what lands, once, and what changes by day."""

from __future__ import annotations

import itertools

import pytest
from dagster import DagsterEventType, DagsterInstance

from capital_pipeline.simulator import SimulatorHandle
from capital_pipeline_tests.defs.conftest import MULTIPROCESS, WarehouseTarget, run_snapshot
from capital_pipeline_tests.defs.universe_views import (
    expected_counts,
    expected_market_changes,
    expected_watchlist_changes,
    navigation_members,
    watchlist_members,
)
from capital_pipeline_tests.readme import sql_examples

pytestmark = pytest.mark.slow


def test_every_table_holds_exactly_what_the_simulator_serves(
    capital_env: SimulatorHandle, instance: DagsterInstance, target: WarehouseTarget
) -> None:
    run_id = run_snapshot(instance, target)
    universe = capital_env.universe()
    warehouse = target.warehouse()
    latest = warehouse.latest_snapshot()
    assert latest is not None and latest.status == "succeeded"
    assert latest.snapshot.run_id == run_id
    assert warehouse.table_counts(latest.snapshot.snapshot_id) == expected_counts(universe)
    nav = warehouse.query("SELECT node_id, epic FROM latest_navigation_markets")
    assert set(nav.itertuples(index=False, name=None)) == navigation_members(universe)
    watch = warehouse.query("SELECT watchlist_id, epic FROM latest_watchlist_markets")
    assert set(watch.itertuples(index=False, name=None)) == watchlist_members(universe)
    nodes = warehouse.query("SELECT node_id, parent_id, depth FROM latest_navigation_nodes")
    truth = {(n["id"], n["parent_id"], n["depth"]) for n in universe["nodes"]}
    assert {
        (row.node_id, row.parent_id if row.parent_id else None, row.depth) for row in nodes.itertuples()
    } == truth


def test_snapshot_records_its_requests_and_the_api_saw_no_429(
    capital_env: SimulatorHandle, instance: DagsterInstance, tmp_path
) -> None:
    target = WarehouseTarget(f"duckdb:///{tmp_path / 'w.duckdb'}", "capital")
    run_snapshot(instance, target)
    stats = capital_env.stats()
    latest = target.warehouse().latest_snapshot()
    assert latest is not None
    assert latest.snapshot.request_count == stats["requests_total"]
    assert stats["too_many_requests"] == 0
    assert stats["trading_or_editing_calls"] == 0


API_STEPS = ("capital_accounts", "capital_navigation", "capital_watchlists", "markets")


def test_multiprocess_run_logs_in_once_takes_api_steps_in_turn_and_leaves_no_tokens_or_staging(
    capital_env: SimulatorHandle, instance: DagsterInstance, tmp_path, state_directory
) -> None:
    target = WarehouseTarget(f"duckdb:///{tmp_path / 'w.duckdb'}", "capital")
    run_id = run_snapshot(instance, target, execution=MULTIPROCESS)
    assert capital_env.stats()["logins"]["attempts"] == 1
    # One session, switched between accounts by one of them: the API steps never overlap (executor.py).
    events = instance.all_logs(run_id, of_type={DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS})
    spans: dict[str, list[float]] = {}
    for event in events:
        spans.setdefault(event.step_key or "", []).append(event.timestamp)
    ordered = sorted(spans[step] for step in API_STEPS)
    assert all(len(span) == 2 for span in ordered)
    assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(ordered))
    assert (state_directory / "pacing").is_dir(), "the run kept its state elsewhere"
    assert (state_directory / "runs").is_dir()
    assert not (state_directory / "runs" / run_id).exists()
    assert not list((tmp_path / "dagster_home").rglob(f"capital_staging/{run_id}"))


def test_rerunning_a_snapshot_replaces_its_rows(
    capital_env: SimulatorHandle, instance: DagsterInstance, target: WarehouseTarget
) -> None:
    tags = {"capital/snapshot_id": "tick-2026-11-21", "capital/snapshot_at": "2026-11-21T06:00:00+00:00"}
    run_snapshot(instance, target, tags=tags)
    warehouse = target.warehouse()
    first = warehouse.table_counts("tick-2026-11-21")
    run_snapshot(instance, target, tags=tags)
    assert warehouse.table_counts("tick-2026-11-21") == first
    snapshots = warehouse.query("SELECT snapshot_id FROM snapshots")
    assert snapshots["snapshot_id"].tolist() == ["tick-2026-11-21"]


def test_two_days_give_the_simulators_known_changes(
    capital_env: SimulatorHandle, instance: DagsterInstance, target: WarehouseTarget
) -> None:
    before = capital_env.universe()
    run_snapshot(instance, target, tags={"capital/snapshot_id": "day-0"})
    capital_env.set_config(day=1)
    after = capital_env.universe()
    run_snapshot(instance, target, tags={"capital/snapshot_id": "day-1"})
    warehouse = target.warehouse()
    markets = warehouse.query("SELECT snapshot_id, epic, change FROM market_changes")
    assert set(markets["snapshot_id"]) == {"day-1"}
    assert set(zip(markets["epic"], markets["change"], strict=True)) == expected_market_changes(before, after)
    watch = warehouse.query("SELECT snapshot_id, watchlist_id, epic, change FROM watchlist_changes")
    assert set(watch["snapshot_id"]) <= {"day-1"}
    found = set(zip(watch["watchlist_id"], watch["epic"], watch["change"], strict=True))
    assert found == expected_watchlist_changes(after)
    assert expected_market_changes(before, after), "the simulator's day 1 should change something"
    for example in sql_examples():
        assert warehouse.query(example.replace("capital.", "").rstrip().rstrip(";")) is not None, example
