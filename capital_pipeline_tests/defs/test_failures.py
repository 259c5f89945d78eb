"""A run that fails publishes nothing, records why, and says what to fix; re-executed, it completes its
snapshot."""

from __future__ import annotations

import pytest
from dagster import DagsterInstance, ReexecutionOptions, execute_job, reconstructable

from capital_pipeline.defs.launch import launch_snapshot, snapshot_job
from capital_pipeline.defs.staging import staging_directory
from capital_pipeline.simulator import SimulatorHandle
from capital_pipeline.simulator.config import Fault
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


def test_a_database_that_cannot_be_read_fails_the_run_before_any_crawl_and_leaves_no_session_open(
    capital_env: SimulatorHandle, instance: DagsterInstance
) -> None:
    # Port 1 refuses at once: the warehouse is read (the previous counts the drop checks compare with)
    # before the navigation and markets steps send anything, not after minutes of crawling.
    target = WarehouseTarget("postgresql://postgres@127.0.0.1:1/test", "capital")
    run_config = {**target.run_config(), "execution": {"config": IN_PROCESS}}
    with launch_snapshot(instance, run_config=run_config, tags={"capital/snapshot_id": "no-db"}) as result:
        assert not result.success
        errors = [str(event.step_failure_data.error) for event in result.all_events if event.is_step_failure]
    stats = capital_env.stats()
    crawled = [
        route
        for route in stats["requests"]
        if route.startswith(("GET /api/v1/marketnavigation", "GET /api/v1/markets"))
    ]
    assert crawled == []
    assert stats["requests"].get("DELETE /api/v1/session", 0) == stats["logins"]["successes"]
    assert any("WarehouseError" in error and "Connection refused" in error for error in errors), errors


def test_a_run_that_fails_after_logging_in_logs_its_session_out_and_leaves_no_tokens(
    capital_env: SimulatorHandle, instance: DagsterInstance, tmp_path, state_directory
) -> None:
    # Every market-details request answers 500 (after the client's retries: the markets step fails), so
    # `snapshots`, which logs out after publishing, never runs.
    capital_env.set_faults([Fault(kind="status", route="GET /api/v1/markets", status=500)])
    target = WarehouseTarget(f"duckdb:///{tmp_path / 'w.duckdb'}", "capital")
    try:
        _failed_run(instance, target, "markets-fail")
    finally:
        capital_env.set_faults([])
    stats = capital_env.stats()
    assert stats["logins"]["successes"] == 1
    assert stats["requests"]["DELETE /api/v1/session"] == 1
    assert list(state_directory.rglob("session.json")) == []


def test_re_executing_a_failed_run_completes_its_snapshot_counts_both_runs_requests_and_deletes_staging(
    capital_env: SimulatorHandle, instance: DagsterInstance, tmp_path
) -> None:
    capital_env.set_faults([Fault(kind="status", route="GET /api/v1/markets", status=500)])
    target = WarehouseTarget(f"duckdb:///{tmp_path / 'w.duckdb'}", "capital")
    run_config = {**target.run_config(), "execution": {"config": IN_PROCESS}}
    try:
        with launch_snapshot(instance, run_config=run_config) as failed:
            assert not failed.success
            root = failed.run_id
    finally:
        capital_env.set_faults([])
    assert staging_directory(instance.storage_directory(), root).is_dir()  # kept for this re-execution

    with execute_job(
        reconstructable(snapshot_job),
        instance=instance,
        run_config=run_config,
        reexecution_options=ReexecutionOptions.from_failure(root, instance),
    ) as result:
        assert result.success
        child = result.run_id

    snapshots = target.warehouse().query("SELECT snapshot_id, status, run_id, request_count FROM snapshots")
    # Every request of the snapshot, the failed run's (its logout included) and the re-execution's.
    requests = capital_env.stats()["requests_total"]
    assert snapshots.values.tolist() == [[f"run-{root}", "succeeded", child, requests]]
    for run_id in (root, child):
        assert not staging_directory(instance.storage_directory(), run_id).exists()
