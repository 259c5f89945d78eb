"""A run that fails publishes nothing, records why, and says what to fix."""

from __future__ import annotations

import pytest
from dagster import DagsterInstance

from capital_pipeline.defs.launch import launch_snapshot
from capital_pipeline.simulator import SimulatorHandle
from capital_pipeline_tests.defs.conftest import IN_PROCESS, WarehouseTarget, run_snapshot

pytestmark = pytest.mark.slow


def _failed_run(instance: DagsterInstance, target: WarehouseTarget, snapshot_id: str) -> list[str]:
    run_config = {**target.run_config(), "execution": {"config": IN_PROCESS}}
    with launch_snapshot(
        instance, run_config=run_config, tags={"capital/snapshot_id": snapshot_id}
    ) as result:
        assert not result.success
        return [event.message or "" for event in result.all_events if event.is_step_failure]


def test_wrong_password_logs_in_once_publishes_nothing_and_records_the_failure(
    capital_env: SimulatorHandle,
    instance: DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path,
) -> None:
    target = WarehouseTarget(f"duckdb:///{tmp_path / 'w.duckdb'}", "capital")
    monkeypatch.setenv("CAPITAL_PASSWORD", "not-the-password")
    _failed_run(instance, target, "bad-login")
    assert capital_env.stats()["logins"]["attempts"] == 1
    warehouse = target.warehouse()
    assert set(warehouse.table_counts("bad-login").values()) == {0}
    recorded = warehouse.query("SELECT status, error FROM snapshots WHERE snapshot_id = 'bad-login'")
    assert recorded["status"].tolist() == ["failed"]
    assert "AuthenticationFailed" in recorded["error"][0] and "CAPITAL_PASSWORD" in recorded["error"][0]
    assert "not-the-password" not in recorded["error"][0]


def test_a_failed_rerun_of_a_published_snapshot_leaves_it_published(
    capital_env: SimulatorHandle, instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    target = WarehouseTarget(f"duckdb:///{tmp_path / 'w.duckdb'}", "capital")
    run_snapshot(instance, target, tags={"capital/snapshot_id": "tick"})
    counts = target.warehouse().table_counts("tick")
    monkeypatch.setenv("CAPITAL_PASSWORD", "not-the-password")
    _failed_run(instance, target, "tick")
    warehouse = target.warehouse()
    assert warehouse.table_counts("tick") == counts
    latest = warehouse.latest_snapshot()
    assert latest is not None and (latest.snapshot.snapshot_id, latest.status) == ("tick", "succeeded")
