"""What a run reports in Dagster, and what its checks stop: metadata, truncation warning, drop guard."""

from __future__ import annotations

import logging
from datetime import timedelta

import pandas as pd
import pytest
from dagster import AssetCheckKey, AssetCheckSeverity, AssetKey, DagsterInstance

from capital_pipeline.defs.checks import ACCEPT_DROP_TAG
from capital_pipeline.defs.launch import launch_snapshot
from capital_pipeline.simulator import SimulatorHandle
from capital_pipeline.warehouse import DATA_TABLES, Snapshot
from capital_pipeline_tests.defs.conftest import IN_PROCESS, WarehouseTarget, run_snapshot

pytestmark = pytest.mark.slow


@pytest.fixture
def duckdb_target(tmp_path) -> WarehouseTarget:
    return WarehouseTarget(f"duckdb:///{tmp_path / 'w.duckdb'}", "capital")


def test_every_table_asset_reports_row_count_column_schema_and_preview(
    capital_env: SimulatorHandle, instance: DagsterInstance, duckdb_target: WarehouseTarget
) -> None:
    run_snapshot(instance, duckdb_target)
    counts = duckdb_target.warehouse().table_counts(
        duckdb_target.warehouse().latest_snapshot().snapshot.snapshot_id
    )
    for table in DATA_TABLES:
        event = instance.get_latest_materialization_event(AssetKey(table.name))
        assert event is not None, table.name
        metadata = event.asset_materialization.metadata
        assert metadata["dagster/row_count"].value == counts[table.name]
        schema = metadata["dagster/column_schema"].value
        assert [column.name for column in schema.columns] == [column.name for column in table.columns]
        assert "|" in metadata["preview"].value  # a markdown table of the first rows


def test_a_node_at_the_limit_is_reported_as_a_warning(
    capital_env: SimulatorHandle, instance: DagsterInstance, duckdb_target: WarehouseTarget
) -> None:
    run_snapshot(instance, duckdb_target)
    key = AssetCheckKey(AssetKey("navigation_nodes"), "no_truncated_nodes")
    record = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
    evaluation = record.event.dagster_event.event_specific_data
    assert not evaluation.passed
    assert evaluation.severity == AssetCheckSeverity.WARN
    assert evaluation.metadata["truncated_nodes"].value >= 1


def test_a_refused_navigation_limit_is_lowered_reported_and_warned_about(
    capital_env: SimulatorHandle, instance: DagsterInstance, duckdb_target: WarehouseTarget
) -> None:
    capital_env.set_config(navigation_max_limit=100)
    try:
        run_id = run_snapshot(instance, duckdb_target)
    finally:
        capital_env.set_config(navigation_max_limit=500)
    event = instance.get_latest_materialization_event(AssetKey("navigation_nodes"))
    assert event is not None and event.asset_materialization.metadata["navigation_limit"].value == 100
    warnings = [
        record.user_message for record in instance.all_logs(run_id) if record.level == logging.WARNING
    ]
    assert any("refused navigation limit 500" in message for message in warnings), warnings
    truncated = duckdb_target.warehouse().query(
        "SELECT count(*) AS n FROM latest_navigation_nodes WHERE truncated"
    )
    assert truncated["n"].iloc[0] >= 1


def _frames_of(target: WarehouseTarget, snapshot_id: str) -> dict[str, pd.DataFrame]:
    warehouse = target.warehouse()
    frames = {}
    for table in DATA_TABLES:
        frame = warehouse.query(f"SELECT * FROM {table.name} WHERE snapshot_id = :id", {"id": snapshot_id})
        frames[table.name] = frame.drop(columns=["snapshot_id", "snapshot_at"])
    return frames


def test_a_snapshot_with_far_fewer_markets_is_never_published(
    capital_env: SimulatorHandle, instance: DagsterInstance, duckdb_target: WarehouseTarget
) -> None:
    run_snapshot(instance, duckdb_target, tags={"capital/snapshot_id": "real"})
    warehouse = duckdb_target.warehouse()
    real = warehouse.latest_snapshot().snapshot
    frames = _frames_of(duckdb_target, "real")
    markets = frames["markets"]
    frames["markets"] = pd.concat(
        [markets, markets.assign(epic=markets["epic"] + "_TWIN")], ignore_index=True
    )
    bigger = Snapshot("bigger", real.snapshot_at + timedelta(minutes=1), "test", real.started_at)
    warehouse.publish_snapshot(bigger, frames)

    run_config = {**duckdb_target.run_config(), "execution": {"config": IN_PROCESS}}
    with launch_snapshot(instance, run_config=run_config, tags={"capital/snapshot_id": "shrunk"}) as result:
        assert not result.success
    assert warehouse.latest_snapshot().snapshot.snapshot_id == "bigger"
    assert set(warehouse.table_counts("shrunk").values()) == {0}
    recorded = warehouse.query("SELECT status, error FROM snapshots WHERE snapshot_id = 'shrunk'")
    assert recorded["status"].tolist() == ["failed"]
    assert "no_sudden_drop" in recorded["error"][0]
    # The drop was real after all: one run carrying the tag publishes it, saying it was accepted.
    accepted = {"capital/snapshot_id": "accepted", ACCEPT_DROP_TAG: "true"}
    run_snapshot(instance, duckdb_target, tags=accepted)
    published = warehouse.query("SELECT status FROM snapshots WHERE snapshot_id = 'accepted'")
    assert published["status"].tolist() == ["succeeded"]
    key = AssetCheckKey(AssetKey("markets"), "no_sudden_drop")
    record = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
    evaluation = record.event.dagster_event.event_specific_data
    assert evaluation.passed and evaluation.metadata["accepted_by_tag"].value == ACCEPT_DROP_TAG
