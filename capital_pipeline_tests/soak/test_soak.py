"""Consecutive simulated days of scheduled snapshots over the evolving universe, on DuckDB and PostgreSQL.

Each day's run is the one ``capital_snapshot_schedule`` requests for that day's 06:00 UTC tick, launched with
the tags the scheduler would give it. After each run every table holds exactly one more snapshot, with that
day's rows, and the change views show exactly the simulator's known differences for the day.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dagster import DagsterInstance, DagsterRun, build_schedule_context

from capital_pipeline.defs.jobs import capital_snapshot_schedule
from capital_pipeline.defs.launch import launch_snapshot
from capital_pipeline.simulator import SimulatorHandle
from capital_pipeline.warehouse import DATA_TABLES, Warehouse
from capital_pipeline_tests.defs.conftest import WarehouseTarget
from capital_pipeline_tests.defs.universe_views import (
    expected_counts,
    navigation_members,
    visible_epics,
    watchlist_members,
)
from capital_pipeline_tests.soak.day_truth import (
    market_change_rows,
    normalized_market_change,
    reported_rule_fields,
    rule_fields_between,
    watchlist_change_rows,
)

# The 30 days on both databases: a run takes 1-3 s on the quiet 2-core machine (95 s for DuckDB's 30
# in a full suite at load ~2, 33 s for PostgreSQL's 10); CAPITAL_PIPELINE_SOAK_DAYS=N soaks both for N days.
SOAK_DAYS = {"duckdb": 30, "postgresql": 30}
SOAK_DAYS_VARIABLE = "CAPITAL_PIPELINE_SOAK_DAYS"
# Up to 60 runs in one test: longer than the suite's 300 s default on a loaded machine, still bounded.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

FIRST_TICK = datetime(2026, 10, 1, 6, 0, tzinfo=UTC)
# Dagster's scheduler gives each tick's run this hidden tag (dagster/_scheduler/scheduler.py).
SCHEDULED_EXECUTION_TIME_TAG = ".dagster/scheduled_execution_time"

_ROWS_PER_SNAPSHOT = " UNION ALL ".join(
    f"SELECT '{table.name}' AS table_name, snapshot_id, COUNT(*) AS row_count FROM {table.name} "
    "GROUP BY snapshot_id"
    for table in DATA_TABLES
)


def soak_days(target: WarehouseTarget) -> int:
    configured = os.environ.get(SOAK_DAYS_VARIABLE)
    return int(configured) if configured else SOAK_DAYS[target.url.split(":", 1)[0].split("+", 1)[0]]


def run_scheduled_tick(instance: DagsterInstance, target: WarehouseTarget, tick: datetime) -> str:
    """Evaluate the schedule for ``tick`` and launch its run request as the scheduler would; the run id."""
    with build_schedule_context(instance=instance, scheduled_execution_time=tick) as context:
        (request,) = capital_snapshot_schedule.evaluate_tick(context).run_requests or []
    tags = {
        **request.tags,
        **DagsterRun.tags_for_schedule(capital_snapshot_schedule),
        SCHEDULED_EXECUTION_TIME_TAG: tick.isoformat(),
    }
    assert not request.run_config, "the schedule asks for no config of its own"
    with launch_snapshot(instance, run_config=target.run_config(), tags=tags) as result:
        assert result.success, [event.message for event in result.all_events if event.is_failure]
        return result.run_id


def rows_per_snapshot(warehouse: Warehouse) -> dict[tuple[str, str], int]:
    frame = warehouse.query(_ROWS_PER_SNAPSHOT)
    return {
        (table, snapshot): int(count) for table, snapshot, count in frame.itertuples(index=False, name=None)
    }


def pairs(warehouse: Warehouse, sql: str, snapshot_id: str) -> set[tuple[Any, ...]]:
    return set(warehouse.query(sql, {"snapshot_id": snapshot_id}).itertuples(index=False, name=None))


def assert_day_landed(
    warehouse: Warehouse,
    snapshot_id: str,
    universe: dict[str, Any],
    rows_before: dict[tuple[str, str], int],
) -> dict[tuple[str, str], int]:
    """The day added exactly its own snapshot's rows to every table, and they are the simulator's."""
    rows_after = rows_per_snapshot(warehouse)
    added = {table: rows_after.pop((table, snapshot_id), 0) for table in (t.name for t in DATA_TABLES)}
    assert rows_after == rows_before, "an earlier snapshot changed"
    assert added == expected_counts(universe)
    markets = pairs(warehouse, "SELECT epic FROM markets WHERE snapshot_id = :snapshot_id", snapshot_id)
    assert markets == {(epic,) for epic in visible_epics(universe)}
    navigation = "SELECT node_id, epic FROM navigation_markets WHERE snapshot_id = :snapshot_id"
    assert pairs(warehouse, navigation, snapshot_id) == navigation_members(universe)
    watchlists = "SELECT watchlist_id, epic FROM watchlist_markets WHERE snapshot_id = :snapshot_id"
    assert pairs(warehouse, watchlists, snapshot_id) == watchlist_members(universe)
    return {**rows_before, **{(table, snapshot_id): count for table, count in added.items()}}


def assert_day_changes(
    warehouse: Warehouse,
    snapshot_id: str,
    previous_snapshot_id: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> set[tuple[Any, ...]]:
    """``market_changes`` and ``watchlist_changes`` for the day are the simulator's known differences."""
    market_sql = (
        "SELECT previous_snapshot_id, epic, change, old_value, new_value FROM market_changes "
        "WHERE snapshot_id = :snapshot_id"
    )
    found = warehouse.query(market_sql, {"snapshot_id": snapshot_id})
    assert set(found["previous_snapshot_id"]) <= {previous_snapshot_id}
    markets = {normalized_market_change(*row) for row in found.iloc[:, 1:].itertuples(index=False, name=None)}
    watch_sql = "SELECT watchlist_id, epic, change FROM watchlist_changes WHERE snapshot_id = :snapshot_id"
    watchlists = pairs(warehouse, watch_sql, snapshot_id)
    if before is None:
        assert (markets, watchlists) == (set(), set()), "the first snapshot has nothing to compare with"
        return set()
    expected = market_change_rows(before, after)
    assert len(found) == len(markets), "a change is reported twice"
    assert markets == expected
    rules = {row for row in markets if row[1] == "dealing_rules_changed"}
    assert set().union(*(rule_fields_between(e, o, n) for e, _, o, n in rules)) == reported_rule_fields(
        before, after
    )
    assert watchlists == watchlist_change_rows(after)
    return {(snapshot_id, *row) for row in markets}


def test_each_scheduled_day_adds_one_snapshot_with_exactly_that_days_rows_and_changes(
    soak_env: SimulatorHandle, soak_instance: DagsterInstance, target: WarehouseTarget
) -> None:
    warehouse = target.warehouse()
    rows: dict[tuple[str, str], int] = {}
    history: set[tuple[Any, ...]] = set()
    snapshot_ids: list[str] = []
    run_ids: list[str] = []
    before: dict[str, Any] | None = None
    days = soak_days(target)
    assert days >= 2, "a soak compares consecutive days"
    for day in range(days):
        soak_env.set_config(day=day)
        universe = soak_env.universe()
        tick = FIRST_TICK + timedelta(days=day)
        run_ids.append(run_scheduled_tick(soak_instance, target, tick))
        snapshot_ids.append(f"scheduled-{tick:%Y-%m-%dT%H:%MZ}")
        rows = assert_day_landed(warehouse, snapshot_ids[-1], universe, rows)
        previous = snapshot_ids[-2] if day else None
        history |= assert_day_changes(warehouse, snapshot_ids[-1], previous, before, universe)
        before = universe

    snapshots = warehouse.query("SELECT snapshot_id, status, run_id FROM snapshots ORDER BY snapshot_at")
    assert snapshots["snapshot_id"].tolist() == snapshot_ids
    assert snapshots["run_id"].tolist() == run_ids
    assert set(snapshots["status"]) == {"succeeded"}
    everything = warehouse.query("SELECT snapshot_id, epic, change, old_value, new_value FROM market_changes")
    assert {
        (snapshot, *normalized_market_change(*row))
        for snapshot, *row in everything.itertuples(index=False, name=None)
    } == history
    assert len(everything) == len(history)
    assert history, "consecutive simulated days should change something"
    assert soak_env.stats()["trading_or_editing_calls"] == 0
