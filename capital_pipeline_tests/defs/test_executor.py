"""The code location's executor (``executor.py``): the multiprocess executor takes the API steps in turn, and
a run of any selection of assets gets the run-level guarantees of the snapshot job."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    JobExecutionResult,
    execute_job,
)
from dagster._core.definitions.reconstruct import ReconstructableRepository

from capital_pipeline.defs.assets import API_SESSION_TAG
from capital_pipeline.defs.executor import with_api_steps_in_turn
from capital_pipeline.simulator import SimulatorHandle
from capital_pipeline.warehouse import TABLES
from capital_pipeline_tests.defs.conftest import IN_PROCESS, MULTIPROCESS, WarehouseTarget


def test_multiprocess_gets_one_api_step_at_a_time_beside_the_limits_it_has() -> None:
    other = {"key": "database", "limit": 2}
    given = {"multiprocess": {"max_concurrent": 4, "tag_concurrency_limits": [other]}}
    config = with_api_steps_in_turn(given)
    assert config["multiprocess"]["max_concurrent"] == 4
    assert config["multiprocess"]["tag_concurrency_limits"] == [other, {"key": API_SESSION_TAG, "limit": 1}]


def test_a_limit_the_run_config_sets_for_the_api_steps_is_kept() -> None:
    own = {"key": API_SESSION_TAG, "limit": 3}
    config = with_api_steps_in_turn({"multiprocess": {"tag_concurrency_limits": [own]}})
    assert config["multiprocess"]["tag_concurrency_limits"] == [own]


def test_in_process_config_is_left_as_it_is() -> None:
    assert with_api_steps_in_turn({"in_process": {}}) == {"in_process": {}}


def _materialize(
    instance: DagsterInstance,
    target: WarehouseTarget,
    assets: list[str],
    tags: dict[str, str] | None = None,
    execution: Mapping[str, Any] = IN_PROCESS,
) -> JobExecutionResult:
    return execute_job(
        # What the UI's "Materialize" launches, loaded as the code server loads it.
        ReconstructableRepository.for_module("capital_pipeline.definitions", "defs").get_reconstructable_job(
            "__ASSET_JOB"
        ),
        instance=instance,
        run_config={**target.run_config(), "execution": {"config": dict(execution)}},
        tags=tags or {},
        asset_selection=[AssetKey(name) for name in assets],
    )


@pytest.mark.slow
@pytest.mark.parametrize("execution", [IN_PROCESS, MULTIPROCESS], ids=["in_process", "multiprocess"])
def test_materializing_a_selection_logs_in_once_logs_out_and_warns_that_it_publishes_nothing(
    capital_env: SimulatorHandle,
    instance: DagsterInstance,
    tmp_path: Path,
    state_directory: Path,
    execution: Mapping[str, Any],
) -> None:
    target = WarehouseTarget(f"duckdb:///{tmp_path / 'w.duckdb'}", "capital")
    # Every table but `snapshots`: all four API steps (a selection with navigation_markets or
    # watchlist_markets brings their epics_have_markets check, which needs `markets`).
    selection = [table.name for table in TABLES if table.name != "snapshots"]
    with _materialize(instance, target, selection, execution=execution) as result:
        assert result.success
        run_id = result.run_id
    logs = [entry.user_message for entry in instance.all_logs(run_id)]
    assert any("publishes nothing" in line and "`snapshots`" in line for line in logs), logs
    stats = capital_env.stats()
    assert stats["logins"]["successes"] == 1
    assert stats["requests"]["DELETE /api/v1/session"] == 1
    assert list(state_directory.rglob("session.json")) == []
    assert not (state_directory / "runs" / run_id).exists()
    assert not list((tmp_path / "dagster_home").rglob(f"capital_staging/{run_id}"))


@pytest.mark.slow
def test_a_failed_materialization_records_the_failure_and_logs_in_once(
    capital_env: SimulatorHandle,
    instance: DagsterInstance,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    state_directory: Path,
) -> None:
    target = WarehouseTarget(f"duckdb:///{tmp_path / 'w.duckdb'}", "capital")
    monkeypatch.setenv("CAPITAL_PASSWORD", "not-the-password")
    everything = [table.name for table in TABLES]
    with _materialize(instance, target, everything, {"capital/snapshot_id": "ui"}) as result:
        assert not result.success
    assert capital_env.stats()["logins"]["attempts"] == 1
    recorded = target.warehouse().query("SELECT status FROM snapshots WHERE snapshot_id = 'ui'")
    assert recorded["status"].tolist() == ["failed"]
    assert list(state_directory.rglob("session.json")) == []
